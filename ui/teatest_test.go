package ui

import (
	"bytes"
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/internal/qrscan"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// TestTeatestWholePath runs the real program loop: home → iDenfy form →
// review → launch on the sandbox → the QR, waiting for a visible change
// after each step (huh moves focus through commands, so keys sent back to
// back can land in the wrong field).
func TestTeatestWholePath(t *testing.T) {
	url := startSandbox(t)
	ctx, j := testContext(t, url)
	tm := teatest.NewTestModel(t, New(ctx), teatest.WithInitialTermSize(80, 24))
	var seen bytes.Buffer
	// until reports whether what appears in the output within d; the
	// output seen is consumed, so each wait looks at new frames only.
	until := func(what string, d time.Duration) bool {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			b, _ := io.ReadAll(tm.Output())
			seen.Write(b)
			if i := bytes.Index(seen.Bytes(), []byte(what)); i >= 0 {
				seen.Next(i + len(what)) // what came after the match stays
				return true
			}
			time.Sleep(20 * time.Millisecond)
		}
		return false
	}
	must := func(what string) {
		t.Helper()
		if !until(what, 5*time.Second) {
			t.Fatalf("never saw %q", what)
		}
	}
	must("Start a verification session")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("7")})
	must("essentials")
	tm.Type("teatest-1")
	must("teatest-1")
	// One enter per field, each once the next field is drawn: an enter
	// racing ahead onto review would launch.
	spec := idenfy.Spec()
	var steps []string
	for _, n := range forms.New("iDenfy", spec, nil, false).Essentials[1:] {
		p, _ := spec.Lookup(n)
		steps = append(steps, forms.Label(p))
	}
	for _, want := range append(steps, "Advanced parameters", "Review: the exact request") {
		tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		must(want)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	must("scanRef")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if final.screen != screenResult {
		t.Fatalf("ended on screen %v", final.screen)
	}
	got, err := qrscan.Decode(final.View())
	if err != nil || got != final.result.launch.URL {
		t.Fatalf("QR decodes to %q (%v), URL %q", got, err, final.result.launch.URL)
	}
	if list := j.Sessions(); len(list) != 1 || list[0].Customer != "teatest-1" {
		t.Fatalf("store has %d sessions", len(list))
	}
}

// TestTeatestProfileToQRInThreeKeys runs the real program loop from home
// to the QR through a desk profile: its number, the id (typing), enter.
func TestTeatestProfileToQRInThreeKeys(t *testing.T) {
	url := startSandbox(t)
	ctx, j, _ := profileContext(t, url, map[string]string{"passport-lt": passportLT})
	tm := teatest.NewTestModel(t, New(ctx), teatest.WithInitialTermSize(80, 24))
	var seen bytes.Buffer
	must := func(what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			b, _ := io.ReadAll(tm.Output())
			seen.Write(b)
			if bytes.Contains(seen.Bytes(), []byte(what)) {
				seen.Reset()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("never saw %q", what)
	}
	keys := 0
	must("Passport, Lithuanian")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("1")})
	keys++
	must("profile passport-lt")
	tm.Type("tt-3keys")
	must("tt-3keys")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	keys++
	must("scanRef")
	if keys > 3 {
		t.Fatalf("%d keys besides typing", keys)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	got, err := qrscan.Decode(final.View())
	if err != nil || got != final.result.launch.URL {
		t.Fatalf("QR decodes to %q (%v), URL %q", got, err, final.result.launch.URL)
	}
	if list := j.Sessions(); len(list) != 1 || list[0].Customer != "tt-3keys" {
		t.Fatalf("store has %d sessions", len(list))
	}
}
