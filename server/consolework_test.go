package server

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// stuckWriter is a desk's connection whose client stopped reading: a
// write waits until the test ends.
type stuckWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	return len(p), nil
}

// TestStalledDesksDoNotStopTheOthers: desks whose terminals stop reading
// (a frozen client, a dead network that has not timed out yet) wait in
// the write of their frames, and the server's console slots (consoleWork)
// must not be held there: more such desks than slots would stop every
// console on the server.
func TestStalledDesksDoNotStopTheOthers(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	for i := range runtime.GOMAXPROCS(0) + 1 {
		w := &stuckWriter{entered: make(chan struct{}), release: release}
		f := &deskFrame{inner: &echoModel{desk: Desk{Name: "stalled"}}, width: 80, height: 24}
		f.screen = newScreen(w, 80, 24)
		go func() {
			f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'a'}})
			f.View() // its frame's write waits
		}()
		select {
		case <-w.entered:
		case <-time.After(waitLong):
			t.Fatalf("stalled desk %d never wrote its frame", i)
		}
	}
	f := &deskFrame{inner: &echoModel{desk: Desk{Name: "desk-1"}}, width: 80, height: 24}
	done := make(chan string)
	go func() {
		f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'x'}})
		done <- f.view()
	}()
	select {
	case v := <-done:
		if want := "keys=[x]"; !strings.Contains(v, want) {
			t.Fatalf("view %q lacks %q", v, want)
		}
	case <-time.After(waitLong):
		t.Fatal("a desk's console waited for the stalled desks' writes")
	}
}
