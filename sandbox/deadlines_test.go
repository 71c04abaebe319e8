package sandbox

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// pipeConn is a capConn on one end of a pipe, admitted by a listener whose
// janitor is not running (tests call enforce themselves) unless tick > 0.
func pipeConn(t *testing.T, tick time.Duration) (*capConn, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	l := &capListener{max: 4, perHost: 4, refused: func(string, bool) {}}
	l.clock.now.Store(time.Now().UnixNano())
	c := &capConn{Conn: a, l: l, host: "pipe"}
	if ok, _ := l.admit(c); !ok {
		t.Fatal("not admitted")
	}
	if tick > 0 {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { l.janitor(tick, stop); close(done) }()
		t.Cleanup(func() { close(stop); <-done })
	}
	return c, b
}

// readResult reads one byte from c in the background.
func readResult(c net.Conn) <-chan error {
	ch := make(chan error, 1)
	go func() {
		var b [1]byte
		_, err := c.Read(b[:])
		ch <- err
	}()
	return ch
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

// A future deadline is only recorded; once it has passed, enforce gives the
// connection a past one and a blocked Read fails with the timeout error
// net/http expects. Clearing the deadline afterwards lifts it.
func TestLazyReadDeadlineEnforced(t *testing.T) {
	c, peer := pipeConn(t, 0)
	due := time.Now().Add(time.Hour)
	if err := c.SetReadDeadline(due); err != nil {
		t.Fatal(err)
	}
	got := readResult(c)
	c.enforce(due.Add(-time.Second).UnixNano()) // not yet due: nothing happens
	go peer.Write([]byte("a"))
	if err := <-got; err != nil {
		t.Fatalf("a read before the deadline: %v", err)
	}
	got = readResult(c)
	c.enforce(due.UnixNano())
	if err := <-got; !isTimeout(err) {
		t.Fatalf("a read past the deadline: %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Time{})
	got = readResult(c)
	go peer.Write([]byte("b"))
	if err := <-got; err != nil {
		t.Fatalf("a read after the deadline was cleared: %v", err)
	}
	// A new future deadline lifts an enforced one too.
	c.SetReadDeadline(due)
	c.enforce(due.UnixNano())
	c.SetReadDeadline(due.Add(time.Hour))
	got = readResult(c)
	go peer.Write([]byte("c"))
	if err := <-got; err != nil {
		t.Fatalf("a read after a later deadline replaced an enforced one: %v", err)
	}
}

// A deadline cleared, or moved later, before it is due is never enforced.
func TestLazyDeadlineClearedBeforeDue(t *testing.T) {
	c, peer := pipeConn(t, 0)
	due := time.Now().Add(time.Hour)
	c.SetReadDeadline(due)
	c.SetWriteDeadline(due)
	c.SetReadDeadline(time.Time{})
	c.SetWriteDeadline(due.Add(time.Hour))
	c.enforce(due.Add(time.Minute).UnixNano())
	got := readResult(c)
	go peer.Write([]byte("a"))
	if err := <-got; err != nil {
		t.Fatalf("read: %v", err)
	}
	go io.ReadFull(peer, make([]byte, 1))
	if _, err := c.Write([]byte("b")); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// A deadline already past goes to the connection at once, without the
// janitor: net/http's abortPendingRead waits for it after every request.
func TestPastDeadlineAtOnce(t *testing.T) {
	c, _ := pipeConn(t, 0)
	got := readResult(c)
	c.SetReadDeadline(time.Unix(1, 0))
	if err := <-got; !isTimeout(err) {
		t.Fatalf("read: %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Time{})
	got = readResult(c)
	c.SetDeadline(time.Unix(1, 0))
	if err := <-got; !isTimeout(err) {
		t.Fatalf("read after SetDeadline: %v, want a timeout", err)
	}
	if _, err := c.Write([]byte("x")); !isTimeout(err) {
		t.Fatalf("write after SetDeadline: %v, want a timeout", err)
	}
}

// With the janitor running, a write the peer never takes fails once its
// deadline has passed, and so does a read no data comes for.
func TestJanitorEnforces(t *testing.T) {
	c, _ := pipeConn(t, time.Millisecond)
	c.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Write([]byte("never read")); !isTimeout(err) {
		t.Fatalf("write: %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if err := <-readResult(c); !isTimeout(err) {
		t.Fatalf("read: %v, want a timeout", err)
	}
}

func TestDeadlineTick(t *testing.T) {
	for _, c := range []struct {
		l    Limits
		want time.Duration
	}{
		{DefaultLimits, 250 * time.Millisecond}, // a twentieth of the header timeout, 5 s
		{Limits{ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: time.Hour}, 5 * time.Millisecond},
		{Limits{ReadHeaderTimeout: time.Hour, ReadTimeout: time.Hour, WriteTimeout: time.Hour, IdleTimeout: time.Hour}, time.Second},
		{Limits{ReadHeaderTimeout: time.Microsecond}, time.Millisecond},
	} {
		if got := deadlineTick(c.l.withDefaults()); got != c.want {
			t.Errorf("deadlineTick(%+v) = %v, want %v", c.l, got, c.want)
		}
	}
}

// Through the server: a client that stops in its headers, one that keeps a
// connection idle, and one that never reads a long answer are all
// dropped by the sandbox's timeouts.
func TestTimeoutsThroughTheServer(t *testing.T) {
	wrote := make(chan error, 1)
	reg := providers.Registry{{ID: "big", NewSimulator: func(providers.SimOptions) providers.Simulator {
		return bigAnswer(func(err error) { wrote <- err })
	}}}
	s, err := Start(reg, "127.0.0.1:0", Options{Limits: Limits{ReadHeaderTimeout: 100 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := strings.TrimPrefix(s.URL, "http://")
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		// The server must end the connection by itself; this only keeps
		// a broken server from hanging the test.
		c.SetReadDeadline(time.Now().Add(time.Minute))
		return c
	}

	slowHeaders := dial()
	io.WriteString(slowHeaders, "GET "+HealthPath+" HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	if _, err := io.ReadAll(slowHeaders); err != nil {
		t.Errorf("a client stopped in its headers was not dropped: %v", err)
	}

	idle := dial()
	io.WriteString(idle, "GET "+HealthPath+" HTTP/1.1\r\nHost: x\r\n\r\n")
	b, err := io.ReadAll(idle) // the answer, then the close for idleness
	if err != nil || !strings.HasPrefix(string(b), "HTTP/1.1 200") {
		t.Errorf("an idle keep-alive connection was not closed after its answer: %v %.40q", err, b)
	}

	slowReader := dial()
	io.WriteString(slowReader, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-wrote:
		if !isTimeout(err) {
			t.Errorf("an answer never read: the write ended with %v, want a timeout", err)
		}
	case <-time.After(time.Minute): // only a broken server gets here
		t.Error("an answer never read: still writing after a minute")
	}
}

// bigAnswer is a simulator whose /big answer is far more than the socket
// buffers hold; done gets the error that ends its writing.
type bigAnswer func(err error)

func (b bigAnswer) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for range 1 << 14 { // 1 GB
			if _, err := w.Write(chunk); err != nil {
				b(err)
				return
			}
		}
		b(errors.New("the whole answer was written"))
	})
}
