package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// cmdReport prints the supervisors' figures for a range of launches,
// grouped by desk, operator, provider or day: a table, JSON or CSV,
// streamed from the store's aggregate query (constant memory whatever
// the range).
func cmdReport(args []string, io *IO) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	since := fs.String("since", "", "the range: the last N days, hours or minutes up to now (7d, 24h, 90m); default 7d")
	from := fs.String("from", "", "the range's start: a UTC date (2026-11-02) or an RFC 3339 time")
	to := fs.String("to", "", "the range's end: a UTC date, included whole, or an RFC 3339 time, excluded (default: now)")
	by := fs.String("by", string(session.ByDesk), "group by desk, operator, provider or day (UTC)")
	mode := fs.String("mode", "", "only sandbox or live sessions (default: both)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	asCSV := fs.Bool("csv", false, "print CSV (a header line, then one line per group)")
	store := storeFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usage(*asJSON, "ARGS", fmt.Sprintf("unexpected argument %q: kycdesk report takes only flags", providers.SanitizeLine(pos[0])))
	}
	if *asJSON && *asCSV {
		return usage(true, "--csv", "give either --json or --csv, not both")
	}
	now := time.Now()
	q, err := reportQuery(*since, *from, *to, *by, *mode, now)
	if err != nil {
		return fail(err, *asJSON)
	}
	st, err := openHistory(io, *store)
	if err != nil {
		return fail(err, *asJSON)
	}
	defer st.Close()
	for _, w := range st.Warnings() {
		fmt.Fprintln(io.Err, "store:", providers.SanitizeLine(w))
	}
	rep, ok := st.(session.Reporter)
	if !ok {
		return fail(fmt.Errorf("the store %s computes no reports", st.Location()), *asJSON)
	}
	w := bufio.NewWriterSize(io.Out, 64<<10)
	defer w.Flush()
	rows := rep.Report(context.Background(), q)
	switch {
	case *asJSON:
		err = reportJSON(w, q, rows)
	case *asCSV:
		err = reportCSV(w, q, rows)
	default:
		err = reportTable(w, q, rows)
	}
	if err != nil {
		w.Flush()
		return fail(err, *asJSON)
	}
	return nil
}

// reportQuery checks the flags and makes the range [from, to).
func reportQuery(since, from, to, by, mode string, now time.Time) (session.ReportQuery, error) {
	q := session.ReportQuery{By: session.ReportBy(strings.ToLower(strings.TrimSpace(by))), Now: now}
	bad := func(field, msg string) error {
		return providers.Invalid([]providers.FieldError{{Field: field, Message: msg}})
	}
	known := false
	var names []string
	for _, b := range session.ReportBys {
		known = known || b == q.By
		names = append(names, string(b))
	}
	if !known {
		return q, bad("--by", fmt.Sprintf("%q is not a grouping: use %s", providers.SanitizeLine(by), strings.Join(names, ", ")))
	}
	switch m := providers.Mode(strings.ToLower(strings.TrimSpace(mode))); m {
	case "", providers.ModeSandbox, providers.ModeLive:
		q.Mode = m
	default:
		return q, bad("--mode", fmt.Sprintf("%q is not a mode: use sandbox or live", providers.SanitizeLine(mode)))
	}
	since, from, to = strings.TrimSpace(since), strings.TrimSpace(from), strings.TrimSpace(to)
	switch {
	case since != "" && (from != "" || to != ""):
		return q, bad("--since", "give either --since or --from/--to, not both")
	case to != "" && from == "":
		return q, bad("--from", "--to needs --from (the range's start)")
	case from != "":
		t, err := reportTime(from, false)
		if err != nil {
			return q, bad("--from", err.Error())
		}
		q.From, q.To = t, now
		if to != "" {
			if q.To, err = reportTime(to, true); err != nil {
				return q, bad("--to", err.Error())
			}
		}
		if !q.From.Before(q.To) {
			// Said as typed: a --to date means through the end of that day,
			// which is not a time the operator wrote.
			end := providers.SanitizeLine(to)
			if to == "" {
				end = "now (" + now.UTC().Format(time.RFC3339) + ")"
			}
			if q.From.Equal(q.To) {
				return q, bad("--to", fmt.Sprintf("the range is empty: --from %s and --to %s are the same instant", providers.SanitizeLine(from), end))
			}
			return q, bad("--to", fmt.Sprintf("the range ends (--to %s) before it starts (--from %s)", end, providers.SanitizeLine(from)))
		}
	default:
		if since == "" {
			since = "7d"
		}
		d, err := reportSince(since)
		if err != nil {
			return q, bad("--since", err.Error())
		}
		q.From, q.To = now.Add(-d), now
	}
	return q, nil
}

// reportSince reads 7d, 24h, 90m (or any Go duration).
func reportSince(s string) (time.Duration, error) {
	const hint = "give a length such as 7d, 24h or 90m"
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q is not a length: %s", providers.SanitizeLine(s), hint)
		}
		if days > 100*366 {
			return 0, fmt.Errorf("%q is more than a century", providers.SanitizeLine(s))
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a length: %s", providers.SanitizeLine(s), hint)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: the length must be more than zero", providers.SanitizeLine(s))
	}
	return d, nil
}

