//go:build unix

package token

import (
	"io/fs"
	"os"
	"syscall"
)

// openFile opens without following a link or blocking on a FIFO.
func openFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
}

func otherOwner(st fs.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) != os.Getuid()
}
