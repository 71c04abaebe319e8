package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be the bare server too: the tool
// re-executes itself (os.Executable) with --serve-bare, which under `go
// test` is this binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveBareFlag {
		os.Exit(cliMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// buildKycdesk builds the kycdesk binary the tool starts.
func buildKycdesk(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build kycdesk with")
	}
	bin := filepath.Join(t.TempDir(), "kycdesk")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/kycdesk/kycdesk")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Two rounds against a kycdesk sandbox and the bare server, each its own
// process: both answer every request 201, each server's 301 timed
// requests all go (in 3 slices, the last with the remainder), the rounds
// alternate their order, and the report has CPU figures and ratios. No
// timing thresholds.
func TestSandboxloadSmall(t *testing.T) {
	bin := buildKycdesk(t)
	var out, errb bytes.Buffer
	code := cliMain([]string{"--kycdesk", bin, "--rounds", "2", "--requests", "301", "--slices", "3", "--concurrency", "4", "--warmup", "50", "--json"}, &out, &errb)
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, no JSON report: %v\nstdout: %s\nstderr: %s", code, err, out.String(), errb.String())
	}
	if code != 0 {
		t.Fatalf("exit %d; errors %d: %v\nstderr: %s", code, rep.Errors, rep.ErrorSamples, errb.String())
	}
	s := rep.Settings
	if s.Kycdesk != bin || s.Rounds != 2 || s.Requests != 301 || s.Slices != 3 || s.Concurrency != 4 || s.Warmup != 50 {
		t.Errorf("settings of another run: %+v", s)
	}
	if rep.LoadavgStart == "" || rep.LoadavgEnd == "" {
		t.Errorf("no loadavg: %q %q", rep.LoadavgStart, rep.LoadavgEnd)
	}
	if rep.SampleBytes == 0 || rep.Errors != 0 || len(rep.ErrorSamples) != 0 {
		t.Errorf("sample %d bytes, errors %d %v", rep.SampleBytes, rep.Errors, rep.ErrorSamples)
	}
	if len(rep.Rounds) != 2 {
		t.Fatalf("%d rounds, want 2", len(rep.Rounds))
	}
	wantOrder := [][]string{{kindBare, kindSandbox}, {kindSandbox, kindBare}}
	var cpu float64
	pids := map[int]bool{}
	for i, rd := range rep.Rounds {
		if rd.Round != i+1 || strings.Join(rd.Order, ",") != strings.Join(wantOrder[i], ",") {
			t.Errorf("round %d: number %d, order %v; want %v", i+1, rd.Round, rd.Order, wantOrder[i])
		}
		for _, f := range []figures{rd.Bare, rd.Sandbox} {
			if f.Requests != 301 || f.Errors != 0 || f.PID == 0 || f.WallS <= 0 || f.RequestsPerS <= 0 || f.LoadCPUms <= 0 || f.ServerMinflt < 0 {
				t.Errorf("round %d: %+v", rd.Round, f)
			}
			if pids[f.PID] {
				t.Errorf("round %d: pid %d measured twice: servers are not started fresh", rd.Round, f.PID)
			}
			pids[f.PID] = true
			cpu += f.ServerCPUms
		}
		if rd.RatioWall <= 0 {
			t.Errorf("round %d: no wall ratio: %+v", rd.Round, rd)
		}
	}
	// /proc counts in 10 ms ticks: a small run's server may show 0, the
	// sum of all may not.
	if cpu <= 0 {
		t.Errorf("no server CPU measured in any round: %+v", rep.Rounds)
	}
	if rep.Median.Bare.RequestsPerS <= 0 || rep.Median.Sandbox.RequestsPerS <= 0 || rep.RatioWall <= 0 || rep.Budget != 0.8 {
		t.Errorf("medians and ratios: %+v, wall %v, cpu %v", rep.Median, rep.RatioWall, rep.RatioCPU)
	}
	if !strings.Contains(errb.String(), "round 2:") {
		t.Errorf("no progress lines on stderr:\n%s", errb.String())
	}

	// The text report says the same.
	out.Reset()
	rep.text(&out)
	for _, want := range []string{"--rounds 2 --requests 301 --slices 3 --concurrency 4 --warmup 50", "loadavg at start", "median sandbox", "minor faults/1000 req", "faults/1000", "by CPU", "budget ≥ 0.8", "loadavg at end"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text report without %q:\n%s", want, out.String())
		}
	}
}

// Bad flags are refused with the flag's name and exit code 2, before any
// server starts; requests beyond what one simulator keeps say so.
func TestSandboxloadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kycdesk", "x", "--requests", "19600"}, "keeps at most 20000"},
		{[]string{"--kycdesk", "x", "--requests", "19000", "--warmup", "1000"}, "--requests + --warmup at most 19999"},
		{[]string{"--rounds", "1"}, "--kycdesk BIN is required"},
		{[]string{"--kycdesk", "x", "--concurrency", "0"}, "--concurrency"},
		{[]string{"--kycdesk", "x", "--concurrency", "64"}, "--concurrency"},
		{[]string{"--kycdesk", "x", "--requests", "0"}, "--requests"},
		{[]string{"--kycdesk", "x", "--warmup", "-1"}, "--warmup"},
		{[]string{"--kycdesk", "x", "--slices", "0"}, "--slices"},
		{[]string{"--kycdesk", "x", "--requests", "5", "--slices", "6"}, "--slices: want 1 to --requests (5)"},
		{[]string{"--kycdesk", "x", "--rounds", "0"}, "--rounds"},
		{[]string{"--kycdesk", "x", "extra"}, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		if code := cliMain(c.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 saying %q", c.args, code, out.String(), errb.String(), c.want)
		}
	}
}

// A kycdesk that is not there: the tool says so and exits 1.
func TestSandboxloadNoBinary(t *testing.T) {
	var out, errb bytes.Buffer
	code := cliMain([]string{"--kycdesk", filepath.Join(t.TempDir(), "none"), "--rounds", "1", "--requests", "10"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "sample") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// A /proc/PID/stat line whose command holds spaces and parentheses: the
// fields are counted after the last ')'.
func TestParseStat(t *testing.T) {
	line := "4242 (kycdesk (x) y) S 1 4242 4242 0 -1 4194560 1234 0 5 0 250 17 0 0 20 0 9 0 100 1000 50 18446744073709551615\n"
	cpu, minflt, err := parseStat(line)
	if err != nil || minflt != 1234 || cpu != 2670*time.Millisecond {
		t.Errorf("parseStat = %v, %d, %v; want 2.67s, 1234", cpu, minflt, err)
	}
	if _, _, err := parseStat("4242 (kycdesk) S 1 2"); err == nil {
		t.Errorf("a short line parsed")
	}
}
