package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/barchart"
	"github.com/NimbleMarkets/ntcharts/sparkline"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/session"
)

// The supervisors' board: the network at a glance (the desks connected
// now, the sessions that need attention, the figures of a range per desk,
// operator or provider, launches per hour and the result mix as charts).
// It reads aggregates (desk.Board); a change on the feed reads it again,
// at most once per boardRefresh (and per five times the last reading's
// time), so that a busy network does not make it re-run its queries at
// every result.

// boardRefresh is the least time between two readings caused by changes.
const boardRefresh = time.Second

// boardPoll: while the board is shown it is read again this often with no
// change on the feed, for what no session's change announces — desks
// connecting and leaving, and the ages of what needs attention.
const boardPoll = 5 * time.Second

// boardPollMsg is boardPoll's tick.
type boardPollMsg struct{}

type boardModel struct {
	ctx     *Context
	rng     desk.BoardRange
	by      session.ReportBy
	data    *desk.Board
	err     error
	gen     int  // the reading asked for last
	loading bool // a reading is under way
	// stale: a change came while a reading was under way or too soon
	// after the last one; queued: a delayed reading is on its way.
	stale, queued bool
	polling       bool          // a boardPollMsg is on its way
	last          time.Time     // when the last reading started
	took          time.Duration // how long it took
	cursor        int           // in Attention
	charts        *chartCache   // shared by the model's copies
	detail        bool          // the selected session's detail is open
	flash         string
	w, h          int
}

var _ component = (*boardModel)(nil) // a page of the console (component.go)

// boardKey opens the board from home (supervisors, and the local console).
var boardKey = key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "board"))

// boardKeys is home's board key, for the help of a desk that may open it.
func boardKeys(ctx *Context) []key.Binding {
	if ctx.Desk.Supervisor() {
		return []key.Binding{boardKey}
	}
	return nil
}

// NewBoard is the console opened on the board (kycdesk board): esc goes
// to its home.
func NewBoard(ctx *Context) *Model {
	m := New(ctx)
	m.screen = screenBoard
	ctx.Desk.SetActivity("board")
	return m
}

// showBoardMsg opens the board.
type showBoardMsg struct{}

// boardMsg handles the board's messages, wherever the console is: a
// reading that arrives after the board was left is kept for its return.
func (m *Model) boardMsg(msg tea.Msg) tea.Cmd {
	switch msg.(type) {
	case showBoardMsg:
		return tea.Batch(m.show(screenBoard), m.board.load(), m.board.poll())
	case boardPollMsg:
		m.board.polling = false
		if m.screen != screenBoard { // left: the ticks stop here
			m.dirty = false
			return nil
		}
		return tea.Batch(m.board.changed(), m.board.poll())
	}
	if m.screen != screenBoard {
		m.dirty = false
	}
	return m.board.Update(msg)
}

// poll schedules the next boardPollMsg, unless one is on its way.
func (b *boardModel) poll() tea.Cmd {
	if b.polling {
		return nil
	}
	b.polling = true
	return tea.Tick(boardPoll, func(time.Time) tea.Msg { return boardPollMsg{} })
}

type boardLoadedMsg struct {
	gen   int
	board *desk.Board
	err   error
}

// boardAgainMsg is a reading delayed by boardRefresh.
type boardAgainMsg struct{}

func newBoard(ctx *Context) boardModel {
	return boardModel{ctx: ctx, rng: desk.RangeToday, by: session.ByDesk, charts: &chartCache{}}
}

var boardGroupings = []session.ReportBy{session.ByDesk, session.ByOperator, session.ByProvider}

// load reads the board in the background.
func (b *boardModel) load() tea.Cmd {
	b.gen++
	b.loading, b.stale, b.last = true, false, time.Now()
	gen, d, rng, by := b.gen, b.ctx.Desk, b.rng, b.by
	return func() tea.Msg {
		data, err := d.Board(context.Background(), rng, by)
		return boardLoadedMsg{gen: gen, board: data, err: err}
	}
}

