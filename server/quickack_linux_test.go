package server

import (
	"net"
	"sync/atomic"
	"testing"
)

// Accepted SSH connections get TCP_QUICKACK at accept and again after
// each read (the kernel does not keep it).
func TestSSHConnectionsAckAtOnce(t *testing.T) {
	var calls atomic.Int32
	real := setQuickAck
	setQuickAck = func(fd int) error { calls.Add(1); return real(fd) }
	t.Cleanup(func() { setQuickAck = real })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := quickAck(ln)
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		// One message per server read: the next is written only after
		// the server answers the previous one.
		for _, m := range []string{"SSH-2.0-test\r\n", "more"} {
			if _, err := c.Write([]byte(m)); err != nil {
				return
			}
			if _, err := c.Read(make([]byte, 1)); err != nil {
				return
			}
		}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*quickAckConn); !ok {
		t.Fatalf("accepted %T, want *quickAckConn", c)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls at accept, want 1", n)
	}
	buf := make([]byte, 64)
	for i := 0; i < 2; i++ {
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		if n := calls.Load(); n != int32(2+i) {
			t.Fatalf("after read %d: %d calls, want %d", i+1, n, 2+i)
		}
		if _, err := c.Write([]byte{'k'}); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	<-done
}
