//go:build !unix

package server

import "os"

// No SIGHUP here: the test skips when the signal cannot be sent.
var sighup = os.Interrupt
