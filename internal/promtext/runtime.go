package promtext

import (
	"bufio"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

// WithRuntime registers the Go runtime's go_* metrics and, where the
// system tells them (Linux), the process's process_* metrics, under the
// names, types and help client_golang's Go and process collectors used.
func (r *Registry) WithRuntime() {
	r.add(&funcFamily{n: "go_gc_gomemlimit_bytes", help: "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function.", typ: "gauge", fn: func(w *bufio.Writer) {
		writeSample(w, "go_gc_gomemlimit_bytes", nil, nil, "", "", formatFloat(float64(debug.SetMemoryLimit(-1)))) // a negative limit reads it, changing nothing
	}})
	r.add(&funcFamily{n: "go_goroutines", help: "Number of goroutines that currently exist.", typ: "gauge", fn: func(w *bufio.Writer) {
		writeSample(w, "go_goroutines", nil, nil, "", "", strconv.Itoa(runtime.NumGoroutine()))
	}})
	r.add(&funcFamily{n: "go_threads", help: "Number of OS threads created.", typ: "gauge", fn: func(w *bufio.Writer) {
		n, _ := runtime.ThreadCreateProfile(nil)
		writeSample(w, "go_threads", nil, nil, "", "", strconv.Itoa(n))
	}})
	r.add(&funcFamily{n: "go_info", help: "Information about the Go environment.", typ: "gauge", fn: func(w *bufio.Writer) {
		writeSample(w, "go_info", []string{"version"}, []string{runtime.Version()}, "", "", "1")
	}})
	r.add(&funcFamily{n: "go_sched_gomaxprocs_threads", help: "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously.", typ: "gauge", fn: func(w *bufio.Writer) {
		writeSample(w, "go_sched_gomaxprocs_threads", nil, nil, "", "", strconv.Itoa(runtime.GOMAXPROCS(0)))
	}})
	r.add(&funcFamily{n: "go_gc_duration_seconds", help: "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", typ: "summary", fn: func(w *bufio.Writer) {
		st := debug.GCStats{PauseQuantiles: make([]time.Duration, 5)} // min, 25%, 50%, 75%, max
		debug.ReadGCStats(&st)
		for i, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
			writeSample(w, "go_gc_duration_seconds", nil, nil, "quantile", q, formatFloat(st.PauseQuantiles[i].Seconds()))
		}
		writeSample(w, "go_gc_duration_seconds_sum", nil, nil, "", "", formatFloat(st.PauseTotal.Seconds()))
		writeSample(w, "go_gc_duration_seconds_count", nil, nil, "", "", strconv.FormatInt(st.NumGC, 10))
	}})
	// The memstats families come from one ReadMemStats per scrape; they
	// sort together (between go_info and go_sched_*), so one family writes them.
	r.add(&funcFamily{n: memStats[0].name, fn: func(w *bufio.Writer) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		for _, m := range memStats {
			writeHeader(w, m.name, m.help, m.typ)
			writeSample(w, m.name, nil, nil, "", "", formatFloat(m.value(&ms)))
		}
	}})
	r.withProcess()
}

type memStat struct {
	name, help, typ string
	value           func(*runtime.MemStats) float64
}

// memStats is sorted by name, as the families are written.
var memStats = []memStat{
	{"go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.Alloc) }},
	{"go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already.", "counter", func(m *runtime.MemStats) float64 { return float64(m.TotalAlloc) }},
	{"go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.BuckHashSys) }},
	{"go_memstats_frees_total", "Total number of heap objects frees.", "counter", func(m *runtime.MemStats) float64 { return float64(m.Frees) }},
	{"go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.GCSys) }},
	{"go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.HeapAlloc) }},
	{"go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.HeapIdle) }},
	{"go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.HeapInuse) }},
	{"go_memstats_heap_objects", "Number of currently allocated objects.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.HeapObjects) }},
	{"go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.HeapReleased) }},
	{"go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.HeapSys) }},
	{"go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.LastGC) / 1e9 }},
	{"go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed.", "counter", func(m *runtime.MemStats) float64 { return float64(m.Mallocs) }},
	{"go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.MCacheInuse) }},
	{"go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.MCacheSys) }},
	{"go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.MSpanInuse) }},
	{"go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.MSpanSys) }},
	{"go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.NextGC) }},
	{"go_memstats_other_sys_bytes", "Number of bytes used for other system allocations.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.OtherSys) }},
	{"go_memstats_stack_inuse_bytes", "Number of bytes in use by the stack allocator.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.StackInuse) }},
	{"go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.StackSys) }},
	{"go_memstats_sys_bytes", "Number of bytes obtained from system.", "gauge", func(m *runtime.MemStats) float64 { return float64(m.Sys) }},
}
