package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/crypto/ssh"
)

// term is one desk's SSH session with a pty: what the server drew, as a
// terminal receives it, and the answers a real terminal gives to the
// renderer's queries.
type term struct {
	conn  *ssh.Client
	sess  *ssh.Session
	stdin io.WriteCloser

	mu   sync.Mutex
	out  bytes.Buffer
	last time.Time // arrival of the latest output
	grew chan struct{}
	done chan struct{} // closed when the session's output ends

	// lines is the output since the mark as text lines, split as it
	// arrives (await and from, on the desk's goroutine only).
	lines lineSplit
}

// lineSplit splits terminal output into text lines as it arrives: each
// byte once, not the whole screen again for every chunk (the tool shares
// the machine with the server it measures: its CPU counts against the
// server's figures, issue 18).
type lineSplit struct {
	split   int      // bytes of the output split so far
	done    []string // the complete lines, escape sequences removed
	partial string   // the output after the last line break, as it came
}

// lineBreak finds the first line break in s: the renderer's cursor
// movements (CSI, parameters of digits, ';' and '?', and a final H f A B C
// D G J K or d), CR and LF. It returns where the break starts and ends, or
// -1. A sequence cut off at the end of s is not one yet: its rest comes
// with the next chunk. (A regular expression did this: a third of the
// tool's CPU in a lockstep burst went to its backtracking.)
func lineBreak(s string) (int, int) {
	for i := 0; ; {
		k := strings.IndexAny(s[i:], "\x1b\r\n")
		if k < 0 {
			return -1, -1
		}
		i += k
		if s[i] != '\x1b' {
			return i, i + 1
		}
		j := i + 1
		if j < len(s) && s[j] == '[' {
			j++
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == '?') {
				j++
			}
			if j < len(s) && strings.IndexByte("HfABCDGJKd", s[j]) >= 0 {
				return i, j + 1
			}
		}
		i++
	}
}

// add splits more output, which follows what was split before.
func (ls *lineSplit) add(more string) {
	ls.split += len(more)
	s := ls.partial + more
	start := 0
	for {
		b, e := lineBreak(s[start:])
		if b < 0 {
			break
		}
		if l := ansi.Strip(s[start : start+b]); l != "" {
			ls.done = append(ls.done, l)
		}
		start += e
	}
	ls.partial = s[start:]
}

// last is the line being drawn ("" none), escape sequences removed.
func (ls *lineSplit) last() string { return ansi.Strip(ls.partial) }

func dialTerm(addr, user string, signer ssh.Signer, w, h int, timeout time.Duration) (*term, error) {
	conn, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: timeout})
	if err != nil {
		return nil, err
	}
	sess, err := conn.NewSession()
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := sess.RequestPty("xterm-256color", h, w, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		conn.Close()
		return nil, err
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		conn.Close()
		return nil, err
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		conn.Close()
		return nil, err
	}
	t := &term{conn: conn, sess: sess, stdin: stdin, grew: make(chan struct{}, 1), done: make(chan struct{})}
	if err := sess.Shell(); err != nil {
		conn.Close()
		return nil, err
	}
	go t.read(stdout)
	return t, nil
}

// read keeps the output, answering the background-colour and device
// attribute queries as a terminal does (the console waits for them).
func (t *term) read(r io.Reader) {
	defer close(t.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			t.mu.Lock()
			t.out.Write(chunk)
			t.last = time.Now()
			t.mu.Unlock()
			select {
			case t.grew <- struct{}{}:
			default:
			}
			if bytes.Contains(chunk, []byte("\x1b]11;?")) {
				io.WriteString(t.stdin, "\x1b]11;rgb:0000/0000/0000\x07")
			}
			if bytes.Contains(chunk, []byte("\x1b[c")) {
				io.WriteString(t.stdin, "\x1b[?62;22c")
			}
		}
		if err != nil {
			return
		}
	}
}

func (t *term) close() { t.conn.Close() }

// from makes later waits look only at what is drawn from now on; it also
// drops what is before, so a desk's buffer stays one screen or so.
func (t *term) from() {
	t.mu.Lock()
	t.out.Reset()
	t.mu.Unlock()
	t.lines = lineSplit{}
}

// send writes keys and returns when they were written.
func (t *term) send(keys string) (time.Time, error) {
	_, err := io.WriteString(t.stdin, keys)
	return time.Now(), err
}

// textLines is terminal output as text lines (escape sequences removed;
// the renderer writes each changed line whole).
func textLines(s string) []string {
	var ls lineSplit
	ls.add(s)
	if l := ls.last(); l != "" {
		return append(ls.done, l)
	}
	return ls.done
}

var errTimeout = errors.New("timed out")

// await waits until a line drawn after the mark matches rx; it returns
// the line and when the output that showed it arrived. Each line is split
// and matched once per await, as output arrives.
func (t *term) await(rx *regexp.Regexp, timeout time.Duration) (string, time.Time, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	matched := 0 // t.lines.done already matched against rx
	look := func() (string, time.Time, bool) {
		t.mu.Lock()
		more, last := string(t.out.Bytes()[t.lines.split:]), t.last
		t.mu.Unlock()
		t.lines.add(more)
		for ; matched < len(t.lines.done); matched++ {
			if l := t.lines.done[matched]; rx.MatchString(l) {
				return l, last, true
			}
		}
		if l := t.lines.last(); l != "" && rx.MatchString(l) {
			return l, last, true
		}
		return "", last, false
	}
	for {
		if l, last, ok := look(); ok {
			return l, last, nil
		}
		select {
		case <-t.grew:
		case <-t.done:
			// Output may have grown just before the end: one last look.
			if l, last, ok := look(); ok {
				return l, last, nil
			}
			return "", time.Time{}, fmt.Errorf("session ended waiting for /%s/", rx)
		case <-timer.C:
			return "", time.Time{}, fmt.Errorf("%w after %v waiting for /%s/", errTimeout, timeout, rx)
		}
	}
}

// tail is the last n text lines drawn after the mark, for error reports.
func (t *term) tail(n int) string {
	t.mu.Lock()
	s := t.out.String()
	t.mu.Unlock()
	l := textLines(s)
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}
