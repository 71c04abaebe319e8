//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package session

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockFile takes an flock on f: exclusive for an append, shared for a
// read. It waits at most lockTimeout for another process's append.
func lockFile(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(lockTimeout)
	wait := 100 * time.Microsecond
	for {
		var ferr error
		if err := rc.Control(func(fd uintptr) {
			for {
				ferr = syscall.Flock(int(fd), how|syscall.LOCK_NB)
				if ferr != syscall.EINTR {
					return
				}
			}
		}); err != nil {
			return err
		}
		if ferr == nil {
			return nil
		}
		if !errors.Is(ferr, syscall.EWOULDBLOCK) {
			return fmt.Errorf("locking %s: %w", f.Name(), ferr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is locked by another process for more than %s", f.Name(), lockTimeout)
		}
		time.Sleep(wait)
		wait = min(wait*2, 5*time.Millisecond)
	}
}

func unlockFile(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { syscall.Flock(int(fd), syscall.LOCK_UN) })
	}
}
