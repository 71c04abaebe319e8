package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/session"
)

// testFilterBounds: any filter text gets an answer or ErrFilterTooLong,
// never a database error (issue 20: a NUL, or some 5,000 words, made the
// query fail with "Expression tree is too large").
func testFilterBounds(t *testing.T, tg Target) {
	st := tg.Open(t)
	a := launch(t, st, newClient(), values("desk-nul", "f1"))
	for _, c := range []struct {
		name, text string
		tooLong    bool
		found      bool
	}{
		{"NUL", "desk\x00nul", false, false},
		{"NUL alone", "\x00", false, true},
		{"NUL around a word", "\x00desk-nul\x00", false, true},
		{"invalid UTF-8", "desk-nul \xff\xfe", false, true},
		{"escapes", "\x1b[31mdesk-nul", false, false},
		{"16 words", strings.Repeat("desk ", session.MaxFilterWords), false, true},
		{"10,000 words", strings.Repeat("w ", 10000), true, false},
		{"10,000 long words", strings.Repeat("word ", 10000), true, false},
		{"1 MB", strings.Repeat("x", 1<<20), true, false},
	} {
		q := session.Query{Text: c.text, Limit: 10}
		list, n, err := st.Search(ctx, q, 100)
		_, lerr := st.List(ctx, q)
		_, cerr := st.Count(ctx, q)
		for _, e := range []error{err, lerr, cerr} {
			if c.tooLong {
				if !errors.Is(e, session.ErrFilterTooLong) {
					t.Errorf("%s: %v, want filter too long", c.name, e)
				}
			} else if e != nil {
				t.Errorf("%s: %v, want an answer", c.name, e)
			}
		}
		if c.found && (len(list) != 1 || list[0].ID != a.ID || n != 1) {
			t.Errorf("%s: %d sessions (count %d), want the one", c.name, len(list), n)
		}
	}
	if !strings.Contains(session.ErrFilterTooLong.Error(), "filter too long") {
		t.Errorf("message %q", session.ErrFilterTooLong)
	}
}
