package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/session"
)

// A session row's columns, in order. A value is never cut to fit: a
// window too narrow for a column leaves the whole column out (the
// detail view, d, shows every reference whole). The columns that say
// which session it is and where it stands are always there; the others
// join in the order of keep while they fit: who launched it (at a served
// desk, where a supervisor reads it; absent where no row has one), the
// reference, the age, the mode. At 80 columns a 36-character scanRef
// gives way and the age stays.
var rowColumns = []struct {
	head  string
	width int // 0: as wide as the widest value listed
	keep  int // 0: always shown; else the order in which it joins
	right bool
}{
	{"ID", 9, 0, false},
	{"MODE", 4, 4, false},
	{"PROVIDER", 8, 0, false},
	{"REFERENCE", 0, 2, false},
	{"CUSTOMER", 0, 0, false},
	{"STATUS", 16, 0, false},
	{"AGE", 4, 3, true},
	{"LEFT", 7, 0, false},
	{"BY", 0, 1, false},
}

// colBy is who launched a session: left out when no row says.
const colBy = 8

// The columns whose values are shown: the reference and the customer
// ("#label" for a desk label), never cut unless the customer alone
// overflows the window.
const (
	colReference = 3
	colCustomer  = 4
)

// minCustomer is the narrowest the customer column gets when the
// always-shown columns overflow a window (where a value must be cut).
const minCustomer = 10

// rowLayout is which columns a list shows and how wide each is.
type rowLayout struct {
	keep  []bool
	width []int
}

// rowValues are a session's cells, in rowColumns' order.
func rowValues(r desk.Row, now time.Time) []string {
	st := string(r.State)
	switch {
	case r.OutcomeUnknown:
		st = "outcome unknown"
	case r.Unreachable && !closed(r):
		st = "unreachable"
	case !closed(r) && !r.ExpiresAt.IsZero() && now.After(r.ExpiresAt):
		st = "expired"
	}
	left := ""
	if !closed(r) && !r.ExpiresAt.IsZero() && now.Before(r.ExpiresAt) {
		left = human(r.ExpiresAt.Sub(now))
	}
	// The desk's own label (a ticket number), not what the provider was
	// sent (Alibaba's hash of the customer id).
	cust := desk.ShownCustomer(r.Customer, r.Label)
	return []string{r.ID, modeMark(r.Mode), r.Provider, clean(r.Reference), clean(cust), st, age(now, r.CreatedAt), left, actorLabel(r.Operator, r.Desk)}
}

// closed reports whether nothing more is expected of a session: a final
// result, closed out by the operator (resolved) or failed. It has no time
// left, and there is nothing to close out.
func closed(r desk.Row) bool {
	return session.StateFinal(r.State) || r.Resolution != ""
}

// layoutRows fits the columns of rows (their values, rowValues) in w
// columns (the list's width less its cursor column). The same layout
// draws the header and every row, so the columns line up.
func layoutRows(values [][]string, w int) rowLayout {
	l := rowLayout{keep: make([]bool, len(rowColumns)), width: make([]int, len(rowColumns))}
	for i, c := range rowColumns {
		l.width[i] = c.width
		if c.width == 0 {
			l.width[i] = ansi.StringWidth(c.head)
			for _, v := range values {
				l.width[i] = max(l.width[i], ansi.StringWidth(v[i]))
			}
		}
	}
	used := -1 // no space before the first column
	for i, c := range rowColumns {
		if c.keep == 0 {
			l.keep[i] = true
			used += l.width[i] + 1
		}
	}
	if used > w { // only the customer gives way, cut with an ellipsis
		l.width[colCustomer] = max(minCustomer, l.width[colCustomer]-(used-w))
		used = w
	}
	anyBy := false
	for _, v := range values {
		anyBy = anyBy || v[colBy] != ""
	}
	for level := 1; level <= 4; level++ {
		for i, c := range rowColumns {
			if i == colBy && !anyBy {
				continue
			}
			if c.keep == level && used+l.width[i]+1 <= w {
				l.keep[i] = true
				used += l.width[i] + 1
			}
		}
	}
	return l
}

// header is the column titles.
func (l rowLayout) header() string {
	cells := make([]string, 0, len(rowColumns))
	for i, c := range rowColumns {
		if l.keep[i] {
			cells = append(cells, pad(c.head, l.width[i], c.right))
		}
	}
	return strings.TrimRight(strings.Join(cells, " "), " ")
}

// line is one session's row: its values (rowValues) in the layout's
// columns, styled by its state.
func (l rowLayout) line(ctx *Context, r desk.Row, values []string) string {
	cells := make([]string, 0, len(rowColumns))
	for i, c := range rowColumns {
		if l.keep[i] {
			v := values[i]
			if ansi.StringWidth(v) > l.width[i] {
				v = truncate(v, l.width[i])
			}
			cells = append(cells, pad(v, l.width[i], c.right))
		}
	}
	return styleState(ctx, r, strings.TrimRight(strings.Join(cells, " "), " "))
}

// shows reports whether the layout has column i.
func (l rowLayout) shows(i int) bool { return l.keep[i] }

// sessionRows lays rows out in w columns: the layout and each row's
// values.
func sessionRows(rows []desk.Row, now time.Time, w int) (rowLayout, [][]string) {
	values := make([][]string, len(rows))
	for i, r := range rows {
		values[i] = rowValues(r, now)
	}
	return layoutRows(values, w), values
}

func pad(s string, w int, right bool) string {
	if n := ansi.StringWidth(s); n < w {
		if right {
			return strings.Repeat(" ", w-n) + s
		}
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
