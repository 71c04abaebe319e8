package ui

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
)

// ListPage is how many sessions the list reads at a time: the first page
// shows at once whatever the store holds; the next is read when the
// cursor reaches the end of what is loaded.
const ListPage = 100

// filterDebounce is how long the filter waits after a keystroke before it
// searches: typing never waits for the store, and a search whose text has
// changed since is dropped (its reply carries the keystroke's number).
const filterDebounce = 150 * time.Millisecond

// minFilterWord is the shortest filter word searched for: the store's
// trigram index needs three characters, and a shorter filter (every
// word under three) would read every session; until the third character
// the list stays unfiltered and says so.
const minFilterWord = 3

// sessionsModel is the history as a list with a filter and a detail pane.
type sessionsModel struct {
	ctx       *Context
	rows      []desk.Row
	cursor    int
	offset    int
	filter    textinput.Model
	filtering bool
	detail    bool
	flash     string
	total     int  // matches in all (counted up to desk.CountTo); rows holds the pages read
	more      bool // more matches than total says ("1000+")
	// query is the filter the rows were read with (the text typed may be
	// newer: its search is waiting or under way); keystroke numbers the
	// latest keystroke, so that an older search's reply is dropped.
	query     string
	keystroke int
	searching bool
	// allModes lists the other mode's sessions too (m toggles); by
	// default a console lists only its own mode's.
	allModes bool
	// closing is the reason prompt of x (close out), while it is open.
	closing   textinput.Model
	closingID string
	// read numbers this list's latest read (sessionsReads).
	read uint64
	w, h int
}

var _ component = (*sessionsModel)(nil) // a page of the console (component.go)

func newSessions(ctx *Context) sessionsModel {
	f := textinput.New()
	f.Prompt = "/"
	f.Placeholder = "filter: provider, reference, customer, status"
	c := textinput.New()
	c.Prompt = "reason: "
	c.Placeholder = "why it is closed out (kept in its history)"
	c.CharLimit = 200
	return sessionsModel{ctx: ctx, filter: f, closing: c}
}

func (s *sessionsModel) reload() {
	s.read = sessionsReads.Add(1) // a load under way is older
	p, err := s.ctx.Desk.SessionsPage(context.Background(), s.mode(), s.query, "", max(ListPage, len(s.rows)))
	s.show(p, err, s.currentID())
}

// currentID is the session under the cursor ("" none): the cursor stays
// on the same session when rows move (a new launch is listed first), so
// u, l and enter act on what the operator chose.
func (s *sessionsModel) currentID() string {
	if r, ok := s.current(); ok {
		return r.ID
	}
	return ""
}

// load reads the list again in a command, for a change notice: the
// store's reads are round trips on PostgreSQL, and a served desk's Update
// holds one of the server's console slots. The last load's answer is
// applied (sessionsReadMsg, loaded).
func (s *sessionsModel) load() tea.Cmd {
	s.read = sessionsReads.Add(1)
	d, mode, q, n, read := s.ctx.Desk, s.mode(), s.query, max(ListPage, len(s.rows)), s.read
	return func() tea.Msg {
		p, err := d.SessionsPage(context.Background(), mode, q, "", n)
		return sessionsReadMsg{read: read, page: p, err: err}
	}
}

// sessionsReads numbers the reads of every sessions list, so that an
// answer for a list read again since (or replaced) is dropped.
var sessionsReads atomic.Uint64

// sessionsReadMsg is the list as load read it.
type sessionsReadMsg struct {
	read uint64
	page desk.Page
	err  error
}

// loaded applies a load's answer, the cursor on the session it was on;
// it reports whether it was this list's latest read.
func (s *sessionsModel) loaded(msg sessionsReadMsg) bool {
	if msg.read != s.read {
		return false
	}
	s.show(msg.page, msg.err, s.currentID())
	return true
}

// shown is what a reload may change in the list (compared to redraw only
// when it did).
func (s *sessionsModel) shown() any {
	return [...]any{s.rows, s.total, s.more, s.flash, s.cursor}
}

// mode is the mode listed ("" = every mode).
func (s *sessionsModel) mode() providers.Mode {
	if s.allModes {
		return ""
	}
	return s.ctx.Desk.Mode()
}

