package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
)

// TestParallelLaunches (set KYCDESK_LOAD=1; KYCDESK_LOAD_N, default 128,
// bounds it): that many `kycdesk launch` processes at once against one
// `kycdesk sandbox` process, all recording into one SQLite store. It fails
// on any launch that does not exit 0 or is not in the store afterwards,
// and reports each process's wall time, p50 and p99 (the budget, p99 ≤ 10×
// p50, is a figure to read, not a threshold here).
func TestParallelLaunches(t *testing.T) {
	if os.Getenv("KYCDESK_LOAD") == "" {
		t.Skip("set KYCDESK_LOAD=1 to run 128 parallel CLI launches")
	}
	n := envInt("KYCDESK_LOAD_N", 128)
	isolate(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "kycdesk")
	build := exec.Command("go", "build", "-o", bin, "github.com/kycdesk/kycdesk")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	store := filepath.Join(dir, "kycdesk.db")
	env := append(os.Environ(), "KYCDESK_STORE="+store)

	// One `kycdesk sandbox` on a free loopback port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sb := exec.Command(bin, "sandbox", "--listen", addr)
	sb.Env = env
	var sbOut bytes.Buffer
	sb.Stdout, sb.Stderr = &sbOut, &sbOut
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Process.Kill(); sb.Wait() })
	url := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); !sandbox.Probe(url, 300*time.Millisecond); {
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox did not start:\n%s", sbOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	env = append(env, "KYCDESK_SANDBOX_URL="+url)
	// The store exists before the burst: it measures launches, not the
	// first process's migration.
	if out, err := runBin(bin, env, "sessions"); err != nil {
		t.Fatalf("sessions: %v\n%s", err, out)
	}

	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		took  []time.Duration
		fails []string
		ids   []string
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			t0 := time.Now()
			out, err := runBin(bin, env, "launch", "idenfy", "--set", fmt.Sprintf("clientId=load-%03d", i), "--json")
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			took = append(took, d)
			var o struct{ Session string }
			if err != nil || json.Unmarshal(out, &o) != nil || o.Session == "" {
				fails = append(fails, fmt.Sprintf("launch %d: %v\n%s", i, err, out))
				return
			}
			ids = append(ids, o.Session)
		}()
	}
	close(start)
	wg.Wait()
	for _, f := range fails {
		t.Error(f)
	}
	slices.Sort(took)
	pct := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))] }
	p50, p99 := pct(0.50), pct(0.99)
	t.Logf("%d parallel launches on %d CPUs: %d failed; p50 %v, p90 %v, p99 %v, max %v; p99/p50 %.1f",
		n, runtime.NumCPU(), len(fails), p50.Round(time.Millisecond), pct(0.90).Round(time.Millisecond),
		p99.Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), float64(p99)/float64(p50))

	st, err := session.OpenStore(store, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range ids {
		if s, err := st.Get(context.Background(), id); err != nil || !s.Launched() {
			t.Errorf("session %s: %+v, %v", id, s, err)
		}
	}
	if c, _ := st.Count(context.Background(), session.Query{}); c != n {
		t.Errorf("the store holds %d sessions, want %d", c, n)
	}
}

func runBin(bin string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return append(out.Bytes(), errb.Bytes()...), fmt.Errorf("%w: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
