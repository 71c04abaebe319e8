package server

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// frameInterval is the shortest time between two frames drawn to a desk:
// 120 a second, the rate the consoles ask Bubble Tea for.
const frameInterval = time.Second / 120

// screen draws a served desk's console on its SSH session, in place of
// Bubble Tea's standard renderer (the desk's program runs without one).
// That renderer wakes at the frame rate for every desk whether or not
// anything changed, and once a message left the view as it was (most do:
// a command's answer, a tick, a change the screen does not show) it
// copied and compared the whole frame on each wake until the view changed
// again: a third of a 500-desk serve's CPU and most of its garbage
// (issue 18). Here a frame is drawn when the view changes, at once or at
// the end of the current frame interval, as one write of the same bytes
// the standard renderer writes (the alternate screen, only the lines that
// changed); an idle desk costs nothing.
type screen struct {
	out io.Writer

	mu            sync.Mutex
	width, height int      // the client's window; 0 until known
	view          string   // the latest view the console returned
	drawn         string   // the view on the terminal
	lines         []string // the drawn view's lines (none after a resize: all are drawn again)
	count         int      // how many lines the last frame had
	started       bool     // the terminal is set up (alternate screen)
	closed        bool
	last          time.Time   // when the last frame was written
	timer         *time.Timer // a frame waiting for the interval
	waiting       bool
	buf           bytes.Buffer
}

func newScreen(out io.Writer, width, height int) *screen {
	return &screen{out: out, width: width, height: height}
}

// show takes the console's view after a message: drawn now if the last
// frame is at least frameInterval old, otherwise when it is.
func (s *screen) show(view string) {
	if view == "" {
		view = " " // as the standard renderer: an empty view clears the screen
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.view = view
	if s.closed || s.waiting || view == s.drawn {
		return
	}
	wait := frameInterval - time.Since(s.last)
	if wait <= 0 {
		s.draw()
		return
	}
	s.waiting = true
	if s.timer == nil {
		s.timer = time.AfterFunc(wait, s.tick)
	} else {
		s.timer.Reset(wait)
	}
}

func (s *screen) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting = false
	if !s.closed {
		s.draw()
	}
}

// resize notes the client's window; the next frame is drawn whole, as the
// standard renderer does after a resize. The window the desk connected
// with (its first size message) draws nothing again.
func (s *screen) resize(width, height int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if width == s.width && height == s.height {
		return
	}
	s.width, s.height = width, height
	s.drawn, s.lines = "", nil
}

// close draws the last view if it is not on the terminal yet and gives the
// terminal back as the program's shutdown does (cursor shown, bracketed
// paste and mouse modes off, the main screen).
func (s *screen) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.waiting = false
	if s.view != "" {
		s.draw()
	}
	s.closed = true
	if !s.started {
		return
	}
	s.buf.Reset()
	s.buf.WriteString(ansi.EraseEntireLine + "\r")
	s.buf.WriteString(ansi.ResetBracketedPasteMode + ansi.ShowCursor)
	s.buf.WriteString(ansi.ResetButtonEventMouseMode + ansi.ResetAnyEventMouseMode + ansi.ResetSgrExtMouseMode)
	s.buf.WriteString(ansi.ResetAltScreenSaveCursorMode + ansi.ShowCursor)
	_, _ = s.out.Write(s.buf.Bytes())
}

// draw writes the view's lines that differ from the terminal's, as
// Bubble Tea's standard renderer (v1.3) flushes a frame on the alternate
// screen. s.mu is held.
func (s *screen) draw() {
	if s.view == s.drawn {
		return
	}
	b := &s.buf
	b.Reset()
	if !s.started {
		// The program's start on a terminal: cursor hidden, alternate
		// screen, bracketed paste.
		b.WriteString(ansi.HideCursor)
		b.WriteString(ansi.SetAltScreenSaveCursorMode + ansi.EraseEntireScreen + ansi.CursorHomePosition + ansi.HideCursor)
		b.WriteString(ansi.SetBracketedPasteMode)
		s.started = true
	}
	b.WriteString(ansi.CursorHomePosition)
	lines := strings.Split(s.view, "\n")
	if s.height > 0 && len(lines) > s.height {
		lines = lines[len(lines)-s.height:]
	}
	for i, line := range lines {
		if i < len(s.lines) && s.lines[i] == line {
			if i < len(lines)-1 {
				b.WriteByte('\n')
			}
			continue
		}
		if i == 0 && s.drawn == "" {
			b.WriteByte('\r')
		}
		// One width per line: Truncate measures the line itself, and a
		// line that fits (nearly all) is not measured again.
		w := ansi.StringWidth(line)
		if s.width > 0 && w > s.width {
			line = ansi.Truncate(line, s.width, "")
			w = ansi.StringWidth(line)
		}
		b.WriteString(line)
		if w < s.width {
			b.WriteString(ansi.EraseLineRight)
		}
		if i < len(lines)-1 {
			b.WriteString("\r\n")
		}
	}
	if s.count > len(lines) {
		b.WriteString(ansi.EraseScreenBelow)
	}
	b.WriteString(ansi.CursorPosition(0, len(lines)))
	_, _ = s.out.Write(b.Bytes())
	s.drawn, s.lines, s.count, s.last = s.view, lines, len(lines), time.Now()
}
