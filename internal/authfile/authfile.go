// Package authfile reads the files that grant authority to whoever can
// write them (the operators file, the SSH host key, the TLS key, the store
// key, a config file holding a secret). Such a file must be a regular
// file, owned by the user running kycdesk or by root, not writable by
// group or others (and, for a secret, not readable by them either), and
// small. Opening never blocks: a FIFO or a device is refused at once.
package authfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// Size limits of the files kycdesk reads with authority.
const (
	MaxList   = 1 << 20  // an operators file
	MaxKey    = 64 << 10 // a host, TLS or store key
	MaxConfig = 1 << 20  // config.toml
)

// Rules are what a file must satisfy.
type Rules struct {
	// What names the file in messages ("operators file", "host key").
	What string
	// Secret refuses a file group or others can read, not only write.
	Secret bool
	// Max is the largest size accepted, in bytes.
	Max int64
	// OnlyTypeAndSize skips the owner and mode checks, for a file read
	// before it is known to hold anything private (config.toml).
	OnlyTypeAndSize bool
}

// Read opens path without blocking, checks it against r and returns its
// contents. Every refusal names the file and says how to fix it; a
// missing file's error wraps fs.ErrNotExist.
func Read(path string, r Rules) ([]byte, error) {
	f, err := openNonBlocking(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s %s does not exist: %w", r.What, path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("%s %s: %w", r.What, path, unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.What, path, unwrapPath(err))
	}
	if err := Check(path, fi, r); err != nil {
		return nil, err
	}
	// The size may grow between the stat and the read: read one byte more
	// than allowed to tell.
	data, err := io.ReadAll(io.LimitReader(f, r.Max+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.What, path, unwrapPath(err))
	}
	if int64(len(data)) > r.Max {
		return nil, tooLarge(path, r)
	}
	return data, nil
}

// Check applies r to a file's stat (from Stat or an open file).
func Check(path string, fi fs.FileInfo, r Rules) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s %s is %s, not a regular file; give the path of a file", r.What, path, kind(fi.Mode()))
	}
	if fi.Size() > r.Max {
		return tooLarge(path, r)
	}
	if r.OnlyTypeAndSize {
		return nil
	}
	if err := checkOwner(path, fi, r); err != nil {
		return err
	}
	perm := fi.Mode().Perm()
	if !modeChecked {
		return nil
	}
	if perm&0o022 != 0 {
		return fmt.Errorf("%s %s can be changed by group or others (mode %04o); run: chmod 600 %s", r.What, path, perm, path)
	}
	if r.Secret && perm&0o077 != 0 {
		return fmt.Errorf("%s %s is readable by others (mode %04o); run: chmod 600 %s", r.What, path, perm, path)
	}
	return nil
}

func tooLarge(path string, r Rules) error {
	return fmt.Errorf("%s %s is larger than %s; is it the right file?", r.What, path, size(r.Max))
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// unwrapPath drops the *PathError's own path (the message already names it).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
