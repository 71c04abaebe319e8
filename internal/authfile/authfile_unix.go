//go:build unix

package authfile

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

const modeChecked = true

// openNonBlocking opens with O_NONBLOCK, so a FIFO without a writer or a
// device does not hang the open; Check refuses both before any read.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// owner is the uid files must belong to (besides root); a variable so a
// test can pretend to be someone else.
var owner = os.Getuid

func checkOwner(path string, fi fs.FileInfo, r Rules) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	me := owner()
	if int(st.Uid) == me || st.Uid == 0 {
		return nil
	}
	return fmt.Errorf("%s %s belongs to %s, not to the user running kycdesk (%s) or root; run: chown %s %s && chmod 600 %s",
		r.What, path, userName(int(st.Uid)), userName(me), userName(me), path, path)
}

func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(uid)
}
