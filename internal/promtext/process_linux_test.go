package promtext

import "testing"

func TestProcessMetricsOnLinux(t *testing.T) {
	r := NewRegistry()
	r.WithRuntime()
	_, fams := parse(t, r)
	if _, ok := readStat(); !ok {
		t.Skip("no /proc/self/stat here")
	}
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
		"process_max_fds", "process_start_time_seconds", "process_virtual_memory_bytes"} {
		f := fams[name]
		if f == nil || len(f.GetMetric()) != 1 {
			t.Errorf("%s: %v", name, f)
			continue
		}
		m := f.GetMetric()[0]
		if v := m.GetGauge().GetValue() + m.GetCounter().GetValue(); v <= 0 && name != "process_cpu_seconds_total" {
			t.Errorf("%s = %v", name, v)
		}
	}
}
