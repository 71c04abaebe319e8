package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/session"
)

func cmdSessions(args []string, io *IO) error {
	fs := flag.NewFlagSet("sessions", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	j, err := session.Open(session.DefaultPath(io.Getenv))
	if err != nil {
		return fail(err, *asJSON)
	}
	defer j.Close()
	// Skipped records are reported on stderr in both modes: a script
	// reading --json must not take a partial history for the whole.
	for _, w := range j.Warnings() {
		fmt.Fprintln(io.Err, "journal:", w)
	}
	list := j.Sessions()
	now := time.Now()
	if *asJSON {
		out := make([]map[string]any, 0, len(list))
		for _, s := range list {
			j := sessionJSON(s, s.State)
			out = append(out, map[string]any{"session": j.Session, "provider": j.Provider, "mode": j.Mode, "url": j.URL,
				"references": j.References, "expiresAt": j.ExpiresAt, "status": j.Status, "customer": s.Customer,
				"createdAt": s.CreatedAt.UTC().Format(time.RFC3339),
				// who launched it at a served desk ("" locally)
				"operator": s.Operator, "desk": s.Desk})
		}
		printJSON(io, map[string]any{"sessions": out})
		return nil
	}
	fmt.Fprintf(io.Out, "%-9s %-8s %-8s %-36s %-16s %-16s %-16s %s\n", "SESSION", "PROVIDER", "MODE", "REFERENCE", "CUSTOMER", "STATUS", "CREATED", "BY")
	for _, s := range list {
		state := string(s.State)
		if !s.Final() && s.Expired(now) {
			state = "expired"
		}
		ref := s.Reference()
		if d, ok := catalog.All().Get(s.Provider); ok {
			ref = d.Reference(s.References())
		}
		by := ""
		if s.Operator != "" || s.Desk != "" {
			by = providers.SanitizeLine(s.Operator + "@" + s.Desk)
		}
		fmt.Fprintf(io.Out, "%-9s %-8s %-8s %-36s %-16s %-16s %-16s %s\n", s.ID, s.Provider, s.Mode, providers.SanitizeLine(ref),
			clip(providers.SanitizeLine(s.Customer), 16), state, s.CreatedAt.Local().Format("2006-01-02 15:04"), by)
	}
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
