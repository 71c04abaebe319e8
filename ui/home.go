package ui

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/forms"
)

// homeModel lists the desk profiles first (number keys), then the
// providers (the explorer: every parameter), then the most recent
// sessions of this desk's mode.
type homeModel struct {
	ctx      *Context
	cursor   int
	w, h     int
	profiles []desk.DeskProfile
	problems []string // profile files that could not be read, profiles cleaned as read
	recent   []desk.Row
	unknownN int
	// opening: the store is not read yet (Preview): what it holds is
	// left out, and note, when set, says what the console waits for.
	opening bool
	note    string
	// read is the number of the last load started (its answer applies).
	read uint64
}

var _ component = (*homeModel)(nil) // a page of the console (component.go)

// homeItem is one numbered line: a profile or a provider.
type homeItem struct {
	profile  *desk.DeskProfile
	provider *desk.Provider
}

// key is the line's number key (0 = none): see desk.HomeKeys.
func (h homeModel) key(i int, it homeItem) int {
	if it.profile != nil {
		return it.profile.HomeKey
	}
	n := len(h.ctx.entries())
	return desk.ProviderKey(i-len(h.profiles), n)
}

func (i homeItem) disabled() string {
	if i.profile != nil {
		return i.profile.Disabled
	}
	return i.provider.Disabled
}

func newHome(ctx *Context) homeModel {
	h := homeModel{ctx: ctx}
	h.reload()
	h.firstUsable()
	return h
}

// newOpeningHome is home before the store is read (Preview): its
// profiles and providers, on the line newHome starts on.
func newOpeningHome(ctx *Context) homeModel {
	h := homeModel{ctx: ctx, opening: true}
	h.profiles, h.problems = ctx.Desk.Profiles()
	h.firstUsable()
	return h
}

// firstUsable puts the cursor on the first usable line.
func (h *homeModel) firstUsable() {
	for i, it := range h.items() {
		if it.disabled() == "" {
			h.cursor = i
			break
		}
	}
}

func (h *homeModel) reload() {
	h.read = homeReads.Add(1) // a load under way is older
	h.apply(readHome(h.ctx.Desk, h.read))
}

// load reads what home shows in a command, for a change notice: the
// store's reads are round trips on PostgreSQL, and a served desk's Update
// holds one of the server's console slots. The last load's answer is
// applied (homeReadMsg).
func (h *homeModel) load() tea.Cmd {
	h.read = homeReads.Add(1)
	d, read := h.ctx.Desk, h.read
	return func() tea.Msg { return readHome(d, read) }
}

// homeReads numbers the loads of every home, so that an answer for a
// home since replaced is not taken for the current one's.
var homeReads atomic.Uint64

// homeReadMsg is what home shows, as read by load or reload.
type homeReadMsg struct {
	read     uint64
	profiles []desk.DeskProfile
	problems []string
	recent   []desk.Row
	unknownN int
}

func readHome(d *desk.Desk, read uint64) homeReadMsg {
	m := homeReadMsg{read: read}
	m.profiles, m.problems = d.Profiles()
	m.recent = d.Recent(d.Mode(), 5)
	m.unknownN = d.Unknown()
	return m
}

// loaded applies a load's answer; it reports whether it was this home's
// latest.
func (h *homeModel) loaded(msg homeReadMsg) bool {
	if msg.read != h.read {
		return false
	}
	h.apply(msg)
	return true
}

func (h *homeModel) apply(msg homeReadMsg) {
	h.profiles, h.problems, h.recent, h.unknownN = msg.profiles, msg.problems, msg.recent, msg.unknownN
	if n := len(h.items()); h.cursor >= n {
		h.cursor = max(0, n-1)
	}
}

// shown is what a reload may change on home (compared to redraw only
// when it did).
func (h *homeModel) shown() any {
	return [...]any{h.profiles, h.problems, h.recent, h.unknownN, h.cursor}
}

// items are the numbered lines: profiles, then providers.
func (h homeModel) items() []homeItem {
	out := make([]homeItem, 0, len(h.profiles)+len(h.ctx.entries()))
	for i := range h.profiles {
		out = append(out, homeItem{profile: &h.profiles[i]})
	}
	for _, e := range h.ctx.entries() {
		out = append(out, homeItem{provider: e})
	}
	return out
}

