package cli

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// recorder is a console that records what it is given.
type recorder struct {
	got   *[]string
	inits *int
}

func (r recorder) Init() tea.Cmd { *r.inits++; return nil }
func (r recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		*r.got = append(*r.got, "size")
	case tea.KeyMsg:
		*r.got = append(*r.got, "key "+msg.String())
	}
	return r, nil
}
func (r recorder) View() string { return "home" }

// The console draws nothing until it is open, then gets, after its Init,
// every message that arrived meanwhile, in order.
func TestOpeningHandsOverWhatArrived(t *testing.T) {
	var got []string
	inits := 0
	rec := recorder{&got, &inits}
	o := &opening{start: func() (tea.Model, error) { return rec, nil }}
	if o.View() != "" {
		t.Fatalf("opening drew %q", o.View())
	}
	o.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	o.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("7")})
	msg := o.Init()()
	m, _ := o.Update(msg)
	if _, ok := m.(recorder); !ok {
		t.Fatalf("after opening the model is %T, want the console", m)
	}
	if inits != 1 || !reflect.DeepEqual(got, []string{"size", "key 7"}) {
		t.Fatalf("Init called %d times, messages %v; want once, [size key 7]", inits, got)
	}
}

// A console that cannot open ends the program (the error is printed
// after it, by cmdConsole).
func TestOpeningQuitsOnError(t *testing.T) {
	o := &opening{start: func() (tea.Model, error) { return nil, errors.New("no store") }}
	m, cmd := o.Update(o.Init()())
	if m != o || cmd == nil {
		t.Fatalf("model %T, cmd %v: want the opening and a command", m, cmd)
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("the command does not quit")
	}
}

// ctrl+c while the store is still opening ends the program at once (the
// console's own keys are not there yet); other keys wait for the console.
func TestOpeningQuitsOnCtrlC(t *testing.T) {
	o := &opening{start: func() (tea.Model, error) { select {} }}
	if _, cmd := o.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}); cmd != nil || o.quit {
		t.Fatal("q quit while opening: it is an early key for the console")
	}
	m, cmd := o.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if m != o || cmd == nil || !o.quit {
		t.Fatalf("ctrl+c: model %T, quit %v", m, o.quit)
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("ctrl+c does not quit")
	}
}

// An opening that takes its time says what it waits for, and how to leave.
func TestOpeningSaysWhatItWaitsFor(t *testing.T) {
	o := &opening{start: func() (tea.Model, error) { select {} }}
	o.Update(slowOpeningMsg{})
	if v := o.View(); !strings.Contains(v, "Opening the session store") || !strings.Contains(v, "ctrl+c") {
		t.Fatalf("slow opening draws %q", v)
	}
	if len(o.waiting) != 0 {
		t.Fatalf("the note was kept for the console: %v", o.waiting)
	}
}