// changed is a change on the feed: read again, at most once per
// boardRefresh.
func (b *boardModel) changed() tea.Cmd {
	if b.loading {
		b.stale = true
		return nil
	}
	// A range that takes long to read (30 days of a busy network) is read
	// again less often: at most a fifth of the time goes to reading.
	if wait := max(boardRefresh, 5*b.took) - time.Since(b.last); wait > 0 {
		if b.queued {
			return nil
		}
		b.queued = true
		return tea.Tick(wait, func(time.Time) tea.Msg { return boardAgainMsg{} })
	}
	return b.load()
}

func (b *boardModel) Keys() help.KeyMap {
	k := b.ctx.Keys
	rng := key.NewBinding(key.WithKeys("t", "w", "m"), key.WithHelp("t/w/m", "today/7d/30d"))
	by := key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "group by"))
	open := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open"))
	return bindings{short: []key.Binding{k.Up, k.Down, open, rng, by, k.Back}, extra: []key.Binding{k.QuitQ, k.Quit}}
}

func (b *boardModel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case boardLoadedMsg:
		if msg.gen != b.gen {
			return nil
		}
		b.loading, b.took = false, time.Since(b.last)
		b.data, b.err = msg.board, msg.err
		if b.data != nil {
			b.cursor = min(b.cursor, max(0, len(b.data.Attention)-1))
		}
		if b.stale {
			return b.changed()
		}
		return nil
	case boardAgainMsg:
		b.queued = false
		return b.changed()
	case tea.KeyMsg:
		k := b.ctx.Keys
		switch {
		case key.Matches(msg, k.Back):
			if b.detail {
				b.detail = false
				return nil
			}
			return func() tea.Msg { return goHomeMsg{} }
		case key.Matches(msg, k.Up):
			b.cursor = max(0, b.cursor-1)
		case key.Matches(msg, k.Down):
			if b.data != nil {
				b.cursor = min(max(0, len(b.data.Attention)-1), b.cursor+1)
			}
		case msg.String() == "t", msg.String() == "w", msg.String() == "m":
			b.rng = map[string]desk.BoardRange{"t": desk.RangeToday, "w": desk.Range7d, "m": desk.Range30d}[msg.String()]
			return b.load()
		case msg.String() == "g":
			for i, g := range boardGroupings {
				if g == b.by {
					b.by = boardGroupings[(i+1)%len(boardGroupings)]
					break
				}
			}
			return b.load()
		case key.Matches(msg, k.Select):
			a, ok := b.selected()
			if !ok {
				return nil
			}
			r := a.Row
			if r.Launch != nil && !r.OutcomeUnknown {
				if f, err := b.ctx.Desk.Follow(r.ID); err == nil {
					return func() tea.Msg { return showSessionMsg{follow: f, row: r, back: showBoardMsg{}} }
				} else {
					b.flash = "cannot follow " + r.ID + ": " + err.Error()
				}
			}
			b.detail = !b.detail
		}
	}
	return nil
}

func (b boardModel) selected() (desk.Attention, bool) {
	if b.data == nil || b.cursor >= len(b.data.Attention) {
		return desk.Attention{}, false
	}
	return b.data.Attention[b.cursor], true
}

func (b *boardModel) SetSize(w, h int) tea.Cmd { b.w, b.h = w, h; return nil }

func (b *boardModel) Typing() bool { return false }

// chartStyles are the charts' colours, drawn for the desk's terminal
// (plain blocks in NO_COLOR: the numbers beside them carry the figures).
type chartStyles struct {
	bar                                                  lipgloss.Style
	approved, denied, suspected, expired, unknown, pendg lipgloss.Style
}

func (b boardModel) chartStyles() chartStyles {
	r := b.ctx.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	c := func(col string) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(col)) }
	return chartStyles{bar: c("12"), approved: c("10"), denied: c("9"), suspected: c("214"), expired: c("8"), unknown: c("13"), pendg: c("14")}
}

