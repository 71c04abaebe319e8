package server

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// halfOpen opens a TCP connection that sends only its SSH version line,
// as in the attack of issue 20.
func halfOpen(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitLong)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "SSH-2.0-x\r\n"); err != nil {
		t.Fatal(err)
	}
	return c
}

// closedByServer reports whether the server has closed c (reading
// returns an error other than a timeout), waiting up to wait.
func closedByServer(c net.Conn, wait time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 4096)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // the server's version line and key exchange
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return false
		}
		return true
	}
}

// 500 half-open connections from one address: all but the per-address
// cap are closed at once, a desk from another address still gets in, and
// the ones held are closed at the handshake deadline.
func TestHalfOpenConnectionsAreBounded(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	const perHost, n = 8, 500
	ts := startServer(t, Config{MaxUnauthPerHost: perHost, HandshakeTimeout: time.Hour}, nil, alice)
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = halfOpen(t, ts.SSHAddr())
	}
	// Every connection is either held in its handshake or was closed at
	// accept; only the cap is held.
	eventually(t, "every connection accepted or refused", func() bool {
		return ts.guard.waiting()+ts.guard.refused() == n
	})
	if held := ts.guard.waiting(); held != perHost {
		t.Fatalf("%d half-open connections held, want %d", held, perHost)
	}
	if m := httpGet(t, "http://"+ts.HTTPAddr()+"/metrics", 200); !strings.Contains(m, "kycdesk_ssh_connections_refused_total 492") {
		t.Errorf("refusals not counted:\n%s", grepLines(m, "refused"))
	}
	ts.waitLog(t, "too many still in their handshake")

	// Another address is not locked out.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: waitLong}
	raw, err := d.Dial("tcp", ts.SSHAddr())
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2: %v", err)
	}
	sc, chans, reqs, err := gossh.NewClientConn(raw, ts.SSHAddr(), &gossh.ClientConfig{User: "desk-1",
		Auth: []gossh.AuthMethod{gossh.PublicKeys(alice.signer)}, HostKeyCallback: gossh.InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatalf("a desk from another address was refused while one address held its cap: %v", err)
	}
	c := gossh.NewClient(sc, chans, reqs)
	t.Cleanup(func() { c.Close() })
	dc, err := openDesk(c, true)
	if err != nil {
		t.Fatal(err)
	}
	dc.waitFor(t, "operator=alice")
}

// A connection that never finishes its handshake is closed at the
// handshake deadline, well before the idle timeout.
func TestHandshakeDeadline(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{HandshakeTimeout: 200 * time.Millisecond, IdleTimeout: time.Hour}, nil, alice)
	c := halfOpen(t, ts.SSHAddr())
	if !closedByServer(c, waitLong) {
		t.Fatal("a half-open connection outlived its handshake deadline")
	}
	eventually(t, "its slot is free", func() bool { return ts.guard.waiting() == 0 })
	// A desk that completes its handshake is not cut at that deadline.
	dc := connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true)
	dc.waitFor(t, "operator=alice")
	time.Sleep(400 * time.Millisecond)
	dc.stdin.Write([]byte("k"))
	dc.waitFor(t, "keys=[k]")
}

// The total cap holds whatever the addresses.
func TestUnauthenticatedTotalCap(t *testing.T) {
	ts := startServer(t, Config{MaxUnauth: 5, HandshakeTimeout: time.Hour}, nil, newOperatorKey(t, "alice"))
	for range 20 {
		halfOpen(t, ts.SSHAddr())
	}
	eventually(t, "every connection accepted or refused", func() bool {
		return ts.guard.waiting()+ts.guard.refused() == 20
	})
	if held := ts.guard.waiting(); held != 5 {
		t.Fatalf("%d held, want 5", held)
	}
}

// A desk whose terminal answers neither query, and that types nothing,
// still gets its console (and is counted); what it types first reaches
// the console.
func TestSilentTerminalGetsItsConsole(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{}, nil, alice)
	conn, err := dialDesk(ts.SSHAddr(), "desk-1", alice.signer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{})
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	out := &syncBuffer{}
	go io.Copy(out, stdout) // reads, never answers
	start := time.Now()
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	<-out.wait("operator=alice")
	t.Logf("a silent terminal's first frame came %s after its shell request", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(out.String(), "operator=alice") {
		t.Fatalf("a silent terminal got no frame:\n%q", out.String())
	}
	if len(ts.Desks()) != 1 {
		t.Errorf("desks %d, want 1", len(ts.Desks()))
	}
	io.WriteString(stdin, "z")
	<-out.wait("keys=[z]")
	if !strings.Contains(out.String(), "keys=[z]") {
		t.Fatalf("the first key was lost:\n%q", out.String())
	}
}

// Answers that come after the query gave up are not typed into the console.
func TestLateTerminalAnswersAreNotKeys(t *testing.T) {
	if got := string(stripAnswers([]byte("a" + answerBg + "b" + answerDA1 + "c"))); got != "abc" {
		t.Fatalf("stripAnswers = %q", got)
	}
	if dark, known := backgroundOf([]byte("\x1b]11;rgb:ffff/ffff/ffff\x07")); dark || !known {
		t.Errorf("white read as dark=%v known=%v", dark, known)
	}
	if dark, known := backgroundOf([]byte(answerBg)); !dark || !known {
		t.Errorf("black read as dark=%v known=%v", dark, known)
	}
}

// Slow HTTP clients from one address hold at most their share of the
// HTTP listener; a client from elsewhere is served.
func TestHTTPSlowClientsHoldTheirShareOnly(t *testing.T) {
	ts := startServer(t, Config{}, nil, newOperatorKey(t, "alice"))
	for range httpMaxConnsPerHost + 20 {
		c, err := net.Dial("tcp", ts.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	}
	ts.waitLog(t, "http connection refused")
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	raw, err := d.Dial("tcp", ts.HTTPAddr())
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2: %v", err)
	}
	defer raw.Close()
	io.WriteString(raw, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	raw.SetReadDeadline(time.Now().Add(waitLong))
	b, _ := io.ReadAll(raw)
	if !strings.HasPrefix(string(b), "HTTP/1.1 200") {
		t.Fatalf("a client from another address got %q", b)
	}
}

// The idle timer runs from connect: a silent terminal that never types is
// closed at the idle timeout like any other desk.
func TestSilentTerminalIdlesOut(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{IdleTimeout: 300 * time.Millisecond}, nil, alice)
	conn, err := dialDesk(ts.SSHAddr(), "desk-1", alice.signer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{})
	stdout, _ := sess.StdoutPipe()
	out := &syncBuffer{}
	go io.Copy(out, stdout)
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- sess.Wait() }()
	select {
	case <-errc:
	case <-time.After(waitLong):
		t.Fatal("a silent desk was never idled out")
	}
	<-out.wait("no key pressed")
	if !strings.Contains(out.String(), "no key pressed") {
		t.Fatalf("no idle line:\n%q", out.String())
	}
}
