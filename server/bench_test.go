package server

import (
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// BenchmarkFirstFrameSSH measures a desk's wait from TCP connect to the
// console's first frame: SSH handshake and auth, PTY, the terminal
// background query (answered as a terminal would), program start, render.
// Compare with BenchmarkFirstFrameLocal in the same run (budget: ≤ 1.5×
// the local console's once the real console is served; see the report).
func BenchmarkFirstFrameSSH(b *testing.B) {
	alice := newOperatorKey(b, "alice")
	ts := startServer(b, Config{}, nil, alice)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		conn, err := dialDesk(ts.SSHAddr(), "desk-1", alice.signer)
		if err != nil {
			b.Fatal(err)
		}
		c, err := openDesk(conn, true)
		if err != nil {
			b.Fatal(err)
		}
		for !strings.Contains(c.out.String(), "operator=alice") {
			select {
			case <-c.done:
				b.Fatalf("session ended before the first frame: %q", c.out.String())
			case <-time.After(100 * time.Microsecond):
			}
		}
		b.StopTimer()
		conn.Close()
		<-c.done
		b.StartTimer()
	}
}

// frameWriter signals when the output first contains the marker.
type frameWriter struct {
	mu     sync.Mutex
	buf    strings.Builder
	marker string
	seen   chan struct{}
	once   sync.Once
}

func (w *frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	hit := strings.Contains(w.buf.String(), w.marker)
	w.mu.Unlock()
	if hit {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// BenchmarkFirstFrameLocal is the same console started in-process, the
// baseline for BenchmarkFirstFrameSSH.
func BenchmarkFirstFrameLocal(b *testing.B) {
	for i := 0; i < b.N; i++ {
		in, inW := io.Pipe()
		out := &frameWriter{marker: "operator=alice", seen: make(chan struct{})}
		p := tea.NewProgram(&echoModel{desk: Desk{Operator: "alice", Name: "desk-1"}},
			tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler())
		done := make(chan struct{})
		go func() { p.Run(); close(done) }()
		<-out.seen
		b.StopTimer()
		p.Quit()
		<-done
		inW.Close()
		b.StartTimer()
	}
}
