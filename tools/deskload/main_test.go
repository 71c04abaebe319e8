package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildKycdesk builds the kycdesk binary the tool starts, once per test
// run.
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

// runTool runs the tool as its command line does and decodes its --json
// report.
func runTool(t *testing.T, args ...string) (report, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cliMain(append(args, "--json"), &out, &errb)
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, no JSON report: %v\nstdout: %s\nstderr: %s", code, err, out.String(), errb.String())
	}
	if code != 0 {
		t.Fatalf("exit %d; errors: %v\nstderr: %s", code, rep.ErrorSamples, errb.String())
	}
	return rep, errb.String()
}

// Three desks against a kycdesk serve the tool starts as its own process:
// the peak-hour model (customers arriving fast, answering after a second
// or two) through the desk profile, then through the explorer form, then
// lockstep bursts. Every launch reaches its QR, every answer reaches its
// desk, and the report has the server's own process figures.
func TestDeskloadSmall(t *testing.T) {
	bin := buildKycdesk(t)
	t.Run("peak-profile", func(t *testing.T) {
		rep, log := runTool(t, "--kycdesk", bin, "--desks", "3", "--duration", "6s", "--rate", "30",
			"--answer", "500ms-1s", "--baseline", "2", "--seed", "7")
		if rep.Mode != "peak" || rep.Flow != "profile" || rep.Desks != 3 || rep.Servers != 1 {
			t.Errorf("report of another run: %+v", rep)
		}
		if rep.Baseline.N != 2 {
			t.Errorf("baseline: %d launches, want 2", rep.Baseline.N)
		}
		if rep.Launches == 0 || rep.LaunchToQR.N != rep.Launches || rep.Answered == 0 || rep.AnswerToDesk.N != rep.Answered {
			t.Errorf("launches %d (timed %d), answered %d (timed %d)", rep.Launches, rep.LaunchToQR.N, rep.Answered, rep.AnswerToDesk.N)
		}
		// Every typed key of every customer's id is timed.
		if rep.KeyToEcho.N < rep.Launches*len("ld0-0-1") {
			t.Errorf("%d keys timed for %d launches", rep.KeyToEcho.N, rep.Launches)
		}
		if len(rep.Server) != 1 || rep.Server[0].PID == 0 || rep.Server[0].RSSBaseMB <= 0 || rep.Server[0].RSSPeakMB < rep.Server[0].RSSBaseMB {
			t.Errorf("server figures: %+v", rep.Server)
		}
		if rep.CPUms <= 0 {
			t.Errorf("no server CPU time measured: %+v", rep)
		}
		if !strings.Contains(log, "server 0: pid") {
			t.Errorf("the log does not say which server it started:\n%s", log)
		}
	})
	t.Run("peak-form", func(t *testing.T) {
		rep, _ := runTool(t, "--kycdesk", bin, "--desks", "2", "--duration", "5s", "--rate", "30",
			"--answer", "0s-500ms", "--baseline", "1", "--flow", "form", "--typing", "50", "--seed", "7")
		if rep.Flow != "form" || rep.Launches == 0 || rep.Answered == 0 {
			t.Errorf("form flow: %+v", rep)
		}
	})
	t.Run("lockstep", func(t *testing.T) {
		rep, _ := runTool(t, "--kycdesk", bin, "--desks", "3", "--duration", "5s", "--lockstep", "--period", "1s", "--baseline", "0")
		if rep.Mode != "lockstep" || rep.Launches == 0 || rep.Answered != 0 || rep.Baseline.N != 0 {
			t.Errorf("lockstep: %+v", rep)
		}
	})
}

// Bad flags are refused with the flag's name, before anything starts.
func TestDeskloadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kycdesk", "x", "--answer", "60s-5s"}, "--answer"},
		{[]string{"--kycdesk", "x", "--answer", "soon"}, "--answer"},
		{[]string{"--kycdesk", "x", "--desks", "0"}, "--desks"},
		{[]string{"--kycdesk", "x", "--flow", "cli"}, "--flow"},
		{[]string{"--kycdesk", "x", "--width", "40"}, "--width"},
		{[]string{"--ssh", "127.0.0.1:1"}, "--http, --pid, --key"},
		{[]string{"--kycdesk", "x", "--pid", "1"}, "leave out"},
		{[]string{"--ssh", "a", "--http", "b", "--pid", "1", "--key", "k", "--serves", "2"}, "--serves"},
		{[]string{"--kycdesk", "x", "extra"}, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		if code := cliMain(c.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %s", c.args, code, errb.String(), c.want)
		}
	}
}

// A running server that is not there: the tool says which flag is wrong.
func TestDeskloadAttachErrors(t *testing.T) {
	cfg, err := parseFlags([]string{"--ssh", "127.0.0.1:1", "--http", "http://127.0.0.1:1", "--pid", "1", "--key", filepath.Join(t.TempDir(), "none")}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(context.Background(), cfg, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--key") {
		t.Errorf("missing key file: %v", err)
	}
}
