package sandbox

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The sandbox keeps net/http's four timeouts against slow clients
// (ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout), and
// net/http still sets the same deadlines at the same moments. But it sets
// four to six a request, and each one given to the connection re-arms a
// runtime timer (or stops one): a cost per request that a bare net/http
// server, with no timeouts, does not pay. So a capConn only records a
// deadline in the future, and the listener's janitor, every tick, gives a
// connection whose deadline has passed one long past: its blocked or next
// Read (Write) fails with the same timeout error a deadline of net/http's
// gives, at most a tick later (a twentieth of the shortest timeout). A
// deadline already past (net/http's abortPendingRead, after every
// request), and lifting one that was enforced, go to the connection at
// once. The protection is the same, as tested in deadlines_test.go,
// harden_test.go and slowclients_test.go.

// deadlineTick is how often the janitor looks: a twentieth of the
// shortest timeout, between a millisecond and a second.
func deadlineTick(l Limits) time.Duration {
	d := l.ReadHeaderTimeout
	for _, t := range []time.Duration{l.ReadTimeout, l.WriteTimeout, l.IdleTimeout} {
		if t > 0 && (d <= 0 || t < d) {
			d = t
		}
	}
	d /= 20
	return min(max(d, time.Millisecond), time.Second)
}

// lazyDeadline is one direction's deadline. Guarded by capConn.dmu.
type lazyDeadline struct {
	at       int64 // Unix nanoseconds of the deadline still to enforce; 0: none
	enforced bool  // the connection holds a deadline (a past one) for it
}

// set records t; set returns the deadline to give the connection now, and
// whether there is one.
func (d *lazyDeadline) set(t time.Time, now int64) (time.Time, bool) {
	switch {
	case t.IsZero():
		d.at = 0
	case t.UnixNano() <= now:
		d.at, d.enforced = 0, true
		return t, true // already past: at once
	default:
		d.at = t.UnixNano()
	}
	if d.enforced {
		d.enforced = false
		return time.Time{}, true // the enforced one is lifted
	}
	return time.Time{}, false
}

// due reports whether the deadline has passed at now, and marks it
// enforced; the connection is then given a time long past.
func (d *lazyDeadline) due(now int64) bool {
	if d.at == 0 || d.at > now {
		return false
	}
	d.at, d.enforced = 0, true
	return true
}

// longAgo is the deadline that makes a connection's reads or writes fail
// at once, as net/http's aLongTimeAgo.
var longAgo = time.Unix(1, 0)

// lazyClock is the janitor's time, Unix nanoseconds at its latest tick: a
// deadline not after it is past.
type lazyClock struct{ now atomic.Int64 }

// SetDeadline, SetReadDeadline and SetWriteDeadline record the deadline
// for the janitor (above).
func (c *capConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *capConn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if now, ok := c.rd.set(t, c.l.clock.now.Load()); ok {
		return c.Conn.SetReadDeadline(now)
	}
	return nil
}

func (c *capConn) SetWriteDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if now, ok := c.wd.set(t, c.l.clock.now.Load()); ok {
		return c.Conn.SetWriteDeadline(now)
	}
	return nil
}

// enforce gives the connection the deadlines that have passed at now.
func (c *capConn) enforce(now int64) {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if c.rd.due(now) {
		_ = c.Conn.SetReadDeadline(longAgo)
	}
	if c.wd.due(now) {
		_ = c.Conn.SetWriteDeadline(longAgo)
	}
}

// janitor enforces the open connections' deadlines every tick until stop
// is closed.
func (l *capListener) janitor(tick time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(tick)
	defer t.Stop()
	var conns []*capConn
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			n := now.UnixNano()
			l.clock.now.Store(n)
			conns = l.openConns(conns[:0])
			for _, c := range conns {
				c.enforce(n)
			}
			clear(conns) // no closed connection kept until the next tick
		}
	}
}

// openConns appends the open connections to dst.
func (l *capListener) openConns(dst []*capConn) []*capConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		dst = append(dst, c)
	}
	return dst
}

// capConnState is what a capConn adds to the connection for its deadlines.
type capConnState struct {
	dmu    sync.Mutex
	rd, wd lazyDeadline
}

var _ net.Conn = (*capConn)(nil)
