//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package session

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Without flock, a lock file next to the journal (created exclusively)
// serialises appends between processes. Reads take it too. A lock file
// older than staleLock was left by a process that died while appending.
const staleLock = 30 * time.Second

func lockFile(f *os.File, exclusive bool) error {
	name := f.Name() + ".lock"
	deadline := time.Now().Add(lockTimeout)
	for {
		l, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			return l.Close()
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > staleLock {
			os.Remove(name)
			continue
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is locked by another process for more than %s (lock file %s)", f.Name(), lockTimeout, name)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func unlockFile(f *os.File) { os.Remove(f.Name() + ".lock") }
