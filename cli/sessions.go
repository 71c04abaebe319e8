package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/kycdesk/kycdesk/desk"
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
		if err := streamJSON(w, st.All(context.Background(), session.Query{})); err != nil {
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

// listJSON is one session of `sessions --json`: launchJSON's members but
// the challenge, with the customer, the desk label ("" = none), the
// creation time and who launched it at a served desk ("" locally).
func listJSON(s *session.Session) map[string]any {
	j := sessionJSON(s, s.State)
	m := map[string]any{"session": j.Session, "provider": j.Provider, "mode": j.Mode, "url": j.URL,
		"references": j.References, "expiresAt": j.ExpiresAt, "status": j.Status, "customer": s.Customer, "label": s.Extra[desk.LabelKey],
		"createdAt": s.CreatedAt.UTC().Format(time.RFC3339), "operator": s.Operator, "desk": s.Desk, "source": source(s)}
	if j.Device != nil {
		m["device"] = j.Device
	}
	return m
}

// source is where the session's current status came from ("" before a
// launch outcome, or when recorded before sources were).
func source(s *session.Session) string {
	if n := len(s.History); n > 0 {
		return string(s.History[n-1].Source)
	}
	return ""
}

// streamJSON writes {"sessions": [...]} one session at a time. A failure
// half way leaves the object unclosed, so that a script cannot mistake
// part of the history for all of it.
func streamJSON(w *bufio.Writer, all func(func(*session.Session, error) bool)) error {
	w.WriteString("{\n  \"sessions\": [")
	n := 0
	for s, err := range all {
		if err != nil {
			w.WriteString("\n")
			w.Flush()
			return err
		}
		b, err := json.MarshalIndent(listJSON(s), "    ", "  ")
		if err != nil {
			return err
		}
		if n > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n    ")
		w.Write(b)
		n++
	}
	if n > 0 {
		w.WriteString("\n  ")
	}
	w.WriteString("]\n}\n")
	return nil
}

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
