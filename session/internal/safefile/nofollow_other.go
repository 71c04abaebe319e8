//go:build !unix

package safefile

import (
	"io/fs"
	"os"
)

// Without O_NOFOLLOW: check, then open (a race remains; these systems
// rarely let another user plant links in one's state directory).
func openNoFollow(path string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := RefuseSymlink(path); err != nil {
		return nil, err
	}
	return os.OpenFile(path, flag, perm)
}
