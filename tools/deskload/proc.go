package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's times (100
// on every Linux architecture Go supports).
const clockTicks = 100

// procSample is a server process's CPU time and memory at one moment,
// read from /proc.
type procSample struct {
	at     time.Time
	cpu    time.Duration // user + system
	rss    int64         // bytes
	hwm    int64         // peak RSS so far, bytes
	thread int
}

func readProc(pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name (which is in parentheses and may
	// hold spaces): state is field 3, utime 14, stime 15, threads 20.
	rest := string(b)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 18 {
		return s, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpu = time.Duration(ut+st) * time.Second / clockTicks
	s.thread, _ = strconv.Atoi(f[17])
	st2, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	defer st2.Close()
	sc := bufio.NewScanner(st2)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb := func() int64 {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
		switch k {
		case "VmRSS":
			s.rss = kb()
		case "VmHWM":
			s.hwm = kb()
		}
	}
	return s, sc.Err()
}
