package server

import (
	"net"
	"syscall"
)

// quickAckListener answers every segment at once (TCP_QUICKACK) on the
// SSH listener. OpenSSH clients write the handshake's small packets
// without TCP_NODELAY, so Nagle holds each second write until the first is
// acknowledged, and Linux's delayed ACK (40 ms) held that twice per
// handshake: 80 of a desk's first ~100 ms. The flag is not sticky in the
// kernel, so it is set again after each read.
type quickAckListener struct{ net.Listener }

func (l quickAckListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c, nil
	}
	q := &quickAckConn{TCPConn: tc, raw: raw}
	q.arm()
	return q, nil
}

type quickAckConn struct {
	*net.TCPConn
	raw syscall.RawConn
}

// setQuickAck sets the flag on a socket (a variable so a test can see it
// called: reading TCP_QUICKACK back reports the kernel's ack mode, not the
// flag).
var setQuickAck = func(fd int) error {
	return syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
}

func (c *quickAckConn) arm() {
	_ = c.raw.Control(func(fd uintptr) { _ = setQuickAck(int(fd)) })
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	c.arm()
	return n, err
}

func quickAck(l net.Listener) net.Listener { return quickAckListener{l} }
