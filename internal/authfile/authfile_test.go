//go:build unix

package authfile

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var rules = Rules{What: "operators file", Max: 1 << 10}

func TestReadRefusals(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("x\n"), 0o600)
	os.Chmod(open, 0o666)
	readable := filepath.Join(dir, "readable")
	os.WriteFile(readable, []byte("x\n"), 0o600)
	os.Chmod(readable, 0o644)
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 2<<10), 0o600)

	for _, c := range []struct {
		path   string
		secret bool
		want   string
	}{
		{"/dev/zero", false, "/dev/zero is a character device, not a regular file"},
		{fifo, false, "named pipe (FIFO), not a regular file"},
		{dir, false, "is a directory"},
		{open, false, "can be changed by group or others (mode 0666); run: chmod 600 " + open},
		{readable, true, "readable by others (mode 0644); run: chmod 600 " + readable},
		{big, false, "larger than 1 KiB"},
		{filepath.Join(dir, "missing"), false, "does not exist"},
	} {
		r := rules
		r.Secret = c.secret
		// A FIFO with no writer would block a plain open forever; Read
		// returns (the test's own timeout is the bound).
		_, err := Read(c.path, r)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "operators file ") {
			t.Errorf("Read(%s) = %v, want %q", c.path, err, c.want)
		}
	}
	if b, err := Read(readable, rules); err != nil || string(b) != "x\n" {
		t.Errorf("a 0644 list: %q %v", b, err)
	}
}

func TestReadRefusesAnotherOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "operators")
	os.WriteFile(path, []byte("x\n"), 0o600)
	if os.Getuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Skip("running as root without a user nobody to give the file to")
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		if err := os.Chown(path, uid, -1); err != nil {
			t.Fatal(err)
		}
	} else {
		// Not root, so the file cannot be given away: pretend to be
		// another (non-root) user instead.
		me := os.Getuid()
		owner = func() int { return me + 1 }
		defer func() { owner = os.Getuid }()
	}
	_, err := Read(path, rules)
	if err == nil || !strings.Contains(err.Error(), "not to the user running kycdesk") || !strings.Contains(err.Error(), "chown") {
		t.Fatalf("a file of another user: %v", err)
	}
}