func (h *homeModel) SetSize(w, ht int) tea.Cmd { h.w, h.h = w, ht; return nil }

func (h *homeModel) Typing() bool { return false }

// unknown counts sessions whose outcome is unknown, among all sessions.
func (h homeModel) unknown() int { return h.unknownN }

func (h *homeModel) Keys() help.KeyMap {
	k := h.ctx.Keys
	var used []int
	for i, it := range h.items() {
		if n := h.key(i, it); n > 0 {
			used = append(used, n)
		}
	}
	pick := key.NewBinding(key.WithKeys("1"), key.WithHelp(keyRanges(used), "pick"))
	if h.ctx.Desk.Operator() != "" {
		// A served supervisor's board is on the key bar, next to the
		// sessions (the local console's is in help: its bar is full at
		// 80 columns).
		short := append([]key.Binding{k.Up, k.Down, k.Select, pick, k.Sessions}, boardKeys(h.ctx)...)
		return bindings{short: append(short, k.Help, k.QuitQ)}
	}
	return bindings{short: []key.Binding{k.Up, k.Down, k.Select, pick, k.Sessions, k.Help, k.QuitQ}, extra: boardKeys(h.ctx)}
}

// keyRanges names the number keys in use, runs as ranges: "7-9",
// "1,7-9", "1-3,5,7-9" (never a key that opens nothing).
func keyRanges(keys []int) string {
	var in [10]bool
	for _, k := range keys {
		if k >= 1 && k <= 9 {
			in[k] = true
		}
	}
	var parts []string
	for k := 1; k <= 9; k++ {
		if !in[k] {
			continue
		}
		end := k
		for end < 9 && in[end+1] {
			end++
		}
		switch {
		case end == k:
			parts = append(parts, fmt.Sprint(k))
		case end == k+1:
			parts = append(parts, fmt.Sprintf("%d,%d", k, end))
		default:
			parts = append(parts, fmt.Sprintf("%d-%d", k, end))
		}
		k = end
	}
	return strings.Join(parts, ",")
}

func (h *homeModel) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := h.ctx.Keys
	items := h.items()
	n := max(1, len(items))
	switch {
	case key.Matches(km, k.Up):
		h.cursor = (h.cursor + n - 1) % n
	case key.Matches(km, k.Down):
		h.cursor = (h.cursor + 1) % n
	case key.Matches(km, k.Select):
		if h.cursor < len(items) {
			return open(items[h.cursor])
		}
	case key.Matches(km, k.Sessions):
		return func() tea.Msg { return showSessionsMsg{} }
	case key.Matches(km, boardKey) && h.ctx.Desk.Supervisor():
		return func() tea.Msg { return showBoardMsg{} }
	default:
		// digits open a line directly: the profile's number is the first
		// of the three keys from home to a QR
		if s := km.String(); len(s) == 1 && s[0] >= '1' && s[0] <= '9' {
			for i, it := range items {
				if h.key(i, it) == int(s[0]-'0') {
					h.cursor = i
					return open(it)
				}
			}
		}
	}
	return nil
}

// open starts a profile's screen or a provider's form; nil when the line
// is disabled (the reason is shown under the list).
func open(it homeItem) tea.Cmd {
	if it.disabled() != "" {
		return nil
	}
	if it.profile != nil {
		name := it.profile.Name
		return func() tea.Msg { return startProfileMsg{name: name} }
	}
	id := it.provider.Desc.ID
	return func() tea.Msg { return startFormMsg{provider: id} }
}

