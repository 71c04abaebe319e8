package server

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// writes records each Write as one frame.
type writes struct {
	mu   sync.Mutex
	got  []string
	note chan struct{}
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.got = append(w.got, string(p))
	w.mu.Unlock()
	select {
	case w.note <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *writes) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.got...)
}

func newWrites() *writes { return &writes{note: make(chan struct{}, 16)} }

func TestScreenDrawsChangesOnly(t *testing.T) {
	w := newWrites()
	s := newScreen(w, 40, 10)
	s.show("title\nname: a\nfooter")
	first := w.all()
	if len(first) != 1 {
		t.Fatalf("first view: %d writes, want 1 (set-up and frame in one write)", len(first))
	}
	for _, want := range []string{ansi.SetAltScreenSaveCursorMode, ansi.HideCursor, "title", "name: a", "footer"} {
		if !strings.Contains(first[0], want) {
			t.Errorf("first frame lacks %q: %q", want, first[0])
		}
	}
	// The same view again (a message that changed nothing): no write, now
	// or later.
	s.show("title\nname: a\nfooter")
	s.last = time.Time{}
	s.show("title\nname: a\nfooter")
	if n := len(w.all()); n != 1 {
		t.Fatalf("an unchanged view wrote %d more frames", n-1)
	}
	// One line changed: only it is written.
	s.last = time.Time{} // the interval has passed
	s.show("title\nname: ab\nfooter")
	got := w.all()
	if len(got) != 2 {
		t.Fatalf("a changed line: %d writes, want 2", len(got))
	}
	if f := got[1]; !strings.Contains(f, "name: ab"+ansi.EraseLineRight) || strings.Contains(f, "title") || strings.Contains(f, "footer") || strings.Contains(f, ansi.SetAltScreenSaveCursorMode) {
		t.Errorf("second frame should hold the changed line only: %q", f)
	}
	// Fewer lines: the rest of the screen is erased.
	s.last = time.Time{}
	s.show("title")
	if f := w.all()[2]; !strings.Contains(f, ansi.EraseScreenBelow) {
		t.Errorf("a shorter view should erase below: %q", f)
	}
	// A resize draws every line again; the same size does not.
	s.resize(40, 10)
	s.last = time.Time{}
	s.show("title")
	if n := len(w.all()); n != 3 {
		t.Fatalf("the same size drew again (%d writes)", n)
	}
	s.resize(30, 10)
	s.show("title")
	if f := w.all()[3]; !strings.Contains(f, "title") {
		t.Errorf("after a resize the whole view is drawn: %q", f)
	}
	// Lines wider than the window are cut to it.
	s.last = time.Time{}
	s.show(strings.Repeat("x", 50))
	if f := w.all()[4]; strings.Contains(f, strings.Repeat("x", 31)) || !strings.Contains(f, strings.Repeat("x", 30)) {
		t.Errorf("a line wider than 30 columns was not cut: %q", f)
	}
}

func TestScreenCoalescesWithinInterval(t *testing.T) {
	w := newWrites()
	s := newScreen(w, 40, 10)
	s.show("one")
	<-w.note
	// Views within one frame interval: only the latest is drawn, once.
	s.last = time.Now().Add(time.Hour) // the next frame is far away…
	s.show("two")
	s.show("three")
	if n := len(w.all()); n != 1 {
		t.Fatalf("views inside the interval were drawn at once (%d writes)", n)
	}
	s.close() // …and close draws what is waiting, then gives the terminal back.
	got := w.all()
	if len(got) != 3 {
		t.Fatalf("close: %d writes, want the last view and the tear-down", len(got))
	}
	if strings.Contains(got[1], "two") || !strings.Contains(got[1], "three") {
		t.Errorf("the frame drawn should be the latest view: %q", got[1])
	}
	if !strings.Contains(got[2], ansi.ResetAltScreenSaveCursorMode) || !strings.Contains(got[2], ansi.ShowCursor) {
		t.Errorf("tear-down should leave the alternate screen and show the cursor: %q", got[2])
	}
	s.show("four")
	if n := len(w.all()); n != 3 {
		t.Errorf("a closed screen drew")
	}
}

func TestScreenDrawsWaitingFrame(t *testing.T) {
	w := newWrites()
	s := newScreen(w, 40, 10)
	s.show("one")
	<-w.note
	// The first frame was just written, whatever time the test took: the
	// next view is inside its interval and can only be drawn by the timer.
	s.mu.Lock()
	s.last = time.Now()
	s.mu.Unlock()
	s.show("two")
	if n := len(w.all()); n != 1 {
		t.Fatalf("a view inside the interval was drawn at once (%d writes)", n)
	}
	hang := time.After(time.Minute) // a guard against a timer that never fires, not a measurement
	for len(w.all()) < 2 {
		select {
		case <-w.note:
		case <-hang:
			t.Fatal("the waiting frame was never drawn")
		}
	}
	if f := w.all()[1]; !strings.Contains(f, "two") {
		t.Errorf("the waiting frame: %q", f)
	}
	s.close()
}
