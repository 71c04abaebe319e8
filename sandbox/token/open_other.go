//go:build !unix

package token

import (
	"fmt"
	"io/fs"
	"os"
)

// openFile refuses a link or a special file before opening (no
// O_NOFOLLOW or O_NONBLOCK here).
func openFile(path string) (*os.File, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return os.Open(path)
}

// otherOwner: no POSIX owner to compare; the directory's ACLs decide.
func otherOwner(fs.FileInfo) bool { return false }
