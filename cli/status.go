package cli

import (
	"context"
	"flag"
	"fmt"
	"sort"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

func cmdStatus(args []string, io *IO) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object")
	verbose := fs.Bool("verbose", false, "also print the provider's raw answer (sanitized, secrets and personal values masked): under \"response\" with --json, else on stderr")
	store := storeFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usage(*asJSON, "SESSION", "name one session: kycdesk status SESSION")
	}
	a, s, err := openSession(io, *asJSON, pos[0], *store)
	if err != nil {
		return err
	}
	defer a.close()
	if !s.Launched() {
		printStatus(io, s, &providers.Status{State: s.State, Detail: describeUnlaunched(s)}, *asJSON, nil)
		if s.OutcomeUnknown() {
			return exitCode(exitUnknown)
		}
		return nil
	}
	// Followed at the endpoint and mode it was launched with.
	f, err := a.desk.Follow(s.ID)
	if err != nil {
		return fail(err, *asJSON)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	// The answers are collected masked as a launch's are: the secrets, the
	// personal values the session was launched with, and what the
	// provider read from a document (providers.MaskPersonalJSON).
	var secrets []string
	if p := a.desk.Lookup(s.Provider); p != nil && p.Client != nil {
		secrets = p.Client.Secrets()
	}
	var spec providers.Spec
	if p := a.desk.Lookup(s.Provider); p != nil {
		spec = p.Desc.Spec()
	}
	capture := providers.NewCapture(providers.NewScrubber(secrets, spec, s.Values()))
	st, err := f.Status(providers.WithCapture(ctx, capture))
	if err != nil {
		f := &failure{err: a.desk.Explain(err), asJSON: *asJSON}
		if *verbose {
			f.wire = last(capture.Exchanges())
		}
		return f
	}
	// What the record holds now: the answer as recorded, or the final
	// state it kept.
	if s2, err := a.desk.Session(s.ID); err == nil {
		s = s2
	}
	var wire *providers.Exchange
	if *verbose {
		wire = last(capture.Exchanges())
	}
	printStatus(io, s, st, *asJSON, wire)
	return nil
}

// openSession opens the app and finds a recorded session (the app then
// follows it in its own mode, whatever --live says).
func openSession(io *IO, asJSON bool, id, store string) (*app, *session.Session, error) {
	a, err := newApp(io, false, store)
	if err != nil {
		return nil, nil, fail(err, asJSON)
	}
	s, err := a.desk.Session(id)
	if err != nil {
		a.close()
		return nil, nil, usage(asJSON, "SESSION", err.Error())
	}
	return a, s, nil
}

// printStatus prints the session's status; wire is the provider's raw
// answer (--verbose), or nil.
func printStatus(io *IO, s *session.Session, st *providers.Status, asJSON bool, wire *providers.Exchange) {
	if asJSON {
		j := recordJSON(s)
		j.Status = string(st.State)
		j.Response = wire
		printJSON(io, j)
		return
	}
	if wire != nil {
		defer printWire(io, []providers.Exchange{*wire})
	}
	fmt.Fprintf(io.Out, "session    %s (%s, %s)\n", s.ID, s.Provider, s.Mode)
	fmt.Fprintf(io.Out, "status     %s\n", st.State)
	if src := source(s); src != "" && s.State == st.State {
		fmt.Fprintf(io.Out, "source     %s\n", src)
	}
	if st.Detail != "" {
		fmt.Fprintf(io.Out, "detail     %s\n", providers.SanitizeLine(st.Detail))
	}
	// What the provider read from the customer's document is masked, as
	// the console does.
	fields := providers.MaskPersonalFields(st.Fields)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(io.Out, "%-10s %s\n", k, providers.SanitizeLine(fields[k]))
	}
}

func describeUnlaunched(s *session.Session) string {
	if s.OutcomeUnknown() {
		if s.LastError != nil {
			// An answer was recorded, and it said the outcome is unknown
			// (timeout, 5xx, DWS status U): the request did leave.
			return s.LastError.Err().Error() + "; the request was sent but its outcome is unknown: retry the same request from the console (l on the sessions screen) or check at the provider"
		}
		// Only the intent was recorded: the process stopped before an
		// answer, perhaps before sending at all.
		return "the intent was recorded but no answer: the request may or may not have been sent; retry the same request from the console (l on the sessions screen) or check at the provider"
	}
	if s.LastError != nil {
		return s.LastError.Err().Error()
	}
	return s.Resolution
}
