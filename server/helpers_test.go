package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	gossh "golang.org/x/crypto/ssh"
)

// waitLong bounds every wait in these tests: generous, so a busy machine
// cannot fail them; they only fail when the thing never happens.
const waitLong = 20 * time.Second

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// operatorKey is an operator's key pair and its authorized_keys line.
type operatorKey struct {
	name   string
	signer gossh.Signer
	line   string
}

func newOperatorKey(t testing.TB, name string) operatorKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + name
	return operatorKey{name: name, signer: signer, line: line}
}

func (k operatorKey) fingerprint() string { return gossh.FingerprintSHA256(k.signer.PublicKey()) }

func writeOperators(t testing.TB, path string, keys ...operatorKey) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# operators of this test\n")
	for _, k := range keys {
		b.WriteString(k.line + "\n")
	}
	// Write and rename, as an editor or config tool would.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// echoModel is the trivial console: it shows who it serves and its size,
// and echoes the keys typed; q quits.
type echoModel struct {
	desk          Desk
	width, height int
	keys          string
}

// noteMsg stands for what the server broadcasts to consoles (a result
// from the store's change feed).
type noteMsg string

func (m *echoModel) Init() tea.Cmd { return nil }

func (m *echoModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case noteMsg:
		m.keys += "note:" + string(msg)
	case tea.KeyMsg:
		if msg.String() == "q" {
			return m, tea.Quit
		}
		m.keys += msg.String()
	}
	return m, nil
}

func (m *echoModel) View() string {
	return fmt.Sprintf("operator=%s desk=%s size=%dx%d\nkeys=[%s]\n", m.desk.Operator, m.desk.Name, m.width, m.height, m.keys)
}

func echoConsole(d Desk) (tea.Model, []tea.ProgramOption, error) {
	return &echoModel{desk: d}, nil, nil
}

// testServer is a running server on loopback ports.
type testServer struct {
	*Server
	dir       string
	operators string
	logs      *syncBuffer
	stdout    *syncBuffer
	cancel    context.CancelFunc
	runErr    chan error
}

func startServer(t testing.TB, cfg Config, console ConsoleFactory, keys ...operatorKey) *testServer {
	t.Helper()
	return startServerWith(t, cfg, Options{Console: console}, keys...)
}

// startServerWith is startServer with the caller's options (the logger
// and stdout are the test's).
func startServerWith(t testing.TB, cfg Config, opts Options, keys ...operatorKey) *testServer {
	t.Helper()
	console := opts.Console
	dir := t.TempDir()
	if cfg.OperatorsFile == "" {
		cfg.OperatorsFile = filepath.Join(dir, "operators")
		writeOperators(t, cfg.OperatorsFile, keys...)
	}
	if cfg.HostKeyFile == "" {
		cfg.HostKeyFile = filepath.Join(dir, "keys", "host_ed25519")
	}
	cfg.SSHListen, cfg.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	if console == nil {
		console = echoConsole
	}
	ts := &testServer{dir: dir, operators: cfg.OperatorsFile, logs: &syncBuffer{}, stdout: &syncBuffer{}, runErr: make(chan error, 1)}
	opts.Console = console
	opts.Logger = slog.New(slog.NewTextHandler(ts.logs, nil))
	opts.Stdout = ts.stdout
	s, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	go func() { ts.runErr <- s.Run(ctx) }()
	select {
	case <-s.Ready():
	case err := <-ts.runErr:
		t.Fatalf("Run: %v", err)
	case <-time.After(waitLong):
		t.Fatal("server not ready")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-ts.runErr:
		case <-time.After(waitLong):
			t.Error("server did not stop")
		}
	})
	return ts
}

// stop cancels Run's context and returns what Run returned.
func (ts *testServer) stop(t testing.TB) error {
	t.Helper()
	ts.cancel()
	select {
	case err := <-ts.runErr:
		ts.runErr <- err // for Cleanup
		return err
	case <-time.After(waitLong):
		t.Fatal("Run did not return after its context was cancelled")
		return nil
	}
}