func (h *homeModel) View() string {
	s := h.ctx.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Start a verification session") + "\n")
	items := h.items()
	line := func(i int, name, rest string, disabled string) {
		cur := "  "
		num := "   "
		if k := h.key(i, items[i]); k > 0 {
			num = fmt.Sprintf("%d  ", k)
		}
		label := num + name
		// The summary cut after a whole word ("docum…" reads as a word).
		rest = forms.Cut(rest, h.w-2-lipgloss.Width(label)-1)
		l := label + " " + s.Subtle.Render(rest)
		switch {
		case disabled != "":
			l = s.Disabled.Render(label + " unavailable: " + disabled)
		case i == h.cursor:
			l = s.Selected.Render(label) + " " + s.Subtle.Render(rest)
		}
		if i == h.cursor {
			cur = s.Selected.Render("▸ ")
		}
		b.WriteString(truncate(cur+l, h.w) + "\n")
	}
	if len(h.profiles) > 0 {
		b.WriteString("\n" + s.Subtle.Render("Desk profiles") + "\n")
	}
	for i, it := range items {
		if it.profile == nil {
			if i == len(h.profiles) {
				if len(h.profiles) > 0 {
					b.WriteString("\n" + s.Subtle.Render("Explorer: every parameter") + "\n")
				} else {
					b.WriteString("\n")
				}
			}
			e := it.provider
			line(i, fmt.Sprintf("%-22s", e.Desc.Name), e.Desc.Summary, e.Disabled)
			continue
		}
		line(i, fmt.Sprintf("%-22s", clean(it.profile.DisplayTitle())), profileSummary(*it.profile), it.profile.Disabled)
	}
	if h.cursor < len(items) {
		if it := items[h.cursor]; it.disabled() != "" { // the whole reason, not the cut one
			name := ""
			if it.profile != nil {
				name = "profile " + it.profile.Name
			} else {
				name = it.provider.Desc.Name
			}
			b.WriteString("\n" + s.Warn.Render(wrap(name+" is unavailable: "+it.disabled(), max(20, h.w))) + "\n")
		}
	}
	for _, p := range h.problems {
		b.WriteString(s.Warn.Render(wrap(p, max(20, h.w))) + "\n")
	}
	if h.opening {
		// Nothing the store holds, rather than "none yet" before it is read.
		b.WriteString("\n" + s.Title.Render("Recent sessions") + s.Subtle.Render(" ("+string(h.ctx.Desk.Mode())+")") + "\n")
		if h.note != "" {
			b.WriteString(s.Subtle.Render(wrap(h.note, max(20, h.w))) + "\n")
		}
		return b.String()
	}
	if p := h.ctx.Desk.Problem(); p != "" {
		b.WriteString("\n" + s.Warn.Render(truncate("store: "+p, h.w)) + "\n")
	}
	if n := h.unknown(); n > 0 {
		b.WriteString("\n" + s.Warn.Render(wrap(fmt.Sprintf("%d session(s) with an unknown outcome: press s, then u to resume or x to close out (the process stopped or the provider did not answer)", n), max(20, h.w))) + "\n")
	}
	b.WriteString("\n" + s.Title.Render("Recent sessions") + s.Subtle.Render(" ("+string(h.ctx.Desk.Mode())+")") + "\n")
	if len(h.recent) == 0 {
		b.WriteString(s.Subtle.Render("none yet — launched sessions are kept in the store") + "\n")
	}
	layout, values := sessionRows(h.recent, h.ctx.now(), h.w)
	for i, r := range h.recent {
		b.WriteString(truncate(layout.line(h.ctx, r, values[i]), h.w) + "\n")
	}
	return b.String()
}

// profileSummary is a profile's line on home: its provider and what it
// asks per customer.
func profileSummary(p desk.DeskProfile) string {
	prov := p.Provider
	if prov == nil {
		return p.Profile.Provider
	}
	var asked []string
	for _, prm := range p.Asked() {
		asked = append(asked, strings.TrimSuffix(forms.Label(prm), " *"))
	}
	if p.Label != "" {
		asked = append(asked, clean(p.Label))
	}
	out := prov.Desc.Name
	if len(asked) > 0 {
		out += " · asks " + strings.Join(asked, ", ")
	}
	return out
}

// modeMark is a mode as the lists show it: SBX or LIVE.
func modeMark(mode string) string {
	if mode == "live" {
		return "LIVE"
	}
	return "SBX"
}

func styleState(ctx *Context, r desk.Row, line string) string {
	s := ctx.Styles
	switch {
	case r.OutcomeUnknown || r.Unreachable:
		return s.Warn.Render(line)
	case r.State == "approved":
		return s.OK.Render(line)
	case r.State == "denied" || r.State == "suspected":
		return s.Error.Render(line)
	}
	return line
}
