package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// Characters that arrive in one read (fast typing over SSH, a barcode
// scanner, a paste without bracketed paste) reach Bubble Tea v1 as one
// KeyRunes message per word: "ab left cd up ef" comes as ab, space, left,
// space, cd, space, up, space, ef. A word named like a key ("left", "up",
// "end", "tab", "enter") must be typed into the field, not act as that
// key.
func TestWordsNamedLikeKeysAreTyped(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	for _, typed := range []string{"ab left cd up ef", "west end", "x tab y", "go enter now", "pgdown home delete"} {
		m := New(ctx)
		send(m, size(80, 24), press("7"))
		if m.screen != screenForm {
			t.Fatalf("7 did not open the form:\n%s", m.View())
		}
		send(m, readChunks(typed)...)
		if m.screen != screenForm {
			t.Fatalf("%q: a word left the form (screen %d):\n%s", typed, m.screen, m.View())
		}
		if got := m.form.form.Values().Get("clientId"); got != typed {
			t.Errorf("typed %q in one read, the field holds %q", typed, got)
		}
	}
}

// readChunks splits s as Bubble Tea v1's input reader does when s arrives
// in one read: each run of characters up to a space is one KeyRunes
// message, each space a KeySpace.
func readChunks(s string) []tea.Msg {
	var msgs []tea.Msg
	var word []rune
	flush := func() {
		if len(word) > 0 {
			msgs = append(msgs, tea.KeyMsg{Type: tea.KeyRunes, Runes: word})
			word = nil
		}
	}
	for _, r := range s {
		if r == ' ' {
			flush()
			msgs = append(msgs, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		word = append(word, r)
	}
	flush()
	return msgs
}

// ctrl+r on any field goes to review with what was typed so far; a value
// refused there reopens the form on it, as enter at the end does.
func TestReviewNowFromAnyField(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(80, 24), press("7"))
	send(m, readChunks("c1")...)
	send(m, tea.KeyMsg{Type: tea.KeyCtrlR})
	if m.screen != screenReview || m.review.values.Get("clientId") != "c1" {
		t.Fatalf("ctrl+r did not review the typed values (screen %d):\n%s", m.screen, m.View())
	}
	m = New(ctx)
	send(m, size(80, 24), press("7"), tea.KeyMsg{Type: tea.KeyCtrlR})
	if m.screen != screenForm || !strings.Contains(m.View(), "Client ID") {
		t.Fatalf("ctrl+r with the required clientId empty left the form (screen %d):\n%s", m.screen, m.View())
	}
}
