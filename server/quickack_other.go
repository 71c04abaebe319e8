//go:build !linux

package server

import "net"

// quickAck is the Linux listener's delayed-ACK fix (quickack_linux.go);
// elsewhere the listener is used as it is.
func quickAck(l net.Listener) net.Listener { return l }