func (b *boardModel) View() string {
	st := b.ctx.Styles
	w, h := max(b.w, 40), max(b.h, 10)
	var out []string
	add := func(lines ...string) { out = append(out, lines...) }
	by := map[session.ReportBy]string{session.ByDesk: "desk", session.ByOperator: "operator", session.ByProvider: "provider"}[b.by]
	head := st.Title.Render("Board") + st.Subtle.Render(" · "+string(b.rng)+" (t/w/m) · by "+by+" (g)")
	if b.loading {
		head += st.Subtle.Render(" · reading…")
	}
	add(head)
	if b.err != nil {
		add(st.Error.Render(truncate("the board cannot be read: "+b.err.Error(), w)))
		return strings.Join(out, "\n")
	}
	if b.data == nil {
		return strings.Join(out, "\n")
	}
	d := b.data
	t := d.Total
	rate, times := "–", ""
	if v, ok := t.ApprovalRate(); ok {
		rate = strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	}
	if t.HasTimes {
		times = " · to a result: median " + desk.ShortDuration(t.Median) + ", p90 " + desk.ShortDuration(t.P90)
	}
	add(truncate(fmt.Sprintf("%d launched · approval %s%s", t.Launched, rate, times), w))

	// The charts are drawn once per reading and size (ntcharts draws
	// cell by cell): a key that moves the cursor redraws only the lists.
	key := chartKey{data: d, w: w, h: h}
	if b.charts.key != key {
		*b.charts = chartCache{key: key, lines: b.chartLines(w, h)}
	}
	add(b.charts.lines...)

	// Budget the lists to the height left.
	left := h - len(out)
	table := b.tableLines(w)
	att := b.attentionLines(w)
	desks := append(b.nearLines(w), b.deskLines(w)...)
	sections := [][]string{table, att, desks}
	share := []int{len(table), len(att), len(desks)}
	for sum(share) > left {
		i := largest(share)
		if share[i] <= 2 {
			break
		}
		share[i]--
	}
	for i, s := range sections {
		n := min(share[i], len(s))
		if n < len(s) && n >= 2 {
			s = append(s[:n-1:n-1], st.Subtle.Render(fmt.Sprintf("  … %d more", len(sections[i])-n+1)))
		}
		add(s[:min(n, len(s))]...)
	}
	if b.detail {
		if a, ok := b.selected(); ok {
			r := a.Row
			box := []string{st.Title.Render("Session " + r.ID), fmt.Sprintf("%s · %s · launched %s by %s", r.Provider, r.Mode,
				r.CreatedAt.Local().Format("2006-01-02 15:04"), orLocal(actorLabel(r.Operator, r.Desk))),
				"state: " + string(r.State) + " · " + a.Why}
			if r.Error != "" {
				box = append(box, "last error: "+clean(r.Error))
			}
			box = append(box, st.Subtle.Render("esc closes · resume or close it out from the sessions list (s at home)"))
			out = append(out[:max(1, len(out)-len(box))], box...)
		}
	}
	if b.flash != "" {
		out = append(out, st.Warn.Render(truncate(b.flash, w)))
	}
	return strings.Join(out, "\n")
}

func (b boardModel) tableLines(w int) []string {
	st := b.ctx.Styles
	name := map[session.ReportBy]string{session.ByDesk: "DESK", session.ByOperator: "OPERATOR", session.ByProvider: "PROVIDER"}[b.by]
	line := "%-12s %6s %5s %5s %5s %5s %5s %5s %6s %6s %6s"
	lines := []string{st.Title.Render(truncate(fmt.Sprintf(line, name, "LAUNCH", "APPR", "DENY", "SUSP", "EXP", "UNKN", "PEND", "RATE", "MEDIAN", "P90"), w))}
	for _, r := range b.data.Rows {
		rate, med, p90 := "–", "–", "–"
		if v, ok := r.ApprovalRate(); ok {
			rate = strconv.FormatFloat(v*100, 'f', 0, 64) + "%"
		}
		if r.HasTimes {
			med, p90 = desk.ShortDuration(r.Median), desk.ShortDuration(r.P90)
		}
		key := clean(r.Key)
		if key == "" {
			key = "(local)"
		}
		lines = append(lines, truncate(fmt.Sprintf(line, truncate(key, 12), itoa64(r.Launched), itoa64(r.Approved), itoa64(r.Denied),
			itoa64(r.Suspected), itoa64(r.Expired), itoa64(r.Unknown), itoa64(r.Pending), rate, med, p90), w))
	}
	if len(b.data.Rows) == 0 {
		lines = append(lines, st.Subtle.Render("no sessions launched "+rangeWords(b.rng)))
	}
	return lines
}