// show puts a page read from the start in the list, the cursor on cur.
func (s *sessionsModel) show(p desk.Page, err error, cur string) {
	if err != nil {
		s.flash = "the sessions cannot be read: " + err.Error()
		return
	}
	s.rows, s.total, s.more = p.Rows, p.Total, p.More
	for i, r := range s.rows {
		if r.ID == cur {
			s.cursor = i
		}
	}
	if s.cursor >= len(s.rows) {
		s.cursor = max(0, len(s.rows)-1)
	}
}

// nextPage reads the page after the rows loaded, when the cursor reaches
// their end and more match.
func (s *sessionsModel) nextPage() {
	if s.cursor < len(s.rows)-1 || len(s.rows) == 0 || len(s.rows) >= s.total && !s.more {
		return
	}
	p, err := s.ctx.Desk.SessionsPage(context.Background(), s.mode(), s.query, s.rows[len(s.rows)-1].ID, ListPage)
	if err != nil {
		s.flash = "the sessions cannot be read: " + err.Error()
		return
	}
	s.rows = append(s.rows, p.Rows...)
}

// searchable is the filter to search for: "" while every word of the
// text typed is shorter than minFilterWord (the list stays unfiltered).
func searchable(text string) (string, bool) {
	text = strings.TrimSpace(text)
	for _, w := range strings.Fields(text) {
		if len([]rune(w)) >= minFilterWord {
			return text, true
		}
	}
	return "", text == ""
}

// filterTickMsg: the debounce after keystroke n is over.
type filterTickMsg struct{ n int }

// filterResultMsg is the search after keystroke n.
type filterResultMsg struct {
	n     int
	query string
	page  desk.Page
	err   error
}

// typed schedules the search of the filter typed, after the debounce.
func (s *sessionsModel) typed() tea.Cmd {
	s.keystroke++
	n := s.keystroke
	return tea.Tick(filterDebounce, func(time.Time) tea.Msg { return filterTickMsg{n: n} })
}

// search reads the first page of the filter typed, off the update loop.
func (s *sessionsModel) search() tea.Cmd {
	q, _ := searchable(s.filter.Value())
	d, mode, n := s.ctx.Desk, s.mode(), s.keystroke
	s.searching = true
	return func() tea.Msg {
		p, err := d.SessionsPage(context.Background(), mode, q, "", ListPage)
		return filterResultMsg{n: n, query: q, page: p, err: err}
	}
}

func (s *sessionsModel) SetSize(w, h int) tea.Cmd {
	s.w, s.h = w, h
	// The filter has a line of its own, with room for its hint.
	s.filter.Width = max(10, w-len(filterHint)-4)
	s.closing.Width = max(10, w-len(s.closing.Prompt)-2)
	return nil
}

// filterHint is said while the filter is too short to search.
var filterHint = fmt.Sprintf("(type %d characters or more)", minFilterWord)

func (s *sessionsModel) Typing() bool { return s.filtering || s.closingID != "" }

func (s *sessionsModel) Keys() help.KeyMap {
	k := s.ctx.Keys
	if s.filtering {
		return bindings{short: []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear"))}}
	}
	if s.closingID != "" {
		return bindings{short: []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "close out")), key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))}}
	}
	open := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open / QR"))
	detail := key.NewBinding(key.WithKeys("d", "tab"), key.WithHelp("d", "detail"))
	relaunch := key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "relaunch"))
	resume := key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "resume unknown"))
	return bindings{short: []key.Binding{k.Up, k.Down, open, detail, k.Filter, k.Status, relaunch, resume, k.CloseOut, k.ModeToggle, k.Back}, extra: []key.Binding{k.QuitQ, k.Quit}}
}

func (s sessionsModel) current() (desk.Row, bool) {
	if s.cursor < len(s.rows) {
		return s.rows[s.cursor], true
	}
	return desk.Row{}, false
}

