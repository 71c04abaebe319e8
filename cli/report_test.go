package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// reportStore is a store holding storetest's report fixture.
func reportStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.db")
	st, err := session.OpenStore(path, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	storetest.ReportFixture(t, st)
	st.Close()
	return path
}

// The fixture's figures by provider over its two days, now: the pending
// dws session's expiry has passed, so it counts as expired.
const reportByProviderJSON = `{"from":"2025-03-03T00:00:00Z","to":"2025-03-05T00:00:00Z","by":"provider","rows":[
{"provider":"alibaba","launched":3,"approved":0,"denied":1,"suspected":0,"expired":1,"unknown":1,"pending":0,"approvalRate":0,"medianSeconds":300,"p90Seconds":1800},
{"provider":"dws","launched":2,"approved":1,"denied":0,"suspected":0,"expired":1,"unknown":0,"pending":0,"approvalRate":1,"medianSeconds":45,"p90Seconds":45},
{"provider":"idenfy","launched":7,"approved":3,"denied":0,"suspected":1,"expired":1,"unknown":2,"pending":0,"approvalRate":0.75,"medianSeconds":60,"p90Seconds":120}
]}
`

func TestReportJSON(t *testing.T) {
	isolate(t)
	path := reportStore(t)
	r := run0(t, "report", "--from", "2025-03-03", "--to", "2025-03-04", "--by", "provider", "--json", "--store", path)
	if r.out != reportByProviderJSON {
		t.Errorf("report --json:\n%s\nwant\n%s", r.out, reportByProviderJSON)
	}
	oneJSON(t, r.out)
	// By operator: the local console's sessions have no operator (null
	// figures where there is nothing to measure).
	r = run0(t, "report", "--from", "2025-03-03T00:00:00Z", "--to", "2025-03-05T00:00:00Z", "--by", "operator", "--json", "--store", path)
	var got struct {
		From, To, By string
		Rows         []map[string]any
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatal(err)
	}
	if got.By != "operator" || len(got.Rows) != 4 {
		t.Fatalf("by operator: %s", r.out)
	}
	local := got.Rows[0]
	if local["operator"] != "" || local["launched"] != 1.0 || local["unknown"] != 1.0 || local["approvalRate"] != nil ||
		local["medianSeconds"] != nil || local["p90Seconds"] != nil {
		t.Errorf("the local row: %v", local)
	}
	if alice := got.Rows[1]; alice["operator"] != "alice" || alice["approvalRate"] != 0.6667 || alice["medianSeconds"] != 120.0 ||
		alice["expired"] != 1.0 || alice["pending"] != 0.0 {
		t.Errorf("alice: %v", alice)
	}
	// The live sessions: none, an empty list.
	r = run0(t, "report", "--from", "2025-03-03", "--mode", "live", "--json", "--store", path)
	if !strings.HasSuffix(r.out, `"rows":[
]}
`) || !strings.Contains(r.out, `"by":"desk"`) {
		t.Errorf("no live sessions:\n%s", r.out)
	}
}

func TestReportCSV(t *testing.T) {
	isolate(t)
	path := reportStore(t)
	r := run0(t, "report", "--from", "2025-03-03", "--to", "2025-03-04", "--by", "day", "--csv", "--store", path)
	want := "day,launched,approved,denied,suspected,expired,unknown,pending,approvalRate,medianSeconds,p90Seconds\r\n" +
		"2025-03-03,6,3,1,1,0,1,0,0.6,60,300\r\n" +
		"2025-03-04,6,1,0,0,3,2,0,1,90,1800\r\n"
	if r.out != want {
		t.Errorf("report --csv:\n%q\nwant\n%q", r.out, want)
	}
	r = run0(t, "report", "--from", "2025-03-03", "--to", "2025-03-04", "--csv", "--store", path)
	recs, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantRecs := [][]string{
		{"desk", "launched", "approved", "denied", "suspected", "expired", "unknown", "pending", "approvalRate", "medianSeconds", "p90Seconds"},
		{"", "1", "0", "0", "0", "0", "1", "0", "", "", ""},
		{"desk-1", "6", "3", "1", "0", "1", "1", "0", "0.75", "60", "300"},
		{"desk-2", "5", "1", "0", "1", "2", "1", "0", "0.5", "90", "1800"},
	}
	if !slices.EqualFunc(recs, wantRecs, slices.Equal) {
		t.Errorf("by desk: %q", recs)
	}
}

