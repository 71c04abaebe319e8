package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
)

// columnRows are sessions of each provider, with their real reference
// lengths (a scanRef is a 36-character UUID), a desk label and an
// operator.
func columnRows() []desk.Row {
	rows := []desk.Row{
		{ID: "k7f3q9x2", Provider: "idenfy", Mode: "sandbox", Customer: "desk-0042", Reference: "ec6a7108-8c26-11e9-9758-309c231b1bac",
			State: providers.StatePending, CreatedAt: fixedNow.Add(-90 * time.Second), ExpiresAt: fixedNow.Add(24 * time.Hour)},
		{ID: "k7f3q9x3", Provider: "alibaba", Mode: "sandbox", Customer: strings.Repeat("ab", 32), Label: "T-043", Reference: "hksb7ba1b28130d24e015d0000000001",
			State: providers.StateApproved, CreatedAt: fixedNow.Add(-20 * time.Minute), Operator: "alice", Desk: "desk-12"},
		{ID: "k7f3q9x4", Provider: "dws", Mode: "sandbox", Customer: "****3456", Reference: "2022010519007700000016214020050001",
			State: providers.StatePending, CreatedAt: fixedNow.Add(-3 * time.Hour), ExpiresAt: fixedNow.Add(29*time.Minute + 59*time.Second)},
	}
	for i := range rows {
		rows[i].Endpoint = "http://127.0.0.1:8470"
		rows[i].Launch = &providers.Launch{Provider: rows[i].Provider, References: map[string]string{"ref": rows[i].Reference}}
	}
	return rows
}

func columnsModel(t *testing.T, w, h int) *Model {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	ctx.Now = func() time.Time { return fixedNow }
	m := New(ctx)
	m.screen = screenSessions
	m.sessions.rows = columnRows()
	m.sessions.total = len(m.sessions.rows)
	send(m, size(w, h))
	return m
}

// The sessions list never cuts a value to fit: a reference is whole or
// its column is absent (d shows it whole), and the columns line up under
// their titles at every width.
func TestSessionColumnsKeepTheirValuesWhole(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {120, 40}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m := columnsModel(t, sz[0], sz[1])
			v := ansi.Strip(m.View())
			assertFits(t, v, sz[0], sz[1])
			lines := strings.Split(v, "\n")
			var header string
			for _, l := range lines {
				if strings.HasPrefix(l, " ID ") {
					header = l
				}
			}
			if header == "" {
				t.Fatalf("no column titles:\n%s", v)
			}
			for _, r := range columnRows() {
				var row string
				for _, l := range lines {
					if strings.Contains(l, r.ID) {
						row = l
					}
				}
				if strings.Contains(row, "…") {
					t.Errorf("a value is cut: %q", row)
				}
				whole := strings.Contains(row, r.Reference)
				if strings.Contains(header, "REFERENCE") != whole {
					t.Errorf("reference %s: column shown %v, value whole %v:\n%s", r.Reference, strings.Contains(header, "REFERENCE"), whole, v)
				}
				if whole && ansi.StringWidth(row[:strings.Index(row, r.Reference)]) != strings.Index(header, "REFERENCE") {
					t.Errorf("reference not under its title:\n%s\n%s", header, row)
				}
			}
			if sz[0] >= 120 && !strings.Contains(header, "REFERENCE") {
				t.Errorf("%d columns leave the reference out:\n%s", sz[0], header)
			}
			if !strings.Contains(v, "alice@desk-12") || !strings.Contains(header, "BY") {
				t.Errorf("who launched it at a served desk gave way:\n%s", v)
			}
			if !strings.Contains(header, "AGE") {
				t.Errorf("the age gave way:\n%s", header)
			}
			// d shows every reference whole, wrapped to the window.
			for i := range columnRows() {
				m.sessions.cursor = i
				m.sessions.detail = true
				m.dirty = true
				dv := ansi.Strip(m.View())
				assertFits(t, dv, sz[0], sz[1])
				if ref := columnRows()[i].Reference; !strings.Contains(strings.ReplaceAll(dv, "\n", ""), ref) {
					t.Errorf("d does not show %s whole:\n%s", ref, dv)
				}
			}
		})
	}
}

func TestSessionColumnsGoldens(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			golden.RequireEqual(t, []byte(columnsModel(t, sz[0], sz[1]).View()))
		})
	}
}
