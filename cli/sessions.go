package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/jsonw"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/session"
)

func cmdSessions(args []string, io *IO) error {
	fs := flag.NewFlagSet("sessions", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object")
	store := storeFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usage(*asJSON, "ARGS", fmt.Sprintf("unexpected argument %q: kycdesk sessions takes no arguments (kycdesk status SESSION shows one)", providers.SanitizeLine(pos[0])))
	}
	st, err := openHistory(io, *store)
	if err != nil {
		return fail(err, *asJSON)
	}
	defer st.Close()
	// What opening the store fixed or skipped (an imported journal's torn
	// lines) goes to stderr in both modes: a script reading --json must
	// not take a partial history for the whole.
	for _, w := range st.Warnings() {
		fmt.Fprintln(io.Err, "store:", providers.SanitizeLine(w))
	}
	// Streamed, newest first: a million sessions print in constant memory.
	w := bufio.NewWriterSize(io.Out, 64<<10)
	defer w.Flush()
	now := time.Now()
	if *asJSON {
		if err := streamJSON(w, listRows(st)); err != nil {
			return fail(err, true)
		}
		return nil
	}
	fmt.Fprintf(w, "%-9s %-8s %-8s %-36s %-16s %-16s %-16s %s\n", "SESSION", "PROVIDER", "MODE", "REFERENCE", "CUSTOMER", "STATUS", "CREATED", "BY")
	reg := catalog.All()
	for s, err := range st.All(context.Background(), session.Query{}) {
		if err != nil {
			w.Flush()
			return fail(err, false)
		}
		state := string(s.State)
		if !s.Final() && s.Expired(now) {
			state = "expired"
		}
		ref := s.Reference()
		if d, ok := reg.Get(s.Provider); ok {
			ref = d.Reference(s.References())
		}
		by := ""
		if s.Operator != "" || s.Desk != "" {
			by = providers.SanitizeLine(s.Operator + "@" + s.Desk)
		}
		fmt.Fprintf(w, "%-9s %-8s %-8s %-36s %-16s %-16s %-16s %s\n", s.ID, s.Provider, s.Mode, providers.SanitizeLine(ref),
			clip(providers.SanitizeLine(desk.ShownCustomer(s.Customer, s.Extra[desk.LabelKey])), 16), state, s.CreatedAt.Local().Format("2006-01-02 15:04"), by)
	}
	return nil
}

// listRows streams every session as the list prints it: from the
// store's own listing when it has one (reading only what is printed),
// else from whole sessions.
func listRows(st session.Store) iter.Seq2[*session.ListRow, error] {
	if l, ok := st.(interface {
		ListRows(context.Context) iter.Seq2[*session.ListRow, error]
	}); ok {
		return l.ListRows(context.Background())
	}
	return func(yield func(*session.ListRow, error) bool) {
		for s, err := range st.All(context.Background(), session.Query{}) {
			if err != nil {
				yield(nil, err)
				return
			}
			r := session.RowOf(s)
			if !yield(&r, nil) {
				return
			}
		}
	}
}

// streamJSON writes {"sessions": [...]} one session at a time, each as
// json.MarshalIndent(v, "    ", "  ") writes the object of launchJSON's
// members but the challenge, with the customer, the desk label ("" =
// none), the creation time and who launched it at a served desk (""
// locally), keys in order (cli tests compare with encoding/json's bytes).
// A failure half way leaves the object unclosed, so that a script cannot
// mistake part of the history for all of it.
func streamJSON(w *bufio.Writer, rows iter.Seq2[*session.ListRow, error]) error {
	w.WriteString("{\n  \"sessions\": [")
	n := 0
	buf := make([]byte, 0, 1024)
	for r, err := range rows {
		if err != nil {
			w.WriteString("\n")
			w.Flush()
			return err
		}
		if n > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n    ")
		buf = appendListJSON(buf[:0], r)
		w.Write(buf)
		n++
	}
	if n > 0 {
		w.WriteString("\n  ")
	}
	w.WriteString("]\n}\n")
	return nil
}

// appendListJSON appends one session of the list, at the list's indent.
func appendListJSON(b []byte, r *session.ListRow) []byte {
	const in = "\n      " // the list's prefix and one level
	member := func(b []byte, key string) []byte {
		b = append(b, in...)
		b = append(b, key...)
		return append(b, ": "...)
	}
	str := func(b []byte, key, v string) []byte {
		return append(jsonw.AppendString(member(b, key), v), ',')
	}
	orNull := func(b []byte, key string, ok bool, v string) []byte {
		if !ok {
			return append(member(b, key), "null,"...)
		}
		return str(b, key, v)
	}
	b = append(b, '{')
	b = str(b, `"createdAt"`, r.CreatedAt.UTC().Format(time.RFC3339))
	b = str(b, `"customer"`, r.Customer)
	b = str(b, `"desk"`, r.Desk)
	if r.Launched && r.DeviceSource != "" { // deviceJSON, its members in its order
		b = append(member(b, `"device"`), "{"+in+"  \"source\": "...)
		b = jsonw.AppendString(b, providers.SanitizeLine(r.DeviceSource))
		if t := providers.SanitizeLine(r.DeviceType); t != "" {
			b = append(b, ","+in+"  \"deviceType\": "...)
			b = jsonw.AppendString(b, t)
		}
		b = append(b, in+"},"...)
	}
	b = orNull(b, `"expiresAt"`, r.Launched && !r.ExpiresAt.IsZero(), r.ExpiresAt.UTC().Format(time.RFC3339))
	b = str(b, `"label"`, r.Label)
	b = str(b, `"mode"`, string(r.Mode))
	b = str(b, `"operator"`, r.Operator)
	b = str(b, `"provider"`, r.Provider)
	b = member(b, `"references"`)
	if refs := r.References; r.Launched && len(refs) > 0 {
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(refs)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, in+"  "...)
			b = jsonw.AppendString(b, k)
			b = append(b, ": "...)
			b = jsonw.AppendString(b, refs[k])
		}
		b = append(b, in+"},"...)
	} else {
		b = append(b, "{},"...)
	}
	b = str(b, `"session"`, r.ID)
	b = str(b, `"source"`, string(r.Source))
	b = str(b, `"status"`, string(r.State))
	b = orNull(b, `"url"`, r.Launched && r.URL != "", r.URL)
	b = b[:len(b)-1] // the last member's comma
	return append(b, "\n    }"...)
}

// source is where the session's current status came from ("" before a
// launch outcome, or when recorded before sources were).
func source(s *session.Session) string {
	if n := len(s.History); n > 0 {
		return string(s.History[n-1].Source)
	}
	return ""
}

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