func TestReportTable(t *testing.T) {
	isolate(t)
	path := reportStore(t)
	r := run0(t, "report", "--from", "2025-03-03", "--to", "2025-03-04", "--store", path)
	for _, want := range []string{
		"Sessions launched from 2025-03-03 00:00 UTC to 2025-03-05 00:00 UTC, by desk",
		"DESK                 LAUNCHED APPROVED DENIED SUSPECTED EXPIRED UNKNOWN PENDING APPROVAL   MEDIAN      P90",
		"(local)                     1        0      0         0       0       1       0        –        –        –",
		"desk-1                      6        3      1         0       1       1       0    75.0%    1m00s    5m00s",
		"desk-2                      5        1      0         1       2       1       0    50.0%    1m30s   30m00s",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("report lacks %q:\n%s", want, r.out)
		}
	}
	r = run0(t, "report", "--since", "1h", "--store", path)
	if !strings.Contains(r.out, "(no sessions launched in this range)") {
		t.Errorf("an empty range:\n%s", r.out)
	}
}

func TestReportFlags(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		since, from, to, by, mode string
		field                     string // "" valid
		wantFrom, wantTo          time.Time
	}{
		{by: "desk", wantFrom: now.Add(-7 * 24 * time.Hour), wantTo: now},
		{since: "30d", by: "Provider", wantFrom: now.Add(-30 * 24 * time.Hour), wantTo: now},
		{since: "90m", by: "day", wantFrom: now.Add(-90 * time.Minute), wantTo: now},
		{from: "2026-12-01", by: "desk", wantFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), wantTo: now},
		{from: "2026-12-01", to: "2026-12-01", by: "desk", wantFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
			wantTo: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)},
		{from: "2026-12-01T09:00:00+01:00", to: "2026-12-01T10:00:00Z", by: "desk", wantFrom: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
			wantTo: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)},
		{since: "7d", from: "2026-12-01", by: "desk", field: "--since"},
		{to: "2026-12-01", by: "desk", field: "--from"},
		{from: "yesterday", by: "desk", field: "--from"},
		{from: "2026-12-02", to: "2026-12-01", by: "desk", field: "--to"},
		{from: "2026-12-01", to: "12/02/2026", by: "desk", field: "--to"},
		{since: "0d", by: "desk", field: "--since"},
		{since: "-3h", by: "desk", field: "--since"},
		{since: "week", by: "desk", field: "--since"},
		{since: "99999999d", by: "desk", field: "--since"},
		{by: "colour", field: "--by"},
		{by: "desk", mode: "prod", field: "--mode"},
	} {
		q, err := reportQuery(tc.since, tc.from, tc.to, tc.by, tc.mode, now)
		if tc.field != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.field+": ") && !strings.Contains(err.Error(), tc.field) {
				t.Errorf("%+v: err %v, want one about %s", tc, err, tc.field)
			}
			continue
		}
		if err != nil || !q.From.Equal(tc.wantFrom) || !q.To.Equal(tc.wantTo) {
			t.Errorf("%+v: %v..%v, %v", tc, q.From, q.To, err)
		}
	}
	// A range the wrong way round, or empty, is said with the values as
	// typed (a --to date's end of day is not a time anyone wrote).
	if _, err := reportQuery("", "2026-12-07", "2026-12-01", "desk", "", now); err == nil ||
		!strings.Contains(err.Error(), "--to 2026-12-01") || !strings.Contains(err.Error(), "--from 2026-12-07") || strings.Contains(err.Error(), "12-02") {
		t.Errorf("a reversed range: %v", err)
	}
	if _, err := reportQuery("", "2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z", "desk", "", now); err == nil || !strings.Contains(err.Error(), "range is empty") {
		t.Errorf("an empty range: %v", err)
	}
	isolate(t)
	for _, args := range [][]string{
		{"report", "--json", "--csv"},
		{"report", "extra"},
		{"report", "--by", "week"},
	} {
		if r := cli(t, nil, args...); r.code != 2 || r.err == "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.err)
		}
	}
}

func TestBoardFlags(t *testing.T) {
	isolate(t)
	if r := cli(t, nil, "board", "extra"); r.code != 2 || !strings.Contains(r.err, "kycdesk board takes only flags") {
		t.Errorf("board extra: exit %d, stderr %q", r.code, r.err)
	}
	if r := cli(t, nil, "board", "--help"); r.code != 0 || !strings.Contains(r.out, "Usage: kycdesk board") || !strings.Contains(r.out, "--store") {
		t.Errorf("board --help: exit %d\n%s", r.code, r.out)
	}
}
