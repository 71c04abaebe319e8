package ui

import (
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
)

// The preview is the console's home less what the store holds: the same
// profile and provider lines on the same rows, the same keys, the banner
// without the sandbox's address (which comes with the console), and no
// session, count or "none yet" before the store is read. Its desk has no
// store: a read would panic.
func TestPreviewIsHomeWithoutTheStore(t *testing.T) {
	ctx, j, dir := profileContext(t, "http://127.0.0.1:8470", map[string]string{"passport-lt": passportLT, "hk": alibabaTicket})
	ctx.SandboxMsg = "in-process: URLs live while this console runs"
	record(t, j, "walk-in", 3)
	m := New(ctx)
	send(m, size(80, 24))
	home := strings.Split(m.View(), "\n")

	// As cli makes it: providers for a loopback stand-in, no sandbox
	// address, no store.
	pd := testDeskWith(t, providers.ModeSandbox, "http://127.0.0.1", nil, func(o *desk.Options) {
		o.Profiles, o.SandboxURL = desk.ProfileDir{Dir: dir}, ""
	})
	p := NewPreview(&Context{Desk: pd})
	if v := p.View(); v != "" {
		t.Fatalf("the preview drew before the window's size was known:\n%s", v)
	}
	p.Resize(80, 24)
	preview := strings.Split(p.View(), "\n")
	if len(preview) != len(home) {
		t.Fatalf("the preview has %d lines, home %d:\n%s\n--\n%s", len(preview), len(home), strings.Join(preview, "\n"), strings.Join(home, "\n"))
	}
	if strings.Join(strings.Fields(preview[0]), " ") != "kycdesk SANDBOX" || !strings.HasPrefix(strings.Join(strings.Fields(home[0]), " "), "kycdesk SANDBOX http://127.0.0.1:8470 · in-process") {
		t.Fatalf("banners: preview %q, home %q", preview[0], home[0])
	}
	recent := -1
	for i, l := range preview {
		if strings.HasPrefix(l, "Recent sessions (sandbox)") {
			recent = i
			break
		}
	}
	if recent < 5 {
		t.Fatalf("no recent sessions' heading where the list ends:\n%s", strings.Join(preview, "\n"))
	}
	for i := 1; i <= recent; i++ {
		if preview[i] != home[i] {
			t.Fatalf("line %d: preview %q, home %q", i, preview[i], home[i])
		}
	}
	for i := recent + 1; i < len(preview)-1; i++ {
		if strings.TrimSpace(preview[i]) != "" {
			t.Fatalf("line %d under the heading before the store is read: %q", i, preview[i])
		}
	}
	if last := len(home) - 1; preview[last] != home[last] || !strings.Contains(home[last], "quit") {
		t.Fatalf("keys: preview %q, home %q", preview[last], home[last])
	}
	if v := strings.Join(home, "\n"); !strings.Contains(v, "walk-in") {
		t.Fatalf("home does not list the recorded sessions (the comparison shows nothing):\n%s", v)
	}

	p.Note("Opening the session store and the sandbox… (ctrl+c quits)")
	v := p.View()
	if i := strings.Index(v, "Recent sessions"); i < 0 || !strings.Contains(v[i:], "Opening the session store") {
		t.Fatalf("the note is not where the recent sessions will be:\n%s", v)
	}
}

// Like the console, the preview says when the window is too small.
func TestPreviewTooSmall(t *testing.T) {
	p := NewPreview(&Context{Desk: testDesk(t, providers.ModeSandbox, "http://127.0.0.1", nil)})
	p.Resize(40, 10)
	if v := p.View(); !strings.Contains(v, "needs at least 60×16") {
		t.Fatalf("preview at 40x10:\n%s", v)
	}
}