// reportTime reads a UTC date or an RFC 3339 time; a date as the range's
// end includes that whole day.
func reportTime(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-02) or an RFC 3339 time (2026-11-02T09:00:00Z)", providers.SanitizeLine(s))
}

// reportColumns are the figures' names in JSON and CSV, after the group's.
var reportColumns = []string{"launched", "approved", "denied", "suspected", "expired", "unknown", "pending",
	"approvalRate", "medianSeconds", "p90Seconds"}

// reportValues are r's figures as JSON numbers (null when there are none).
func reportValues(r session.ReportRow) []string {
	out := make([]string, 0, len(reportColumns))
	for _, n := range []int64{r.Launched, r.Approved, r.Denied, r.Suspected, r.Expired, r.Unknown, r.Pending} {
		out = append(out, strconv.FormatInt(n, 10))
	}
	if rate, ok := r.ApprovalRate(); ok {
		out = append(out, strconv.FormatFloat(math.Round(rate*10000)/10000, 'f', -1, 64))
	} else {
		out = append(out, "null")
	}
	if r.HasTimes {
		out = append(out, seconds(r.Median), seconds(r.P90))
	} else {
		out = append(out, "null", "null")
	}
	return out
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', -1, 64)
}

// reportJSON writes {"from", "to", "by", "rows": [...]} one row at a
// time. A failure half way leaves the object unclosed, so that a script
// cannot take part of the figures for all of them.
func reportJSON(w *bufio.Writer, q session.ReportQuery, rows func(func(session.ReportRow, error) bool)) error {
	head, _ := json.Marshal(struct {
		From string `json:"from"`
		To   string `json:"to"`
		By   string `json:"by"`
	}{q.From.UTC().Format(time.RFC3339), q.To.UTC().Format(time.RFC3339), string(q.By)})
	w.Write(head[:len(head)-1])
	w.WriteString(`,"rows":[`)
	n := 0
	for r, err := range rows {
		if err != nil {
			w.WriteString("\n")
			return err
		}
		if n > 0 {
			w.WriteByte(',')
		}
		key, _ := json.Marshal(r.Key)
		w.WriteString("\n{\"" + string(q.By) + "\":")
		w.Write(key)
		for i, v := range reportValues(r) {
			w.WriteString(`,"` + reportColumns[i] + `":` + v)
		}
		w.WriteByte('}')
		n++
	}
	w.WriteString("\n]}\n")
	return nil
}

// reportCSV writes RFC 4180 CSV that a spreadsheet opens as is: a header,
// empty cells where there is no figure, and no cell that it would take
// for a formula.
func reportCSV(w *bufio.Writer, q session.ReportQuery, rows func(func(session.ReportRow, error) bool)) error {
	c := csv.NewWriter(w)
	c.UseCRLF = true
	c.Write(append([]string{string(q.By)}, reportColumns...))
	for r, err := range rows {
		if err != nil {
			c.Flush()
			return err
		}
		rec := []string{csvCell(r.Key)}
		for _, v := range reportValues(r) {
			if v == "null" {
				v = ""
			}
			rec = append(rec, v)
		}
		if err := c.Write(rec); err != nil {
			return err
		}
	}
	c.Flush()
	return c.Error()
}

// csvCell keeps a name a spreadsheet would evaluate (=, +, -, @) as text.
func csvCell(s string) string {
	s = providers.SanitizeLine(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// reportTable writes the figures for a person: a title, a header and one
// line per group.
func reportTable(w *bufio.Writer, q session.ReportQuery, rows func(func(session.ReportRow, error) bool)) error {
	const layout = "2006-01-02 15:04 UTC"
	mode := ""
	if q.Mode != "" {
		mode = ", " + string(q.Mode) + " only"
	}
	fmt.Fprintf(w, "Sessions launched from %s to %s, by %s%s\n\n", q.From.UTC().Format(layout), q.To.UTC().Format(layout), q.By, mode)
	line := "%-20s %8s %8s %6s %9s %7s %7s %7s %8s %8s %8s\n"
	fmt.Fprintf(w, line, strings.ToUpper(string(q.By)), "LAUNCHED", "APPROVED", "DENIED", "SUSPECTED", "EXPIRED", "UNKNOWN", "PENDING",
		"APPROVAL", "MEDIAN", "P90")
	n := 0
	for r, err := range rows {
		if err != nil {
			return err
		}
		key := providers.SanitizeLine(r.Key)
		if key == "" {
			key = "(local)"
		}
		rate, median, p90 := "–", "–", "–"
		if v, ok := r.ApprovalRate(); ok {
			rate = strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
		}
		if r.HasTimes {
			median, p90 = desk.ShortDuration(r.Median), desk.ShortDuration(r.P90)
		}
		fmt.Fprintf(w, line, clip(key, 20), strconv.FormatInt(r.Launched, 10), strconv.FormatInt(r.Approved, 10),
			strconv.FormatInt(r.Denied, 10), strconv.FormatInt(r.Suspected, 10), strconv.FormatInt(r.Expired, 10),
			strconv.FormatInt(r.Unknown, 10), strconv.FormatInt(r.Pending, 10), rate, median, p90)
		n++
	}
	if n == 0 {
		fmt.Fprintln(w, "(no sessions launched in this range)")
	}
	return nil
}
