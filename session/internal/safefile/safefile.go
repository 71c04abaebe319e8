// Package safefile opens the store's files without following a symbolic
// link, so that nobody can redirect the history or the key elsewhere.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrSymlink is wrapped by Open's error for a symbolic link.
var ErrSymlink = errors.New("is a symbolic link")

// Open is os.OpenFile refusing a symbolic link as the last element of path.
func Open(path string, flag int, perm fs.FileMode) (*os.File, error) {
	f, err := openNoFollow(path, flag, perm)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s %w; refusing it", path, ErrSymlink)
		}
		return nil, err
	}
	return f, nil
}

// RefuseSymlink returns an error when path exists and is a symbolic link.
func RefuseSymlink(path string) error {
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s %w; refusing it", path, ErrSymlink)
	}
	return nil
}
