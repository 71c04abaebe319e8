package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/providers"
)

// At 80×24 the QR fills the height: what c and o did is still shown,
// on its own line above the keys, and a failure reads as one.
func TestQRScreenFeedbackShowsAt80x24(t *testing.T) {
	url := startSandbox(t)
	ctx, _ := testContext(t, url)
	m := New(ctx)
	send(m, size(80, 24))
	walkToQR(t, m)
	send(m, press("c"))
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "asked the terminal to copy") {
		t.Fatalf("c gave no visible feedback at 80×24:\n%s", v)
	}
	if strings.Count(v, "\n") > 23 {
		t.Fatalf("the screen is taller than 24 lines:\n%s", v)
	}
	ctx.Open = func(string) error { return errors.New("no display") }
	send(m, press("o"))
	v = ansi.Strip(m.View())
	if !strings.Contains(v, "cannot open a browser here") || strings.Contains(v, "asked the terminal to copy") {
		t.Fatalf("o's failure is not shown at 80×24:\n%s", v)
	}
	if !strings.Contains(v, "c copy URL") {
		t.Fatalf("the keys were pushed off:\n%s", v)
	}
}

func TestFilterHintShowsUntilThreeCharacters(t *testing.T) {
	url := startSandbox(t)
	ctx, _ := testContext(t, url)
	for _, w := range []int{80, 120, 200} {
		m := New(ctx)
		send(m, size(w, 24), press("s"), press("/"), press("a"), press("b"))
		v := ansi.Strip(m.View())
		if !strings.Contains(v, "(type 3 characters or more)") {
			t.Fatalf("%d columns: no hint after two characters:\n%s", w, v)
		}
	}
}

// x on a full list at 80×24: the reason prompt is drawn on screen (the
// list gives up lines for it), so the operator does not type blind; the
// rows keep every value they show whole (a column is dropped instead).
func TestCloseOutPromptVisibleOnAFullList(t *testing.T) {
	url := startSandbox(t)
	ctx, _ := testContext(t, url)
	m := New(ctx)
	send(m, size(80, 24))
	e := m.ctx.entry("idenfy")
	for i := 0; i < 25; i++ {
		if _, err := m.ctx.Desk.Launch(context.Background(), m.ctx.Desk.Draft(e, providers.Values{"clientId": {fmt.Sprintf("full-%d", i)}})); err != nil {
			t.Fatal(err)
		}
	}
	send(m, goHomeMsg{}, press("s"), press("x"))
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "reason: ") || !strings.Contains(v, "Close out ") {
		t.Fatalf("the reason prompt is off-screen:\n%s", v)
	}
	if n := strings.Count(v, "\n") + 1; n > 24 {
		t.Fatalf("%d lines on a 24-line screen", n)
	}
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "full-") && strings.HasSuffix(strings.TrimSpace(l), "…") {
			t.Fatalf("a row's value is cut: %q", l)
		}
	}
	if !strings.Contains(v, "LEFT") || strings.Contains(v, "LE…") {
		t.Fatalf("the time-left column lost its title:\n%s", v)
	}
}

// The quit question and a key bar wider than the window wrap between
// keys, never cut: "y or ctrl+c quits" is read whole at 80×24.
func TestQuitQuestionAndKeyBarsWrapAt80(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(80, 24), press("7"), press("typed-id"), press("ctrl+c"))
	v := ansi.Strip(m.View())
	if !strings.Contains(strings.ReplaceAll(v, "\n", " "), "y or ctrl+c quits, any other key stays.") {
		t.Fatalf("the quit question is cut:\n%s", v)
	}
	if n := strings.Count(v, "\n") + 1; n != 24 {
		t.Fatalf("%d lines on a 24-line screen:\n%s", n, v)
	}
	send(m, press("n"), goHomeMsg{}, press("s"))
	v = ansi.Strip(m.View())
	if strings.Contains(v, "…\n") || strings.HasSuffix(v, "…") || !strings.Contains(v, "esc back") {
		t.Fatalf("the sessions key bar is cut:\n%s", v)
	}
}
