//go:build unix

package server

import "syscall"

var sighup = syscall.SIGHUP