func (s *sessionsModel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case filterTickMsg:
		if msg.n != s.keystroke {
			return nil // more was typed since
		}
		return s.search()
	case filterResultMsg:
		if msg.n != s.keystroke {
			return nil // stale: the filter changed while it searched
		}
		s.read = sessionsReads.Add(1) // a load of the old filter is stale
		s.searching = false
		s.query = msg.query
		s.cursor = 0
		s.show(msg.page, msg.err, "")
		return nil
	case statusMsg:
		s.flash = ""
		if msg.err != nil {
			s.flash = "status of " + msg.sessionID + ": " + providers.AsError(msg.err).Error()
		} else if msg.status != nil { // the desk recorded it, a final state kept
			s.flash = msg.sessionID + " is " + string(msg.status.State)
		}
		s.reload()
		return nil
	case closedOutMsg:
		s.flash = msg.id + " closed out"
		if msg.err != nil {
			s.flash = "not closed out: " + msg.err.Error()
		}
		s.reload()
		return nil
	case tea.KeyMsg:
		k := s.ctx.Keys
		if s.closingID != "" {
			switch msg.String() {
			case "enter":
				if strings.TrimSpace(s.closing.Value()) == "" {
					// The prompt stays: closed, the keys typed next would
					// act on the list (l relaunches, enter opens).
					s.flash = "type why it is closed out (e.g. \"customer left\"), then enter; esc cancels"
					return nil
				}
				id, reason, d := s.closingID, s.closing.Value(), s.ctx.Desk
				s.flash = ""
				s.closingID = ""
				s.closing.Blur()
				return func() tea.Msg { return closedOutMsg{id: id, err: d.CloseOut(id, reason)} }
			case "esc":
				s.closingID = ""
				s.closing.Blur()
				return nil
			}
			var cmd tea.Cmd
			s.closing, cmd = s.closing.Update(msg)
			return cmd
		}
		if s.filtering {
			switch msg.String() {
			case "enter":
				s.filtering = false
				s.filter.Blur()
				return nil
			case "esc":
				s.filtering = false
				s.filter.Blur()
				s.filter.SetValue("")
				s.keystroke++ // a search under way is stale
				s.searching = false
				s.query = ""
				s.reload()
				return nil
			}
			before := s.filter.Value()
			var cmd tea.Cmd
			s.filter, cmd = s.filter.Update(msg)
			if s.filter.Value() == before {
				return cmd
			}
			return tea.Batch(cmd, s.typed())
		}
		switch {
		case key.Matches(msg, k.Back):
			if s.detail {
				s.detail = false
				return nil
			}
			return func() tea.Msg { return goHomeMsg{} }
		case key.Matches(msg, k.Up):
			s.cursor = max(0, s.cursor-1)
		case key.Matches(msg, k.Down):
			s.cursor = min(max(0, len(s.rows)-1), s.cursor+1)
			s.nextPage()
		case key.Matches(msg, k.Filter):
			s.filtering = true
			s.filter.SetValue("") // a new search, not an addition to the last
			s.keystroke++
			s.searching = false
			if s.query != "" {
				s.query = ""
				s.reload()
			}
			focus := s.filter.Focus() // before s is copied out
			return focus
		case msg.String() == "d" || msg.String() == "tab":
			s.detail = !s.detail
		case key.Matches(msg, k.Status):
			return s.refresh()
		case key.Matches(msg, k.ModeToggle):
			s.allModes = !s.allModes
			s.reload()
		case key.Matches(msg, k.CloseOut):
			if r, ok := s.current(); ok && !closed(r) {
				s.closingID = r.ID
				s.closing.SetValue("")
				s.flash = ""               // what was said before is not about this prompt
				focus := s.closing.Focus() // before s is copied out
				return focus
			}
			s.flash = "only a pending, unreachable or unknown session can be closed out"
		case msg.String() == "l":
			if r, ok := s.current(); ok && s.ctx.entry(r.Provider) != nil {
				// A new launch: generated ids (MerchantBizId,
				// authenticationRequestId) are made anew.
				prov, v := r.Provider, withoutGenerated(s.ctx.entry(r.Provider), r.Values)
				note := "relaunching " + r.ID + " as a new session: personal fields are not kept in the history; type them again"
				if r.State == providers.StateSuspected {
					// A flagged customer is not simply tried again.
					note = r.ID + " was SUSPECTED (the provider flagged possible fraud or a mismatch): follow your desk's rules for a flagged customer before verifying them again. " + note
				}
				return func() tea.Msg { return startFormMsg{provider: prov, values: v, note: note} }
			}
		case msg.String() == "u":
			if r, ok := s.current(); ok && r.OutcomeUnknown {
				prov, v, id := r.Provider, r.Values.Clone(), r.ID
				note := "resuming " + r.ID + " (outcome unknown): type the personal fields exactly as before; the same request is re-sent with the same idempotency key"
				return func() tea.Msg { return startFormMsg{provider: prov, values: v, note: note, retryOf: id} }
			}
			s.flash = "u resumes a session of unknown outcome (its request re-sent with the same idempotency key); this one's outcome is known"
		case key.Matches(msg, k.Select):
			if r, ok := s.current(); ok && r.Launch != nil && !r.OutcomeUnknown {
				// Followed where it was launched, whatever this desk's
				// mode and sandbox are now.
				if f, err := s.ctx.Desk.Follow(r.ID); err == nil {
					return func() tea.Msg { return showSessionMsg{follow: f, row: r} }
				} else {
					s.flash = "cannot follow " + r.ID + ": " + err.Error()
				}
			}
			s.detail = true
		}
	}
	return nil
}