func (b boardModel) attentionLines(w int) []string {
	st := b.ctx.Styles
	a := b.data.Attention
	more := ""
	if b.data.AttentionMore {
		more = "+, the newest"
	}
	lines := []string{st.Title.Render(fmt.Sprintf("Needs attention (%d%s)", len(a), more))}
	if len(a) == 0 {
		for _, l := range strings.Split(wrap("nothing: no session of unknown outcome, none pending past its provider's usual time", max(20, w)), "\n") {
			lines = append(lines, st.Subtle.Render(l))
		}
		return lines
	}
	now := b.ctx.now()
	for i, x := range a {
		r := x.Row
		cur := "  "
		if i == b.cursor {
			cur = st.Selected.Render("▸ ")
		}
		lines = append(lines, cur+truncate(fmt.Sprintf("%-8s %-7s %-22s %5s ago  %s", r.ID, r.Provider, clean(x.Why),
			age(now, r.CreatedAt), orLocal(actorLabel(r.Operator, r.Desk))), w-2))
	}
	return lines
}

// chartKey is what the charts are drawn from.
type chartKey struct {
	data *desk.Board
	w, h int
}

// chartCache holds the charts' lines for one reading and size; the model
// is copied on every update, the cache is shared.
type chartCache struct {
	key   chartKey
	lines []string
}

// chartLines draws the result mix and the launches per hour.
func (b boardModel) chartLines(w, h int) []string {
	st := b.ctx.Styles
	d, t := b.data, b.data.Total
	var out []string
	// The result mix: one bar per outcome, its count beside it.
	cs := b.chartStyles()
	mix := []struct {
		name string
		n    int64
		s    lipgloss.Style
	}{{"approved", t.Approved, cs.approved}, {"denied", t.Denied, cs.denied}, {"suspected", t.Suspected, cs.suspected},
		{"expired", t.Expired, cs.expired}, {"unknown", t.Unknown, cs.unknown}, {"pending", t.Pending, cs.pendg}}
	tall := h >= 34
	if tall {
		bc := barchart.New(min(w, 60), len(mix), barchart.WithHorizontalBars(), barchart.WithNoAxis(), barchart.WithBarGap(0), barchart.WithBarWidth(1))
		var data []barchart.BarData
		maxN := int64(1)
		for _, m := range mix {
			maxN = max(maxN, m.n)
		}
		for _, m := range mix {
			data = append(data, barchart.BarData{Values: []barchart.BarValue{{Name: m.name, Value: float64(m.n), Style: m.s}}})
		}
		bc.SetMax(float64(maxN))
		bc.PushAll(data)
		bc.Draw()
		bars := strings.Split(bc.View(), "\n")
		out = append(out, st.Title.Render("Result mix"))
		for i, m := range mix {
			line := fmt.Sprintf("%-9s %6d ", m.name, m.n)
			if i < len(bars) {
				line += bars[i]
			}
			out = append(out, truncate(line, w))
		}
	} else {
		// One stacked bar, the legend under it.
		width := min(w, 72)
		bc := barchart.New(width, 1, barchart.WithHorizontalBars(), barchart.WithNoAxis(), barchart.WithBarGap(0), barchart.WithBarWidth(1))
		var vals []barchart.BarValue
		var legend []string
		for _, m := range mix {
			vals = append(vals, barchart.BarValue{Name: m.name, Value: float64(m.n), Style: m.s})
			legend = append(legend, fmt.Sprintf("%s %d", m.name, m.n))
		}
		bc.SetMax(float64(max(t.Launched, 1)))
		bc.Push(barchart.BarData{Values: vals})
		bc.Draw()
		out = append(out, strings.Split(bc.View(), "\n")[0])
		out = append(out, truncate(strings.Join(legend, " · "), w))
	}

	// Launches per hour, last 24 hours: a sparkline per provider.
	out = append(out, st.Title.Render("Launches per hour, last 24 h"))
	sparkH := 1
	if tall {
		sparkH = 2
	}
	for _, p := range d.Hours {
		sl := sparkline.New(24, sparkH, sparkline.WithStyle(cs.bar))
		sl.PushAll(p.Counts)
		sl.Draw()
		total, peak := 0.0, 0.0
		for _, c := range p.Counts {
			total += c
			peak = max(peak, c)
		}
		lines := strings.Split(sl.View(), "\n")
		for i, l := range lines {
			label := ""
			if i == len(lines)-1 {
				label = fmt.Sprintf(" %d in 24 h, peak %d/h", int(total), int(peak))
			}
			name := ""
			if i == 0 {
				name = p.Provider
			}
			out = append(out, truncate(fmt.Sprintf("%-8s %s%s", name, l, label), w))
		}
	}

	return out
}

