package server

import (
	"net"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
)

// Bounds on connections that have not yet shown an operator's key: each
// gets HandshakeTimeout to do so, and only so many may wait at once, in
// all and per source address, so that half-open connections cannot hold
// the server's sockets (OpenSSH's LoginGraceTime and MaxStartups).
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxUnauth        = 256
	// DefaultMaxUnauthPerHost leaves room for an office behind one NAT
	// address reconnecting all at once after a restart.
	DefaultMaxUnauthPerHost = 64
)

// connGuard counts the connections still in their handshake.
type connGuard struct {
	timeout      time.Duration
	max, perHost int
	onRefuse     func(host string)

	mu      sync.Mutex
	total   int
	byHost  map[string]int
	refusal int // connections closed at accept, in all
}

func (g *connGuard) admit(host string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.total >= g.max || g.byHost[host] >= g.perHost {
		g.refusal++
		return false
	}
	if g.byHost == nil {
		g.byHost = map[string]int{}
	}
	g.total++
	g.byHost[host]++
	return true
}

func (g *connGuard) release(host string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if g.byHost[host]--; g.byHost[host] <= 0 {
		delete(g.byHost, host)
	}
}

// waiting is how many connections are in their handshake; refused, how
// many were closed at accept.
func (g *connGuard) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.total
}

func (g *connGuard) refused() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refusal
}

// guardListener admits connections under the guard's caps; a connection
// over a cap is closed at once.
type guardListener struct {
	net.Listener
	g *connGuard
}

func (l guardListener) Accept() (net.Conn, error) {
	c, host, err := l.g.accept(l.Listener)
	if err != nil {
		return nil, err
	}
	gc := &guardConn{Conn: c, g: l.g, host: host, deadline: time.Now().Add(l.g.timeout)}
	_ = c.SetDeadline(gc.deadline)
	return gc, nil
}

// accept is ln's next connection the guard admits; one over a cap is
// closed at once (and reported) and the next one waited for.
func (g *connGuard) accept(ln net.Listener) (net.Conn, string, error) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return nil, "", err
		}
		host := hostOf(c.RemoteAddr())
		if g.admit(host) {
			return c, host, nil
		}
		c.Close()
		if g.onRefuse != nil {
			g.onRefuse(host)
		}
	}
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// guardConn is a connection in (or past) its handshake. Until an
// operator's key is accepted, every deadline the SSH server sets (its
// idle timer, from the first byte) is capped by the handshake deadline.
type guardConn struct {
	net.Conn
	g        *connGuard
	host     string
	deadline time.Time

	mu     sync.Mutex
	passed bool // an operator's key was accepted: the slot is free
	closed bool
}

// authenticated frees the connection's handshake slot and lifts the
// handshake deadline (the idle timer goes on).
func (c *guardConn) authenticated() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.passed || c.closed {
		return
	}
	c.passed = true
	c.g.release(c.host)
}

func (c *guardConn) capped(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.passed && (t.IsZero() || t.After(c.deadline)) {
		return c.deadline
	}
	return t
}

func (c *guardConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.capped(t)) }
func (c *guardConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.capped(t))
}
func (c *guardConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.capped(t))
}

func (c *guardConn) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		if !c.passed {
			c.g.release(c.host)
		}
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

type guardKey struct{}

// keepGuard puts the guarded connection on the SSH context, where
// authorize finds it (ssh.Server.ConnCallback).
func keepGuard(ctx ssh.Context, c net.Conn) net.Conn {
	if gc, ok := c.(*guardConn); ok {
		ctx.SetValue(guardKey{}, gc)
	}
	return c
}

func guardOf(ctx ssh.Context) *guardConn {
	gc, _ := ctx.Value(guardKey{}).(*guardConn)
	return gc
}

// Bounds on the HTTP listener's open connections: slow clients from one
// address (headers that never end) hold at most their share, so that
// callbacks, phones and health checks from elsewhere still get in.
const (
	httpMaxConns        = 1024
	httpMaxConnsPerHost = 64
)

// capListener closes a connection over the guard's caps at once; the
// slot is held until the connection closes.
type capListener struct {
	net.Listener
	g *connGuard
}

func (l capListener) Accept() (net.Conn, error) {
	c, host, err := l.g.accept(l.Listener)
	if err != nil {
		return nil, err
	}
	return &slotConn{Conn: c, g: l.g, host: host}, nil
}

type slotConn struct {
	net.Conn
	g    *connGuard
	host string
	once sync.Once
}

func (c *slotConn) Close() error {
	c.once.Do(func() { c.g.release(c.host) })
	return c.Conn.Close()
}
