package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// countWriter counts what the command printed.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// benchStoreFile is a synthetic SQLite store of n sessions (the store's
// year of a busy desk, session's TestGenerateStore), built once and kept
// in the temporary directory for later runs: generating 1M sessions takes
// minutes, streaming them seconds. It returns the file and its key.
func benchStoreFile(b *testing.B, n int) (string, string) {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "kycdesk-bench-sessions")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%d.db", n))
	keyFile := path + ".key"
	if _, err := os.Stat(path + ".done"); err == nil {
		key, err := os.ReadFile(keyFile)
		if err != nil {
			b.Fatal(err)
		}
		return path, string(key)
	}
	os.Remove(path)
	key := "6b79636465736b2d62656e63682d73746f72652d6b65792d3031323334353637" // 32 bytes, for this synthetic store only
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command("go", "test", "-count=1", "-timeout", "60m", "-run", "^TestGenerateStore$", "github.com/kycdesk/kycdesk/session")
	cmd.Env = append(os.Environ(), "KYCDESK_GEN_STORE="+path, "KYCDESK_GEN_SESSIONS="+strconv.Itoa(n), "KYCDESK_STORE_KEY="+key)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("generating the store: %v\n%s", err, out)
	}
	if err := os.WriteFile(path+".done", nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return path, key
}

// BenchmarkSessionsJSON is `kycdesk sessions --json` through the command
// itself (its buffered writer, the indented objects it prints) on a store
// of 100k sessions built once (KYCDESK_BENCH_1M=1: 1M), next to `sqlite3
// -json` printing the same rows of the same file in the same run (the
// budget: within 2×; whole processes: scripts/storebench.sh).
// peak-heap-MB is the Go heap in use at its highest, sampled as it streams.
func BenchmarkSessionsJSON(b *testing.B) {
	n := 100_000
	if os.Getenv("KYCDESK_BENCH_1M") != "" {
		n = 1_000_000
	}
	path, key := benchStoreFile(b, n)
	env := map[string]string{"KYCDESK_STORE_KEY": key, "HOME": b.TempDir()}
	b.Run(fmt.Sprintf("kycdesk/%d", n), func(b *testing.B) {
		var peak uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var ms runtime.MemStats
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		var out countWriter
		for b.Loop() {
			out.n = 0
			io := &IO{Out: &out, Err: &countWriter{}, Getenv: func(k string) string { return env[k] }}
			if err := cmdSessions([]string{"--json", "--store", path}, io); err != nil {
				b.Fatal(err)
			}
		}
		close(stop)
		<-sampled
		b.ReportMetric(float64(out.n)/(1<<20), "out-MB")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Log("no sqlite3 command: no baseline")
		return
	}
	b.Run(fmt.Sprintf("sqlite3-json/%d", n), func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(sqlite3, "-json", "-readonly", path,
				"SELECT s.*, d.* FROM sessions s LEFT JOIN session_docs d ON d.num = s.num ORDER BY s.num DESC")
			var out countWriter
			cmd.Stdout = &out
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