// nearLines are the desks and operators close to a quota.
func (b boardModel) nearLines(w int) []string {
	st := b.ctx.Styles
	if len(b.data.Near) == 0 {
		return nil
	}
	lines := []string{st.Title.Render(fmt.Sprintf("Near their quota (%d)", len(b.data.Near)))}
	for _, n := range b.data.Near {
		window := "hour"
		if strings.HasSuffix(n.Limit, "_day") {
			window = "day"
		}
		line := fmt.Sprintf("  %s: %d of %d this %s (%s)", clean(n.Who), n.Count, n.Max, window, n.Limit)
		if n.Count >= n.Max {
			// When it resets is the point of the line: wrapped, not cut.
			line += "; refused until " + n.Resets.UTC().Format("15:04") + " UTC"
			for _, l := range strings.Split(wrap(line, max(20, w)), "\n") {
				if !strings.HasPrefix(l, "  ") {
					l = "  " + l
				}
				lines = append(lines, st.Warn.Render(l))
			}
		} else {
			lines = append(lines, truncate(line, w))
		}
	}
	return lines
}

func (b boardModel) deskLines(w int) []string {
	st := b.ctx.Styles
	n := b.data.Network
	if n == nil {
		return []string{st.Subtle.Render(truncate("Desks connected now: known to kycdesk serve (b at a supervisor's desk)", w))}
	}
	lines := []string{st.Title.Render(fmt.Sprintf("Desks connected now (%d)", len(n.Desks)))}
	for _, d := range n.Desks {
		since := "–"
		if !d.Since.IsZero() {
			since = d.Since.Local().Format("15:04")
		}
		lines = append(lines, truncate(fmt.Sprintf("  %-12s %-12s since %s  %s", clean(d.Desk), clean(d.Operator), since, clean(d.Doing)), w))
	}
	var bad []string
	for p, c := range n.BadCallbacks {
		if c > 0 {
			bad = append(bad, fmt.Sprintf("%s %d", p, c))
		}
	}
	if len(bad) > 0 {
		lines = append(lines, st.Warn.Render(truncate("callbacks refused (bad signature or token) since start: "+strings.Join(slices.Sorted(slices.Values(bad)), ", "), w)))
	}
	return lines
}

func rangeWords(r desk.BoardRange) string {
	if r == desk.RangeToday {
		return "today"
	}
	return "in the last " + string(r)
}

func orLocal(s string) string {
	if s == "" {
		return "local"
	}
	return s
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}

func largest(xs []int) int {
	i := 0
	for j, x := range xs {
		if x > xs[i] {
			i = j
		}
	}
	return i
}

// doing says what the console shows, for the supervisors' board.
func (m *Model) doing() string {
	switch m.screen {
	case screenHome:
		return "home"
	case screenForm:
		if m.form.entry != nil {
			return "form: " + m.form.entry.Desc.Name
		}
		return "form"
	case screenProfile:
		return "profile " + m.profile.prof.Name
	case screenReview:
		return "review"
	case screenLaunching:
		return "launching"
	case screenResult:
		id := ""
		if m.result.follow != nil {
			id = m.result.follow.ID
		}
		if m.result.isChallenge() {
			return "code entry for " + id
		}
		return "QR of " + id
	case screenError:
		return "an error"
	case screenSessions:
		return "sessions list"
	case screenBoard:
		return "board"
	}
	return ""
}
