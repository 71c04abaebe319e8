package server

import (
	"net"
	"syscall"
	"testing"
)

// Accepted SSH connections carry TCP_QUICKACK, set again after each read.
func TestSSHConnectionsAckAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := quickAck(ln)
	defer l.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Write([]byte("SSH-2.0-test\r\n"))
			defer c.Close()
			buf := make([]byte, 1)
			c.Read(buf)
		}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q, ok := c.(*quickAckConn)
	if !ok {
		t.Fatalf("accepted %T, want *quickAckConn", c)
	}
	buf := make([]byte, 64)
	if _, err := q.Read(buf); err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := q.raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK) }); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if v != 1 {
		t.Fatalf("TCP_QUICKACK = %d after a read, want 1", v)
	}
}