// refresh asks the provider for the current session's status, at the
// endpoint and mode the session was launched with (the operator's r,
// limited per session as on the result screen).
func (s sessionsModel) refresh() tea.Cmd {
	r, ok := s.current()
	if !ok || r.Launch == nil {
		return nil
	}
	d, id := s.ctx.Desk, r.ID
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		// At the session's own endpoint; one that does not answer is
		// marked unreachable in the list.
		st, err := d.Refresh(ctx, id)
		return statusMsg{gen: -1, sessionID: id, status: st, err: err}
	}
}

func (s *sessionsModel) View() string {
	st := s.ctx.Styles
	var b strings.Builder
	total := fmt.Sprint(s.total)
	if s.more {
		total += "+"
	}
	name := "Sessions"
	if scope := s.ctx.Desk.Scope(); scope != "" {
		name = strings.ToUpper(scope[:1]) + scope[1:] // an operator's: "Your desk's sessions"
	}
	title := fmt.Sprintf("%s (%s)", name, total)
	if s.more || s.total > len(s.rows) {
		title = fmt.Sprintf("%s (newest %d of %s; / filters)", name, len(s.rows), total)
	}
	if s.query != "" && !s.filtering {
		// A filter kept from an earlier visit is said, or the list looks
		// short for no reason.
		title = truncate(title+" · filter: "+clean(s.query)+" (/ changes it)", max(20, s.w))
	}
	b.WriteString(st.Title.Render(title))
	// Which modes are listed, whole or without its key hint (m is in the
	// key bar): never cut.
	modes := []string{"  " + string(s.ctx.Desk.Mode()) + " only (m: every mode)", "  " + string(s.ctx.Desk.Mode()) + " only"}
	if s.allModes {
		modes = []string{"  every mode (m: " + string(s.ctx.Desk.Mode()) + " only)", "  every mode"}
	}
	for _, m := range append(modes, "") {
		if ansi.StringWidth(title+m) <= s.w || m == "" {
			b.WriteString(st.Subtle.Render(m))
			break
		}
	}
	b.WriteString("\n")
	used := 2 // the title and the column titles
	if s.filtering || s.filter.Value() != "" {
		line := s.filter.View()
		if _, ok := searchable(s.filter.Value()); !ok {
			line += "  " + st.Subtle.Render(filterHint)
		} else if s.searching {
			line += "  " + st.Subtle.Render("searching…")
		}
		b.WriteString(truncate(line, s.w) + "\n")
		used++
	}
	layout, values := sessionRows(s.rows, s.ctx.now(), s.w-1)
	b.WriteString(st.Subtle.Render(truncate(" "+layout.header(), s.w)) + "\n")
	// What is said under the list (a flash, the close-out prompt) is
	// drawn where it is seen: the list gives up its lines for it.
	var under strings.Builder
	if s.flash != "" {
		under.WriteString(st.Subtle.Render(wrap(clean(s.flash), max(20, s.w))) + "\n")
	}
	if s.closingID != "" {
		under.WriteString(st.Warn.Render(wrap("Close out "+s.closingID+": the operator's reason is kept in its history.", max(20, s.w))) + "\n" + s.closing.View() + "\n")
	}
	listH := max(1, s.h-used-strings.Count(under.String(), "\n"))
	if s.detail {
		listH = min(listH, 6)
	}
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+listH {
		s.offset = s.cursor - listH + 1
	}
	for i := s.offset; i < len(s.rows) && i < s.offset+listH; i++ {
		line := layout.line(s.ctx, s.rows[i], values[i])
		if i == s.cursor {
			line = st.Selected.Render("▸") + line
		} else {
			line = " " + line
		}
		b.WriteString(truncate(line, s.w) + "\n")
	}
	if len(s.rows) == 0 {
		b.WriteString(st.Subtle.Render("no sessions") + "\n")
	}
	b.WriteString(under.String())
	if r, ok := s.current(); ok && s.detail {
		b.WriteString("\n" + s.detailView(r))
	}
	return b.String()
}

