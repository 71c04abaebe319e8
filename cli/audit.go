package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// chainVerifier is a store whose history is a MAC chain (both stores on
// database/sql are).
type chainVerifier interface {
	Verify(ctx context.Context) (*session.ChainReport, error)
}

// cmdAudit is `kycdesk audit verify [--store URL] [--json]`: the whole
// history checked offline with the store key. Exit 0 when the chain is
// intact, 1 at the first broken link (named), 2 for bad arguments.
func cmdAudit(args []string, io *IO) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object")
	store := storeFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "verify" {
		what := "nothing"
		if len(pos) > 0 {
			what = fmt.Sprintf("%q", providers.SanitizeLine(pos[0]))
		}
		return usage(*asJSON, "ARGS", "kycdesk audit takes one subcommand, verify (got "+what+"): kycdesk audit verify [--store URL]")
	}
	st, err := openHistory(io, *store)
	if err != nil {
		return fail(err, *asJSON)
	}
	defer st.Close()
	for _, w := range st.Warnings() {
		fmt.Fprintln(io.Err, "store:", providers.SanitizeLine(w))
	}
	v, ok := st.(chainVerifier)
	if !ok {
		return fail(fmt.Errorf("the store %s keeps no MAC chain to verify", st.Location()), *asJSON)
	}
	r, err := v.Verify(context.Background())
	if err != nil {
		return fail(fmt.Errorf("audit verify: %w", err), *asJSON)
	}
	if *asJSON {
		out := map[string]any{"store": st.Location(), "events": r.Events, "sessions": r.Sessions, "intact": r.Broken == nil,
			"head": map[string]any{"seq": r.HeadSeq, "mac": r.HeadMAC}}
		if r.Sealed > 0 {
			out["sealedAtMigration"] = map[string]any{"events": r.Sealed, "at": r.SealedAt}
		}
		if b := r.Broken; b != nil {
			out["broken"] = map[string]any{"session": b.Session, "event": b.Seq, "what": b.What}
		}
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if b := r.Broken; b != nil {
		fmt.Fprintf(io.Out, "broken: %s\n", b)
		fmt.Fprintf(io.Out, "checked %d events and %d sessions of %s before it; restore the store from a backup taken before, "+
			"and find out who had write access to the database\n", r.Events, r.Sessions, st.Location())
	} else {
		fmt.Fprintf(io.Out, "ok: %d events, %d sessions, chain intact\n", r.Events, r.Sessions)
		if r.Events > 0 {
			fmt.Fprintf(io.Out, "head: event %d, MAC %s (note it elsewhere: a later verify then also shows that no newer event was removed)\n",
				r.HeadSeq, r.HeadMAC)
		}
		if r.Sealed > 0 {
			fmt.Fprintf(io.Out, "note: the first %d events were written by an earlier release and sealed into the chain on %s; "+
				"a change made to them before then cannot be detected\n", r.Sealed, r.SealedAt.Local().Format("2006-01-02 15:04"))
		}
	}
	if r.Broken != nil {
		return exitCode(exitOther)
	}
	return nil
}
