package cli

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IO is the process's streams and environment, replaceable in tests (as
// gh's iostreams). Every command reads the environment through Getenv.
type IO struct {
	In          io.Reader
	Out, Err    io.Writer
	OutIsTTY    bool
	StdinIsTerm bool
	Getenv      func(string) string
	// TTY opens the terminal the operator sits at, for OSC 52 (nil: none).
	TTY func() (io.WriteCloser, error)
}

// System is the real process: stdin, stdout, stderr, the environment.
func System() *IO {
	return &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv,
		OutIsTTY: isTerminal(os.Stdout), StdinIsTerm: isTerminal(os.Stdin),
		TTY: func() (io.WriteCloser, error) { return os.OpenFile("/dev/tty", os.O_WRONLY, 0) }}
}

// Test is an IO over buffers with an empty environment: the test sets
// what the command may see.
func Test() (ios *IO, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IO{In: in, Out: out, Err: errOut, Getenv: func(string) string { return "" }}, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// windowSize is the size of the terminal Out is, as Bubble Tea reads it
// (0, 0: Out is not a terminal).
func (s *IO) windowSize() (int, int) {
	if f, ok := s.Out.(*os.File); ok {
		if w, h, err := term.GetSize(int(f.Fd())); err == nil {
			return w, h
		}
	}
	return 0, 0
}
