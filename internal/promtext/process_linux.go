package promtext

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// userHZ is the clock tick /proc counts CPU time and start time in (fixed
// at 100 on Linux's user ABI; procfs assumes the same).
const userHZ = 100

// withProcess registers the process_* metrics from /proc/self, as
// client_golang's process collector read them on Linux.
func (r *Registry) withProcess() {
	r.add(&funcFamily{n: "process_cpu_seconds_total", fn: func(w *bufio.Writer) {
		st, ok := readStat()
		if ok {
			writeHeader(w, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter")
			writeSample(w, "process_cpu_seconds_total", nil, nil, "", "", formatFloat(float64(st.utime+st.stime)/userHZ))
		}
		var lim syscall.Rlimit
		if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
			writeHeader(w, "process_max_fds", "Maximum number of open file descriptors.", "gauge")
			writeSample(w, "process_max_fds", nil, nil, "", "", strconv.FormatUint(lim.Cur, 10))
		}
		if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
			writeHeader(w, "process_open_fds", "Number of open file descriptors.", "gauge")
			writeSample(w, "process_open_fds", nil, nil, "", "", strconv.Itoa(len(fds)))
		}
		if !ok {
			return
		}
		writeHeader(w, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge")
		writeSample(w, "process_resident_memory_bytes", nil, nil, "", "", formatFloat(float64(st.rss*int64(os.Getpagesize()))))
		if boot, ok := bootTime(); ok {
			writeHeader(w, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge")
			writeSample(w, "process_start_time_seconds", nil, nil, "", "", formatFloat(float64(boot)+float64(st.start)/userHZ))
		}
		writeHeader(w, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge")
		writeSample(w, "process_virtual_memory_bytes", nil, nil, "", "", formatFloat(float64(st.vsize)))
		if syscall.Getrlimit(syscall.RLIMIT_AS, &lim) == nil {
			writeHeader(w, "process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", "gauge")
			writeSample(w, "process_virtual_memory_max_bytes", nil, nil, "", "", formatFloat(float64(lim.Cur)))
		}
	}})
}

type procStat struct {
	utime, stime, start, vsize, rss int64
}

// readStat reads /proc/self/stat (proc(5)): after the command name in
// parentheses (which may hold spaces and parentheses itself), field 3 is
// the state; utime and stime are fields 14 and 15, starttime 22, vsize 23
// and rss (pages) 24.
func readStat() (procStat, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return procStat{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3
	if len(f) < 22 {
		return procStat{}, false
	}
	field := func(n int) int64 {
		v, _ := strconv.ParseInt(string(f[n-3]), 10, 64)
		return v
	}
	return procStat{utime: field(14), stime: field(15), start: field(22), vsize: field(23), rss: field(24)}, true
}

// bootTime is the system's boot time (the btime line of /proc/stat), in
// seconds since the epoch.
func bootTime() (int64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
