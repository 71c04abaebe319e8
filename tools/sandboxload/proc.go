package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's times (100
// on every Linux architecture Go supports).
const clockTicks = 100

// procStat is a process's user + system CPU time so far (to the clock
// tick, 10 ms) and its minor page faults so far, from /proc/PID/stat. A
// minor fault is a page of memory the process touches for the first time
// (or again after giving it back): a heap that grows pays them.
func procStat(pid int) (cpu time.Duration, minflt int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	cpu, minflt, err = parseStat(string(b))
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return cpu, minflt, nil
}

// parseStat reads procStat's figures from a /proc/PID/stat line.
func parseStat(line string) (cpu time.Duration, minflt int64, err error) {
	// Fields after the command name (which is in parentheses and may
	// hold spaces): state is field 3, minflt 10, utime 14, stime 15.
	rest := line
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%d fields", len(f))
	}
	mf, err0 := strconv.ParseInt(f[7], 10, 64)
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err0 != nil || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("minflt %q utime %q stime %q", f[7], f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / clockTicks, mf, nil
}

// selfCPU is this process's user + system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadavg is the first three fields of /proc/loadavg ("" if unreadable).
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return strings.TrimSpace(string(b))
	}
	return strings.Join(f[:3], " ")
}
