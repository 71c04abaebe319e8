package cli

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"github.com/kycdesk/kycdesk/server"
)

// homeMark is on the console's first frame (home).
var homeMark = []byte("Start a verification session")

// BenchmarkServeFirstFrame is a desk's wait for the real console over SSH,
// in-process: TCP connect, handshake, auth, PTY and shell requests, the
// terminal's background query (answered at once, as a terminal does), the
// console built for the desk and its first frame read back by the client.
// BenchmarkLocalFirstFrame is the same console started locally, in the
// same run: compare the two (budget: ≤ 1.5×). server-ms/op is the server's
// own part (session start to first frame written, from /metrics).
func BenchmarkServeFirstFrame(b *testing.B) {
	alice := newOperator(b, "alice")
	ts := startTestServe(b, 0, alice)
	addr := ts.srv.SSHAddr()
	before := stageSum(b, ts, "first_frame")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		conn, err := dialDesk(b, addr, "desk-1", alice)
		if err != nil {
			b.Fatal(err)
		}
		sess, err := conn.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		if err := sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
			b.Fatal(err)
		}
		stdin, _ := sess.StdinPipe()
		stdout, _ := sess.StdoutPipe()
		if err := sess.Shell(); err != nil {
			b.Fatal(err)
		}
		var seen []byte
		buf := make([]byte, 32<<10)
		for !bytes.Contains(seen, homeMark) {
			n, err := stdout.Read(buf)
			chunk := buf[:n]
			seen = append(seen, chunk...)
			if bytes.Contains(chunk, []byte("\x1b]11;?")) {
				io.WriteString(stdin, "\x1b]11;rgb:0000/0000/0000\x07")
			}
			if bytes.Contains(chunk, []byte("\x1b[c")) {
				io.WriteString(stdin, "\x1b[?62;22c")
			}
			if err != nil {
				b.Fatalf("session ended before the first frame: %v", err)
			}
		}
		b.StopTimer()
		conn.Close()
		b.StartTimer()
	}
	b.StopTimer()
	// The last session's end may still be on its way; its first frame is
	// recorded before the client saw it.
	b.ReportMetric((stageSum(b, ts, "first_frame")-before)*1000/float64(b.N), "server-ms/op")
}

// stageSum is the server's sum of kycdesk_ssh_session_start_seconds for
// stage.
func stageSum(b *testing.B, ts *testServe, stage string) float64 {
	m := regexp.MustCompile(`(?m)^kycdesk_ssh_session_start_seconds_sum\{stage="` + stage + `"\} (\S+)$`).
		FindStringSubmatch(metricsText(b, ts.httpURL()))
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// markWriter closes seen once the output holds homeMark.
type markWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	seen chan struct{}
	once sync.Once
}

func (w *markWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	hit := bytes.Contains(w.buf.Bytes(), homeMark)
	w.mu.Unlock()
	if hit {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

// BenchmarkLocalFirstFrame starts the console a served desk gets (the same
// factory, desk, history and program options) locally: a tea.Program with
// in-memory input and output and a 256-colour renderer, its window size
// given as a terminal's would be, timed to its first frame.
func BenchmarkLocalFirstFrame(b *testing.B) {
	ts := startTestServe(b, 0, newOperator(b, "alice"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		out := &markWriter{seen: make(chan struct{})}
		r := lipgloss.NewRenderer(out, termenv.WithProfile(termenv.ANSI256))
		r.SetHasDarkBackground(true)
		model, opts, err := ts.console(server.Desk{Operator: "alice", Name: "desk-1", Renderer: r, Context: ctx,
			Width: 100, Height: 30, Clipboard: func(string) error { return nil }})
		if err != nil {
			b.Fatal(err)
		}
		in, inW := io.Pipe()
		p := tea.NewProgram(model, append(opts, tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler())...)
		done := make(chan struct{})
		go func() { p.Run(); close(done) }()
		p.Send(tea.WindowSizeMsg{Width: 100, Height: 30})
		select {
		case <-out.seen:
		case <-time.After(serveWait):
			b.Fatal("no first frame")
		}
		b.StopTimer()
		p.Quit()
		<-done
		inW.Close()
		cancel()
		b.StartTimer()
	}
}
