package migrations

import (
	"strconv"
	"strings"
	"testing"
)

func TestEveryTokenFilled(t *testing.T) {
	for _, d := range []Dialect{SQLite, Postgres} {
		list, err := d.List()
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		if len(list) == 0 || list[0].Version != 1 {
			t.Fatalf("%s: migrations %v", d.Name, list)
		}
		for i, m := range list {
			if strings.Contains(m.SQL, "{{") {
				t.Errorf("%s %s: a token is left", d.Name, m.Name)
			}
			if i > 0 && m.Version <= list[i-1].Version {
				t.Errorf("%s: versions out of order", d.Name)
			}
		}
	}
}

func TestTextFilter(t *testing.T) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	from, cond, order := SQLite.TextFilter([]string{`ab`, `cust-1`, `say"hi`, `50%`}, arg)
	if !strings.Contains(from, "session_search") || order != "session_search.rowid" {
		t.Errorf("sqlite from %q order %q", from, order)
	}
	if want := `"cust-1" "say""hi" "50%"`; args[0] != want {
		t.Errorf("match = %q, want %q", args[0], want)
	}
	if args[1] != "%ab%" || !strings.Contains(cond, "s.search LIKE $2") {
		t.Errorf("short word: %q, %v", cond, args)
	}
	args = nil
	from, cond, order = Postgres.TextFilter([]string{`ab`, `50%_x\`}, arg)
	if from != "sessions s" || order != "s.num" || strings.Count(cond, "LIKE") != 2 {
		t.Errorf("postgres: %q %q %q", from, cond, order)
	}
	if args[1] != `%50\%\_x\\%` {
		t.Errorf("escaped = %q", args[1])
	}
}
