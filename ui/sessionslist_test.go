package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// record adds n sandbox sessions of customers prefix-0… to st, oldest first.
func record(t *testing.T, st session.Store, prefix string, n int) {
	t.Helper()
	for i := range n {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/api/v2/token", strings.NewReader(fmt.Sprint(prefix, i)))
		if _, err := st.Intent(context.Background(), session.Intent{Provider: "idenfy", Mode: providers.ModeSandbox,
			Customer: fmt.Sprintf("%s-%03d", prefix, i), Request: req}); err != nil {
			t.Fatal(err)
		}
	}
}

// typeKey types one character into the open filter and returns the
// command it gave (the debounce tick).
func typeKey(t *testing.T, s *sessionsModel, r string) tea.Cmd {
	t.Helper()
	var cmd tea.Cmd
	cmd = s.Update(press(r))
	return cmd
}

// A filter keystroke does not search: the search waits for the debounce,
// runs off the update loop, and a reply to a filter since changed is
// dropped.
func TestFilterIsDebouncedAndDropsStaleResults(t *testing.T) {
	ctx, j := testContext(t, "http://127.0.0.1:1")
	record(t, j, "alpha", 3)
	record(t, j, "beta", 2)
	ctx.Keys = newKeyMap()
	s := newSessions(ctx)
	s.reload()
	if len(s.rows) != 5 {
		t.Fatalf("%d rows", len(s.rows))
	}
	s.Update(press("/"))
	for _, r := range []string{"a", "l", "p"} {
		typeKey(t, &s, r)
	}
	if len(s.rows) != 5 || s.query != "" {
		t.Fatalf("a keystroke searched: %d rows, query %q", len(s.rows), s.query)
	}
	// The tick of an earlier keystroke does nothing.
	if cmd := s.Update(filterTickMsg{n: s.keystroke - 1}); cmd != nil {
		t.Fatal("a stale debounce searched")
	}
	// The latest one searches, in a command.
	cmd := s.Update(filterTickMsg{n: s.keystroke})
	if cmd == nil {
		t.Fatal("the debounce did not search")
	}
	stale := cmd()
	// More is typed while it searches: its reply is dropped.
	typeKey(t, &s, "h")
	s.Update(stale)
	if len(s.rows) != 5 {
		t.Fatalf("a stale reply was shown: %d rows", len(s.rows))
	}
	cmd = s.Update(filterTickMsg{n: s.keystroke})
	s.Update(cmd())
	if len(s.rows) != 3 || s.query != "alph" || s.rows[0].Customer != "alpha-002" {
		t.Fatalf("filter alph: %d rows, query %q", len(s.rows), s.query)
	}
	// Under three characters the list is unfiltered and says why.
	s.Update(press("esc"))
	s.Update(press("/"))
	typeKey(t, &s, "b")
	typeKey(t, &s, "e")
	cmd = s.Update(filterTickMsg{n: s.keystroke})
	s.Update(cmd())
	s.SetSize(120, 20)
	if len(s.rows) != 5 || !strings.Contains(s.View(), "type 3 characters or more") {
		t.Fatalf("short filter: %d rows\n%s", len(s.rows), s.View())
	}
	typeKey(t, &s, "t")
	cmd = s.Update(filterTickMsg{n: s.keystroke})
	s.Update(cmd())
	if len(s.rows) != 2 {
		t.Fatalf("filter bet: %d rows", len(s.rows))
	}
	// Once the filter is closed (enter), the title says it is on.
	s.Update(press("enter"))
	if v := s.View(); !strings.Contains(v, "filter: bet (/ changes it)") {
		t.Fatalf("a kept filter is not said:\n%s", v)
	}
}

// The list reads a page at a time: the cursor reaching the end of what is
// loaded reads the next page, newest first, without repeating a row.
func TestListPages(t *testing.T) {
	ctx, j := testContext(t, "http://127.0.0.1:1")
	record(t, j, "page", ListPage+30)
	ctx.Keys = newKeyMap()
	s := newSessions(ctx)
	s.reload()
	if len(s.rows) != ListPage || s.total != ListPage+30 {
		t.Fatalf("first page: %d rows of %d", len(s.rows), s.total)
	}
	for range ListPage + 40 {
		s.Update(press("down"))
	}
	if len(s.rows) != ListPage+30 {
		t.Fatalf("after paging: %d rows", len(s.rows))
	}
	seen := map[string]bool{}
	for i, r := range s.rows {
		if seen[r.ID] {
			t.Fatalf("row %d repeats %s", i, r.ID)
		}
		seen[r.ID] = true
	}
	if last := s.rows[len(s.rows)-1]; last.Customer != "page-000" {
		t.Errorf("last row %s, want the oldest", last.Customer)
	}
	// A reload (a change) keeps every row read so far.
	s.reload()
	if len(s.rows) != ListPage+30 {
		t.Errorf("after a reload: %d rows", len(s.rows))
	}
}

// u on a session whose outcome is known says what u is for, rather than
// doing nothing.
func TestResumeKeyOnAKnownOutcomeSaysWhy(t *testing.T) {
	ctx, j := testContext(t, "http://127.0.0.1:1")
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/api/v2/token", strings.NewReader("known"))
	s1, err := j.Intent(context.Background(), session.Intent{Provider: "idenfy", Mode: providers.ModeSandbox, Customer: "known-1", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Outcome(context.Background(), s1.ID, session.Outcome{References: map[string]string{"scanRef": "known-ref-1"}}); err != nil {
		t.Fatal(err)
	}
	ctx.Keys = newKeyMap()
	s := newSessions(ctx)
	s.reload()
	if r, ok := s.current(); !ok || r.OutcomeUnknown {
		t.Fatalf("the fixture's session: %+v", r)
	}
	if cmd := s.Update(press("u")); cmd != nil || !strings.Contains(s.flash, "u resumes a session of unknown outcome") {
		t.Fatalf("u on a known outcome: cmd %v, flash %q", cmd != nil, s.flash)
	}
}