// deskClient is an SSH client with a PTY that answers the terminal
// queries a real terminal answers (background colour, device attributes).
type deskClient struct {
	conn  *gossh.Client
	sess  *gossh.Session
	stdin io.WriteCloser
	out   *syncBuffer
	done  chan struct{} // closed when the session's output ends
}

func dialDesk(addr, user string, key gossh.Signer) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User:            user,
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         waitLong,
	})
}

func connectDesk(t testing.TB, addr, user string, key gossh.Signer, pty bool) *deskClient {
	t.Helper()
	conn, err := dialDesk(addr, user, key)
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := openDesk(conn, pty)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openDesk(conn *gossh.Client, pty bool) (*deskClient, error) {
	sess, err := conn.NewSession()
	if err != nil {
		return nil, err
	}
	if pty {
		if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
			return nil, err
		}
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &deskClient{conn: conn, sess: sess, stdin: stdin, out: &syncBuffer{}, done: make(chan struct{})}
	if err := sess.Shell(); err != nil {
		return nil, err
	}
	go c.readLoop(stdout)
	return c, nil
}

// Terminal queries wish sends to learn the client's background, and the
// answers an xterm gives.
const (
	queryBackground = "\x1b]11;?\x07"
	queryDA1        = "\x1b[c"
	answerBg        = "\x1b]11;rgb:0000/0000/0000\x07"
	answerDA1       = "\x1b[?62;22c"
)

func (c *deskClient) readLoop(r io.Reader) {
	defer close(c.done)
	buf := make([]byte, 32*1024)
	var tail string
	for {
		n, err := r.Read(buf)
		if n > 0 {
			c.out.Write(buf[:n])
			chunk := tail + string(buf[:n])
			if strings.Contains(chunk, queryBackground) {
				io.WriteString(c.stdin, answerBg)
			}
			if strings.Contains(chunk, queryDA1) {
				io.WriteString(c.stdin, answerDA1)
			}
			if len(chunk) > 8 {
				tail = chunk[len(chunk)-8:]
			} else {
				tail = chunk
			}
		}
		if err != nil {
			return
		}
	}
}

// waitFor waits until the desk's screen output contains s.
func (c *deskClient) waitFor(t testing.TB, s string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		if strings.Contains(c.out.String(), s) {
			return
		}
		select {
		case <-c.done:
			if strings.Contains(c.out.String(), s) {
				return
			}
			t.Fatalf("session ended without showing %q; output:\n%q", s, c.out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("never showed %q; output:\n%q", s, c.out.String())
}

// waitEnd waits until the server ends the session; it returns the exit code.
func (c *deskClient) waitEnd(t testing.TB) int {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- c.sess.Wait() }()
	select {
	case err := <-errc:
		if err == nil {
			return 0
		}
		if ee, ok := err.(*gossh.ExitError); ok {
			return ee.ExitStatus()
		}
		t.Fatalf("session ended with %v", err)
	case <-time.After(waitLong):
		t.Fatalf("session did not end; output:\n%q", c.out.String())
	}
	return -1
}

// waitLog waits until the server's log contains s.
func (ts *testServer) waitLog(t testing.TB, s string) string {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		if l := ts.logs.String(); strings.Contains(l, s) {
			return l
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("log never contained %q:\n%s", s, ts.logs.String())
	return ""
}

// wait returns a channel closed once the buffer contains s.
func (s *syncBuffer) wait(sub string) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		deadline := time.Now().Add(waitLong)
		for time.Now().Before(deadline) && !strings.Contains(s.String(), sub) {
			time.Sleep(10 * time.Millisecond)
		}
		close(ch)
	}()
	return ch
}

// dialDeskHostKey connects as k and records the host key the server shows.
func dialDeskHostKey(addr string, k operatorKey, seen *[]byte) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: "desk-1",
		Auth: []gossh.AuthMethod{gossh.PublicKeys(k.signer)},
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			*seen = key.Marshal()
			return nil
		},
		Timeout: waitLong,
	})
}
