//go:build !unix

package authfile

import (
	"io/fs"
	"os"
)

// Without POSIX modes and owners (Windows), ACLs are the operator's
// business; the type and size checks still apply.
const modeChecked = false

// openNonBlocking stats first so a device is refused before it is opened.
func openNonBlocking(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular{fi.Mode()}}
	}
	return os.Open(path)
}

type errNotRegular struct{ m fs.FileMode }

func (e errNotRegular) Error() string { return kind(e.m) + ", not a regular file" }

func checkOwner(string, fs.FileInfo, Rules) error { return nil }
