package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/providers"
)

// reviewModel shows the exact HTTP request a launch would send, secrets
// masked, with launch / edit / copy-as-curl.
type reviewModel struct {
	ctx      *Context
	draft    *desk.Draft
	entry    *desk.Provider
	values   providers.Values
	text     string // the request as text (from the draft's one request)
	curl     string
	warnings []providers.FieldError
	// confirm is set when a launch needs a second enter (warnings, or a
	// pending live session for the same customer).
	confirm string
	// confirmDup: the confirmation shown names a pending session of the
	// same customer (Desk.Duplicate), which the launch then goes past.
	confirmDup bool
	flash      string
	// retryOf: launching re-sends this unknown-outcome session's request.
	retryOf string
	// saving is the "save as profile" form (p), while it is open.
	saving *profileSave
	err    error
	vp     viewport.Model
	w, h   int
}

var _ component = (*reviewModel)(nil) // a page of the console (component.go)

func newReview(ctx *Context, dr *desk.Draft) reviewModel {
	r := reviewModel{ctx: ctx, draft: dr, entry: dr.Provider, values: dr.Values, retryOf: dr.RetryOf, warnings: dr.Warnings, vp: viewport.New(80, 10)}
	if r.err = dr.Problem(); r.err != nil {
		r.text = providers.AsError(r.err).Error()
	} else {
		r.curl = dr.Curl()
		r.text = dr.Text()
	}
	r.vp.SetContent(r.text)
	return r
}

func (r *reviewModel) SetSize(w, h int) tea.Cmd {
	r.w, r.h = w, h
	r.vp.Width = w // the header wraps to it
	head := strings.Count(r.header(), "\n") + 1
	r.vp.Width, r.vp.Height = w, max(1, h-head)
	r.vp.SetContent(wrapRequest(r.text, max(10, w)))
	if r.saving != nil {
		// The naming form scrolls within what the header leaves, so the
		// field being typed in is on screen at 80x24; huh draws a field's
		// error below its fields (a blank line, then the message, which
		// wraps to two lines at 80 columns): room is kept for it.
		r.saving.form.WithHeight(max(4, h-head-3))
	}
	return nil
}

// wrapRequest wraps the request as shown: a line breaks after a space, a
// comma between JSON members or an & between query parameters, never
// inside a value at a hyphen ("desk-" / "0042" read as two values); a
// piece longer than the line is broken at the edge. Only line breaks are
// added: the bytes are those sent.
func wrapRequest(s string, w int) string {
	var out strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			out.WriteByte('\n')
		}
		col := 0
		for _, piece := range requestPieces(line) {
			pw := ansi.StringWidth(piece)
			if col > 0 && col+pw > w {
				out.WriteByte('\n')
				col = 0
			}
			for pw > w { // longer than a line: broken at the edge
				head := ansi.Truncate(piece, w-col, "")
				out.WriteString(head + "\n")
				piece, col = strings.TrimPrefix(piece, head), 0
				pw = ansi.StringWidth(piece)
			}
			out.WriteString(piece)
			col += pw
		}
	}
	return out.String()
}

// requestPieces splits a line after each space, comma and ampersand.
func requestPieces(line string) []string {
	var pieces []string
	start := 0
	for i := 0; i < len(line); i++ {
		if c := line[i]; c == ' ' || c == ',' || c == '&' {
			pieces = append(pieces, line[start:i+1])
			start = i + 1
		}
	}
	if start < len(line) {
		pieces = append(pieces, line[start:])
	}
	return pieces
}

// Typing: while a profile is being named, keys are its letters.
func (r *reviewModel) Typing() bool { return r.saving != nil }

func (r *reviewModel) Keys() help.KeyMap {
	k := r.ctx.Keys
	if r.saving != nil {
		return bindings{short: []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next / save")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")), k.Quit}}
	}
	return bindings{short: []key.Binding{k.Launch, k.Edit, k.Curl, k.SaveProfile, k.Back, k.Help}, extra: []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Quit}}
}

func (r *reviewModel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case flashMsg:
		r.flash = msg.text
		if msg.err != nil {
			r.flash = "failed: " + msg.err.Error()
		}
		r.SetSize(r.w, r.h) // the header grew: keep the request's end reachable
		return nil
	case profileSavedMsg:
		r.saving = nil
		r.flash = msg.text
		if msg.err != nil {
			r.flash = "profile not saved: " + msg.err.Error()
		}
		r.SetSize(r.w, r.h)
		return nil
	case tea.KeyMsg:
		k := r.ctx.Keys
		if r.saving != nil {
			if key.Matches(msg, k.Back) {
				r.saving = nil
				r.SetSize(r.w, r.h)
				return nil
			}
			return r.saving.update(msg)
		}
		switch {
		case key.Matches(msg, k.Back):
			if r.confirm != "" {
				r.confirm = ""
				return nil
			}
			return r.edit()
		case key.Matches(msg, k.Edit):
			return r.edit()
		case key.Matches(msg, k.SaveProfile):
			if r.err != nil {
				return nil
			}
			r.saving = newProfileSave(r.ctx, r.draft)
			r.SetSize(r.w, r.h)
			return r.saving.init()
		case key.Matches(msg, k.Curl):
			if r.curl == "" {
				return nil
			}
			curl, ctx := r.curl, r.ctx // the command runs off the update loop
			return func() tea.Msg {
				return flashMsg{text: "asked the terminal to copy the request as curl, secrets masked (OSC 52)", err: ctx.Copy(curl)}
			}
		case key.Matches(msg, k.Launch):
			if r.err != nil {
				return nil
			}
			if r.confirm == "" {
				if c := r.needsConfirm(); c != "" {
					r.confirm = c
					r.confirmDup = r.ctx.Desk.Duplicate(r.draft) != ""
					r.SetSize(r.w, r.h)
					return nil
				}
			}
			dr, id, d := r.draft, r.retryOf, r.ctx.Desk
			// Confirmed: a pending session of the same customer the
			// operator saw is launched past (the store records who).
			dr.Confirmed = r.confirmDup
			if id != "" {
				return func() tea.Msg { return retryMsg{draft: dr, sessionID: id} }
			}
			return func() tea.Msg {
				// Confirmed once for a profile: not asked again for it.
				_, _ = d.AcceptWarnings(dr)
				return launchMsg{draft: dr}
			}
		}
	}
	if r.saving != nil { // the naming form's own messages (focus moves)
		return r.saving.update(msg)
	}
	var cmd tea.Cmd
	r.vp, cmd = r.vp.Update(msg)
	return cmd
}