func (s sessionsModel) detailView(r desk.Row) string {
	st := s.ctx.Styles
	var b strings.Builder
	where := r.Provider + " · " + r.Mode
	if r.Endpoint != "" {
		where += " · " + clean(r.Endpoint)
	}
	b.WriteString(wrap(st.Title.Render("Session "+r.ID)+"  "+where, max(20, s.w)) + "\n")
	if by := actorLabel(r.Operator, r.Desk); by != "" {
		b.WriteString(st.Subtle.Render("launched by ") + by + "\n")
	}
	// Whole, wrapped: what the list leaves out when narrow (the
	// reference an operator reads to the provider's support) is read here.
	w := max(20, s.w)
	if c := desk.ShownCustomer(r.Customer, ""); c != "" {
		b.WriteString(wrap(st.Subtle.Render("customer ")+clean(c), w) + "\n")
	}
	if r.Launch != nil {
		for _, k := range sortedKeys(r.Launch.References) {
			b.WriteString(wrap(st.Subtle.Render(k+" ")+clean(r.Launch.References[k]), w) + "\n")
		}
		if r.Launch.URL != "" {
			b.WriteString(wrap(st.Subtle.Render("URL ")+clean(r.Launch.URL), w) + "\n")
		}
	}
	if r.OutcomeUnknown {
		b.WriteString(st.Warn.Render(wrap("outcome unknown: the request may have reached the provider but no answer was recorded. u resumes it: the same request under the same idempotency key (DWS answers with the authentication it may already have made). l launches anew instead.", max(20, s.w))) + "\n")
	}
	if r.Error != "" {
		b.WriteString(st.Error.Render("error ") + clean(r.Error) + "\n")
	}
	if r.Label != "" {
		b.WriteString(st.Subtle.Render("desk label ") + clean(r.Label) + "\n")
	}
	if r.Unreachable && !closed(r) {
		b.WriteString(st.Warn.Render(wrap("unreachable: the endpoint that issued this session does not answer; x closes it out with a reason", max(20, s.w))) + "\n")
	}
	if r.Resolution != "" {
		b.WriteString(st.Subtle.Render("resolved ") + clean(r.Resolution) + "\n")
	}
	for i, h := range r.History {
		// The source before the detail, so that a long detail cut at the
		// edge never hides where the status came from.
		src := ""
		if i < len(r.Sources) && r.Sources[i] != "" {
			src = st.Subtle.Render("[" + r.Sources[i] + "] ")
		}
		b.WriteString(wrap(st.Subtle.Render(h.At.Local().Format("15:04:05")+" ")+string(h.State)+" "+src+clean(h.Detail), w) + "\n")
	}
	return b.String()
}

// closedOutMsg reports x (close out).
type closedOutMsg struct {
	id  string
	err error
}

// withoutGenerated is what a relaunch starts from (desk.RelaunchValues).
func withoutGenerated(e *desk.Provider, v providers.Values) providers.Values {
	return desk.RelaunchValues(e, v)
}
