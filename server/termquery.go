package server

import (
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"
)

// terminalQueryTimeout bounds the wait for a desk's terminal to answer
// the background and device-attribute queries: a terminal that never
// answers still gets its first frame well within a second.
const terminalQueryTimeout = 400 * time.Millisecond

// deskInput is a session's input read by one goroutine, so the terminal
// query can give up at its deadline without losing (or waiting for) a
// read, and the bytes typed meanwhile reach the console.
type deskInput struct {
	ch      chan []byte // chunks from the session; closed at its end
	done    chan struct{}
	once    sync.Once
	pending []byte
	err     error // set before ch is closed
}

func newDeskInput(r io.Reader) *deskInput {
	in := &deskInput{ch: make(chan []byte, 8), done: make(chan struct{})}
	go in.pump(r)
	return in
}

func (in *deskInput) pump(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := append([]byte(nil), buf[:n]...)
			select {
			case in.ch <- chunk:
			case <-in.done:
				return
			}
		}
		if err != nil {
			in.err = err
			close(in.ch)
			return
		}
	}
}

// close stops the pump (the session's end stops its read).
func (in *deskInput) close() { in.once.Do(func() { close(in.done) }) }

// Read gives the console what the desk typed, without the answers to the
// terminal queries (which may arrive after the query gave up).
func (in *deskInput) Read(p []byte) (int, error) {
	for len(in.pending) == 0 {
		chunk, ok := <-in.ch
		if !ok {
			if in.err != nil {
				return 0, in.err
			}
			return 0, io.EOF
		}
		in.pending = stripAnswers(chunk)
	}
	n := copy(p, in.pending)
	in.pending = in.pending[n:]
	return n, nil
}

var (
	answerBgRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\x1b\]11;rgb:([0-9a-fA-F]{1,4})/([0-9a-fA-F]{1,4})/([0-9a-fA-F]{1,4})(?:\x07|\x1b\\)`)
	})
	answerDA1RE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\x1b\[\?[0-9;]*c`) })
)

func stripAnswers(b []byte) []byte {
	if !strings.Contains(string(b), "\x1b") {
		return b
	}
	b = answerBgRE().ReplaceAll(b, nil)
	return answerDA1RE().ReplaceAll(b, nil)
}

// queryBackground asks the desk's terminal for its background colour and
// its device attributes (every terminal answers DA1, so that answer ends
// the wait), up to terminalQueryTimeout. It reports whether the background
// is dark and whether the terminal said.
func (in *deskInput) queryBackground(out io.Writer) (dark, known bool) {
	if _, err := io.WriteString(out, "\x1b]11;?\x07\x1b[c"); err != nil {
		return true, false
	}
	timer := time.NewTimer(terminalQueryTimeout)
	defer timer.Stop()
	var got []byte
	for !answerDA1RE().Match(got) {
		select {
		case chunk, ok := <-in.ch:
			if !ok {
				in.pending = got
				return true, false
			}
			got = append(got, chunk...)
		case <-timer.C:
			in.pending = stripAnswers(got)
			return backgroundOf(got)
		}
	}
	in.pending = stripAnswers(got)
	return backgroundOf(got)
}

func backgroundOf(b []byte) (dark, known bool) {
	m := answerBgRE().FindSubmatch(b)
	if m == nil {
		return true, false
	}
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(string(m[i+1]), 16, 16)
		c[i] = float64(v) / float64(uint64(1)<<(4*len(m[i+1]))-1)
	}
	hi, lo := max(c[0], c[1], c[2]), min(c[0], c[1], c[2])
	return (hi+lo)/2 < 0.5, true
}

// sessionEnv is the session's environment with its PTY's TERM, for
// termenv's colour profile.
type sessionEnv []string

func (e sessionEnv) Environ() []string { return e }

func (e sessionEnv) Getenv(k string) string {
	for i := len(e) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(e[i], k+"="); ok {
			return v
		}
	}
	return ""
}

// deskRenderer draws for the desk's terminal: its colour profile from its
// TERM, its background from the query.
func deskRenderer(sess ssh.Session, term string, in *deskInput) *lipgloss.Renderer {
	if term == "" || term == "dumb" {
		return lipgloss.NewRenderer(sess, termenv.WithProfile(termenv.Ascii))
	}
	env := sessionEnv(append(sess.Environ(), "TERM="+term))
	r := lipgloss.NewRenderer(sess, termenv.WithEnvironment(env), termenv.WithUnsafe(), termenv.WithColorCache(true))
	dark, _ := in.queryBackground(sess)
	// Set even when unknown: left unset, termenv would ask the terminal
	// again, and wait for it.
	r.SetHasDarkBackground(dark)
	return r
}