// edit goes back to where the values were typed: a profile's screen, or
// the explorer's form on the field the first warning names.
func (r reviewModel) edit() tea.Cmd {
	if dr := r.draft; dr.Profile != "" && r.retryOf == "" {
		name, label := dr.Profile, dr.Label
		typed := providers.Values{}
		if p, err := r.ctx.Desk.Profile(name); err == nil {
			for _, prm := range p.Asked() {
				if dr.Values.Has(prm.Name) {
					typed.Set(prm.Name, dr.Values.List(prm.Name)...)
				}
			}
		}
		return func() tea.Msg { return startProfileMsg{name: name, typed: typed, label: label} }
	}
	id, v, retryOf := r.entry.Desc.ID, r.values, r.retryOf
	focus := ""
	if len(r.warnings) > 0 {
		focus = r.warnings[0].Field
	}
	return func() tea.Msg { return startFormMsg{provider: id, values: v, retryOf: retryOf, focus: focus} }
}

// needsConfirm returns what the operator must confirm before launching:
// warnings, or a pending live session for the same customer (iDenfy bills
// every token, so a second one for a waiting customer costs money).
func (r reviewModel) needsConfirm() string {
	var parts []string
	if len(r.warnings) > 0 {
		parts = append(parts, fmt.Sprintf("%d warning(s) above", len(r.warnings)))
	}
	if dup := r.ctx.Desk.Duplicate(r.draft); dup != "" {
		parts = append(parts, dup)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + ". Press enter again to launch anyway, esc to stay."
}

func (r reviewModel) header() string {
	s := r.ctx.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Review: the exact request for "+r.entry.Desc.Name) + s.Subtle.Render("  (secrets masked)"))
	if r.retryOf != "" {
		b.WriteString("\n" + s.Warn.Render(wrap("Resuming session "+r.retryOf+": the same request under the same idempotency key; it is refused if the body differs from the first attempt.", max(10, r.vp.Width))))
	}
	for _, w := range r.warnings {
		b.WriteString("\n" + s.Warn.Render(wrap("warning: "+w.Error(), max(10, r.vp.Width))))
	}
	if r.err != nil {
		b.WriteString("\n" + s.Error.Render("cannot build the request"))
	}
	if r.confirm != "" {
		b.WriteString("\n" + s.Warn.Render(wrap(r.confirm, max(10, r.vp.Width))))
	}
	if r.flash != "" {
		b.WriteString("\n" + s.OK.Render(wrap(r.flash, max(10, r.vp.Width))))
	}
	if sk := r.skipped(max(10, r.vp.Width)); sk != "" {
		b.WriteString("\n" + s.Subtle.Render(sk))
	}
	if n := r.ctx.Desk.DeviceNote(r.draft); n != "" {
		b.WriteString("\n" + s.Warn.Render(wrap(n, max(10, r.vp.Width))))
	}
	if r.draft.Profile != "" {
		b.WriteString("\n" + s.Subtle.Render(wrap("profile "+r.draft.Profile+": enter launches; warnings confirmed here are not asked again for it", max(10, r.vp.Width))))
	}
	return b.String()
}

// skipped names the values the form did not ask (a single allowed value,
// an id made per launch) as they go out, in w columns: lines break between
// them, each "name = value (why)" on one line where it fits.
func (r reviewModel) skipped(w int) string {
	var parts []string
	for _, p := range r.entry.Desc.Spec() {
		if forms.Skips(p) && r.values.Has(p.Name) {
			why := "only allowed value"
			if p.Generate != nil {
				why = "generated"
			}
			parts = append(parts, p.Name+" = "+clean(strings.Join(r.values.List(p.Name), ","))+" ("+why+")")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	parts[0] = "not asked: " + parts[0]
	return wrapKeys(parts, " · ", w)
}

func (r *reviewModel) View() string {
	if r.saving != nil {
		return r.header() + "\n" + r.saving.view()
	}
	head := r.header()
	// The request below the header gets what is left of the height; when
	// it does not fit, its last line says so and how to scroll.
	vp := r.vp
	vp.Height = max(1, r.h-strings.Count(head, "\n")-1)
	if r.h == 0 || vp.TotalLineCount() <= vp.Height {
		return head + "\n" + vp.View()
	}
	vp.Height = max(1, vp.Height-1)
	vp.SetYOffset(vp.YOffset) // kept within the new height
	last := min(vp.YOffset+vp.Height, vp.TotalLineCount())
	hint := fmt.Sprintf("lines %d–%d of %d · ↑/↓ pgup/pgdn scroll", vp.YOffset+1, last, vp.TotalLineCount())
	return head + "\n" + vp.View() + "\n" + r.ctx.Styles.Subtle.Render(truncate(hint, max(10, r.w)))
}
