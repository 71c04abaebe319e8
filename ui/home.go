package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/desk"
)

// homeModel is the provider picker with the most recent sessions.
type homeModel struct {
	ctx      *Context
	cursor   int
	w, h     int
	recent   []desk.Row
	unknownN int
}

func newHome(ctx *Context) homeModel {
	h := homeModel{ctx: ctx}
	for i, e := range ctx.entries() { // start on the first usable provider
		if e.Disabled == "" {
			h.cursor = i
			break
		}
	}
	h.reload()
	return h
}

func (h *homeModel) reload() {
	h.recent, _ = h.ctx.Desk.Sessions("", 5)
	h.unknownN = h.ctx.Desk.Unknown()
}

func (h *homeModel) setSize(w, ht int) { h.w, h.h = w, ht }

// unknown counts sessions whose outcome is unknown, among all sessions.
func (h homeModel) unknown() int { return h.unknownN }

func (h homeModel) keys() help.KeyMap {
	k := h.ctx.Keys
	pick := key.NewBinding(key.WithKeys("1", "2", "3"), key.WithHelp("1-"+fmt.Sprint(len(h.ctx.entries())), "pick"))
	return bindings{short: []key.Binding{k.Up, k.Down, k.Select, pick, k.Sessions, k.Help, k.QuitQ}}
}

func (h homeModel) update(msg tea.Msg) (homeModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return h, nil
	}
	k := h.ctx.Keys
	switch {
	case key.Matches(km, k.Up):
		h.cursor = (h.cursor + len(h.ctx.entries()) - 1) % max(1, len(h.ctx.entries()))
	case key.Matches(km, k.Down):
		h.cursor = (h.cursor + 1) % max(1, len(h.ctx.entries()))
	case key.Matches(km, k.Select):
		if h.cursor < len(h.ctx.entries()) && h.ctx.entries()[h.cursor].Disabled == "" {
			id := h.ctx.entries()[h.cursor].Desc.ID
			return h, func() tea.Msg { return startFormMsg{provider: id} }
		}
	case key.Matches(km, k.Sessions):
		return h, func() tea.Msg { return showSessionsMsg{} }
	default:
		// digits pick a provider directly: fast at a desk
		if s := km.String(); len(s) == 1 && s[0] >= '1' && s[0] <= '9' {
			i := int(s[0] - '1')
			if i < len(h.ctx.entries()) && h.ctx.entries()[i].Disabled == "" {
				h.cursor = i
				id := h.ctx.entries()[i].Desc.ID
				return h, func() tea.Msg { return startFormMsg{provider: id} }
			}
		}
	}
	return h, nil
}

func (h homeModel) view() string {
	s := h.ctx.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Start a verification session") + "\n\n")
	for i, e := range h.ctx.entries() {
		cur := "  "
		name := fmt.Sprintf("%d  %-22s", i+1, e.Desc.Name)
		line := name + " " + s.Subtle.Render(e.Desc.Summary)
		switch {
		case e.Disabled != "":
			line = s.Disabled.Render(name + " unavailable: " + e.Disabled)
		case i == h.cursor:
			cur = s.Selected.Render("▸ ")
			line = s.Selected.Render(name) + " " + s.Subtle.Render(e.Desc.Summary)
		}
		if i == h.cursor && e.Disabled != "" {
			cur = s.Selected.Render("▸ ")
		}
		b.WriteString(truncate(cur+line, h.w) + "\n")
	}
	if h.cursor < len(h.ctx.entries()) {
		if e := h.ctx.entries()[h.cursor]; e.Disabled != "" { // the whole reason, not the cut one
			b.WriteString("\n" + s.Warn.Render(wrap(e.Desc.Name+" is unavailable: "+e.Disabled, max(20, h.w))) + "\n")
		}
	}
	if p := h.ctx.Desk.Problem(); p != "" {
		b.WriteString("\n" + s.Warn.Render(truncate("journal: "+p, h.w)) + "\n")
	}
	if n := h.unknown(); n > 0 {
		b.WriteString("\n" + s.Warn.Render(wrap(fmt.Sprintf("%d session(s) with an unknown outcome: press s, then u to resume (the process stopped or the provider did not answer)", n), max(20, h.w))) + "\n")
	}
	b.WriteString("\n" + s.Title.Render("Recent sessions") + "\n")
	if len(h.recent) == 0 {
		b.WriteString(s.Subtle.Render("none yet — launched sessions are kept in the journal") + "\n")
	}
	now := h.ctx.now()
	for _, r := range h.recent {
		b.WriteString(truncate(sessionLine(h.ctx, r, now), h.w) + "\n")
	}
	return b.String()
}

// sessionLine is one session as a list row: id, provider, reference,
// customer, status, age, time left.
func sessionLine(ctx *Context, r desk.Row, now time.Time) string {
	st := string(r.State)
	if r.OutcomeUnknown {
		st = "outcome unknown"
	} else if !r.State.Final() && !r.ExpiresAt.IsZero() && now.After(r.ExpiresAt) {
		st = "expired"
	}
	left := ""
	if !r.State.Final() && !r.ExpiresAt.IsZero() && now.Before(r.ExpiresAt) {
		left = human(r.ExpiresAt.Sub(now)) + " left"
	}
	ref := r.Reference
	if len(ref) > 14 {
		ref = ref[:13] + "…"
	}
	cust := r.Customer
	if len(cust) > 14 {
		cust = cust[:13] + "…"
	}
	line := fmt.Sprintf("%-9s %-8s %-14s %-14s %-16s %4s %s", r.ID, r.Provider, clean(ref), clean(cust), st, age(now, r.CreatedAt), left)
	if by := actorLabel(r.Operator, r.Desk); by != "" {
		line += "  " + by
	}
	return styleState(ctx, r, line)
}

func styleState(ctx *Context, r desk.Row, line string) string {
	s := ctx.Styles
	switch {
	case r.OutcomeUnknown:
		return s.Warn.Render(line)
	case r.State == "approved":
		return s.OK.Render(line)
	case r.State == "denied" || r.State == "suspected":
		return s.Error.Render(line)
	}
	return line
}
