package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
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
