//go:build freebsd || linux || netbsd || openbsd || solaris || dragonfly

package clipboard_test

import (
	"os"
	"path/filepath"
	"testing"
)

// kycdesk: the upstream tests need a clipboard utility; a stand-in xclip
// on the PATH (it keeps what it is given in a file) lets them run on any
// machine. It is found because the package looks for its utilities at the
// first read or write, not at initialization.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clipboard-test")
	if err != nil {
		panic(err)
	}
	script := "#!/bin/sh\nf=\"$(dirname \"$0\")/contents\"\ncase \"$1\" in\n-in) cat >\"$f\" ;;\n-out) cat \"$f\" ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(script), 0o755); err != nil {
		panic(err)
	}
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH")) // first: the stand-in, not a real clipboard
	os.Unsetenv("WAYLAND_DISPLAY")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
