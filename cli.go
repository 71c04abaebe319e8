package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/ui"
	"github.com/kycdesk/kycdesk/ui/qr"
)

// cliTimeout bounds one command's request(s).
const cliTimeout = 30 * time.Second

// setFlags collects repeated --set NAME=VALUE.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// parseInterleaved parses flags that may come before or after positional
// arguments (`launch idenfy --set …` and `launch --json idenfy …`).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	fs.SetOutput(io.Discard) // errors are reported by the caller, as the contract says
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagError reports a bad flag as invalid input (exit 2), as JSON when
// --json was among the arguments.
func flagError(io *IO, args []string, err error) int {
	asJSON := false
	for _, a := range args {
		if a == "--json" || a == "-json" || a == "--json=true" {
			asJSON = true
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(io.Out, usage)
		return 0
	}
	return usageError(io, asJSON, "flags", err.Error())
}

// jsonError is the --json failure object of the CLI contract.
type jsonError struct {
	Error struct {
		Kind    string `json:"kind"`
		Field   string `json:"field,omitempty"`
		Code    string `json:"code,omitempty"`
		Message string `json:"message"`
		Action  string `json:"action,omitempty"`
	} `json:"error"`
}

func printJSON(io *IO, v any) {
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail reports err as the contract says: one line per problem on stderr
// (NAME: message for invalid input), or the JSON error object; it returns
// the exit code.
func fail(io *IO, asJSON bool, err error) int {
	pe := providers.AsError(err)
	if asJSON {
		var j jsonError
		j.Error.Kind, j.Error.Field, j.Error.Code = string(pe.Kind), pe.Field, pe.Code
		j.Error.Message, j.Error.Action = providers.Sanitize(pe.Message), providers.Sanitize(pe.Action)
		if j.Error.Message == "" && pe.Err != nil {
			j.Error.Message = providers.Sanitize(pe.Err.Error())
		}
		printJSON(io, j)
	}
	switch {
	case pe.Kind == providers.KindInvalid && len(pe.Fields) > 0:
		for _, f := range pe.Fields {
			fmt.Fprintln(io.Err, providers.SanitizeLine(f.Error()))
		}
	default:
		fmt.Fprintln(io.Err, "kycdesk:", providers.SanitizeLine(pe.Error()))
		if pe.Action != "" {
			fmt.Fprintln(io.Err, "what to do:", providers.SanitizeLine(pe.Action))
		}
	}
	return providers.ExitCode(pe)
}

// usageError is exit 2 with a message (a bad command line sends nothing).
func usageError(io *IO, asJSON bool, field, msg string) int {
	return fail(io, asJSON, providers.Invalid([]providers.FieldError{{Field: field, Message: msg}}))
}

// readFrom loads --from FILE.json: an object of wire names to strings,
// numbers, booleans, arrays (lists) or objects (JSON-valued fields).
func readFrom(path string) (providers.Values, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: must be a JSON object of parameter names to values: %v", path, err)
	}
	v := providers.Values{}
	for name, r := range raw {
		var s string
		var list []any
		switch {
		case json.Unmarshal(r, &s) == nil:
			v.Add(name, s)
		case json.Unmarshal(r, &list) == nil:
			for _, x := range list {
				if xs, ok := x.(string); ok {
					v.Add(name, xs)
				} else {
					xb, _ := json.Marshal(x)
					v.Add(name, string(xb))
				}
			}
		case string(r) == "null":
		default:
			v.Add(name, string(r)) // numbers, booleans, objects as JSON text
		}
	}
	return v, nil
}

func cmdLaunch(args []string, io *IO) int {
	fs := flag.NewFlagSet("launch", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	var sets setFlags
	fs.Var(&sets, "set", "NAME=VALUE (repeat; repeated names build lists)")
	from := fs.String("from", "", "FILE.json with parameter values")
	dry := fs.Bool("dry-run", false, "print the request that would be sent, secrets masked; send nothing")
	asJSON := fs.Bool("json", false, "print one JSON object")
	live := fs.Bool("live", false, "send to the live endpoint")
	showQR := fs.Bool("qr", false, "print the QR even when stdout is not a terminal")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(io, args, err)
	}
	if len(pos) != 1 {
		return usageError(io, *asJSON, "PROVIDER", "name one provider: kycdesk launch PROVIDER --set NAME=VALUE…")
	}
	values := providers.Values{}
	if *from != "" {
		if values, err = readFrom(*from); err != nil {
			return usageError(io, *asJSON, "--from", err.Error())
		}
	}
	overridden := map[string]bool{}
	for _, s := range sets {
		name, val, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return usageError(io, *asJSON, "--set", fmt.Sprintf("%q must be NAME=VALUE", s))
		}
		if !overridden[name] { // --set replaces what --from gave
			delete(values, name)
			overridden[name] = true
		}
		values.Add(name, val)
	}

	a, err := newApp(io, *live)
	if err != nil {
		return fail(io, *asJSON, err)
	}
	defer a.close()
	e, err := a.entry(pos[0])
	if err != nil {
		return usageError(io, *asJSON, "PROVIDER", err.Error())
	}
	c := e.Client
	values = c.Prepare(values)
	refusals, warnings := providers.Problems(c.Validate(values))
	if len(refusals) > 0 {
		return fail(io, *asJSON, providers.Invalid(refusals))
	}
	for _, w := range warnings {
		fmt.Fprintln(io.Err, "warning:", providers.SanitizeLine(w.Error()))
	}
	if *dry {
		req, err := c.Request(context.Background(), values)
		if err != nil {
			return fail(io, *asJSON, err)
		}
		view := providers.View(req, c.Secrets())
		if *asJSON {
			headers := map[string]string{}
			for _, h := range view.Headers {
				headers[h[0]] = h[1]
			}
			printJSON(io, map[string]any{"dryRun": true, "provider": e.Desc.ID, "mode": a.mode,
				"request": map[string]any{"method": view.Method, "url": view.URL, "headers": headers, "body": view.Body}})
		} else {
			fmt.Fprint(io.Out, view.Text())
		}
		return 0
	}
	if note := a.sandboxNote(); note != "" {
		fmt.Fprintln(io.Err, "note:", note)
	}
	if a.mode == providers.ModeLive && e.Desc.CustomerParam != "" {
		if pend := a.journal.PendingFor(e.Desc.ID, values.Get(e.Desc.CustomerParam), a.mode, time.Now()); len(pend) > 0 {
			fmt.Fprintf(io.Err, "warning: %s %q already has a pending live session (%s); a new one may be billed again\n", e.Desc.CustomerParam, values.Get(e.Desc.CustomerParam), pend[0].ID)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	l := &session.Launcher{Journal: a.journal}
	sender := &sendCodeOnLaunch{Client: c}
	capture := &ui.Capture{Client: sender}
	s, err := l.Launch(ctx, e.Desc, capture, a.mode, e.Resolved.Config.BaseURL, values)
	if err != nil {
		code := fail(io, *asJSON, err)
		if s != nil && code == 4 {
			fmt.Fprintf(io.Err, "session %s: outcome unknown; the journal keeps the intent (kycdesk status %s)\n", s.ID, s.ID)
		}
		return code
	}
	if sender.err != nil {
		code := fail(io, *asJSON, sender.err)
		fmt.Fprintf(io.Err, "session %s was created but its code was not sent; open it in the console (s, then enter) to send it again\n", s.ID)
		return code
	}
	return printLaunch(io, a, s, capture.Result(s), *asJSON, *showQR || io.OutIsTTY)
}

// sendCodeOnLaunch makes an OTP launch (DWS) send its code inside the
// launch, so the outcome the journal records already says the code was
// sent (and `verify` in another process knows it), and the customer's
// phone rings while the operator reads the screen.
type sendCodeOnLaunch struct {
	providers.Client
	err error // the code could not be sent; the session exists
}

func (s *sendCodeOnLaunch) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	l, err := s.Client.Launch(ctx, v)
	ch, ok := s.Client.(providers.Challenger)
	if err != nil || l == nil || !ok || l.Challenge == nil || l.Challenge.Triggered {
		return l, err
	}
	got, terr := ch.Trigger(ctx, l)
	if terr != nil {
		s.err = terr
		return l, nil
	}
	l.Challenge = got
	return l, nil
}

// launchJSON is the --json success object of the CLI contract.
type launchJSON struct {
	Session    string               `json:"session"`
	Provider   string               `json:"provider"`
	Mode       providers.Mode       `json:"mode"`
	URL        *string              `json:"url"`
	References map[string]string    `json:"references"`
	ExpiresAt  *string              `json:"expiresAt"`
	Status     string               `json:"status"`
	Challenge  *providers.Challenge `json:"challenge"`
}

func toJSON(s *session.Session, l *providers.Launch, state providers.State) launchJSON {
	j := launchJSON{Session: s.ID, Provider: s.Provider, Mode: s.Mode, References: map[string]string{}, Status: string(state)}
	if l != nil {
		if l.URL != "" {
			u := l.URL
			j.URL = &u
		}
		for k, v := range l.References {
			j.References[k] = v
		}
		if !l.ExpiresAt.IsZero() {
			t := l.ExpiresAt.UTC().Format(time.RFC3339)
			j.ExpiresAt = &t
		}
		j.Challenge = l.Challenge
	}
	return j
}

func printLaunch(io *IO, a *app, s *session.Session, l *providers.Launch, asJSON, showQR bool) int {
	if asJSON {
		printJSON(io, toJSON(s, l, providers.StatePending))
		return 0
	}
	w := io.Out
	if l.URL != "" && showQR {
		if code, err := qr.Render(l.URL); err == nil {
			fmt.Fprintln(w, code.Styled)
		} else {
			fmt.Fprintln(io.Err, "no QR:", err)
		}
	}
	fmt.Fprintf(w, "session    %s (%s, %s)\n", s.ID, s.Provider, s.Mode)
	if l.URL != "" {
		fmt.Fprintf(w, "url        %s\n", providers.SanitizeLine(l.URL))
	}
	keys := make([]string, 0, len(l.References))
	for k := range l.References {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%-10s %s\n", k, providers.SanitizeLine(l.References[k]))
	}
	for k, v := range l.Extra {
		if v != "" {
			fmt.Fprintf(w, "%-10s %s\n", k, providers.SanitizeLine(v))
		}
	}
	if !l.ExpiresAt.IsZero() {
		fmt.Fprintf(w, "expires    %s (in %s)\n", l.ExpiresAt.Local().Format(time.RFC3339), time.Until(l.ExpiresAt).Round(time.Second))
	}
	for _, n := range l.Notes {
		fmt.Fprintf(w, "note       %s\n", providers.SanitizeLine(n))
	}
	if ch := l.Challenge; ch != nil {
		fmt.Fprintf(w, "challenge  %s to %s\n", providers.SanitizeLine(ch.Type), providers.SanitizeLine(ch.RenderValue))
		if ch.SandboxCode != "" && s.Mode == providers.ModeSandbox {
			fmt.Fprintf(w, "sandbox    the simulated SMS says %s\n", providers.SanitizeLine(ch.SandboxCode))
		}
		fmt.Fprintf(w, "next       kycdesk verify %s --code CODE\n", s.ID)
	}
	return 0
}

func cmdVerify(args []string, io *IO) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	code := fs.String("code", "", "the one-time code the customer received")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(io, args, err)
	}
	if len(pos) != 1 {
		return usageError(io, *asJSON, "SESSION", "name one session: kycdesk verify SESSION --code CODE")
	}
	if strings.TrimSpace(*code) == "" {
		return usageError(io, *asJSON, "--code", "required: the code the customer received")
	}
	a, s, e, code2 := openSession(io, *asJSON, pos[0])
	if code2 >= 0 {
		return code2
	}
	defer a.close()
	ch, ok := e.Client.(providers.Challenger)
	if !ok || s.Challenge == nil {
		return usageError(io, *asJSON, "SESSION", fmt.Sprintf("session %s (%s) has no one-time-code challenge", s.ID, s.Provider))
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	st, err := ch.Verify(ctx, s.Launch(), strings.TrimSpace(*code))
	if err != nil {
		return fail(io, *asJSON, err)
	}
	a.journal.AppendStatus(s.ID, st)
	return printStatus(io, s, st, *asJSON)
}

// openSession opens the app in the session's own mode and finds the
// session; code is -1 on success, else the exit code already reported.
func openSession(io *IO, asJSON bool, id string) (*app, *session.Session, *ui.Entry, int) {
	a, err := newApp(io, false)
	if err != nil {
		return nil, nil, nil, fail(io, asJSON, err)
	}
	s, err := a.journal.Get(id)
	if err != nil {
		a.close()
		return nil, nil, nil, usageError(io, asJSON, "SESSION", err.Error())
	}
	e, err := a.sessionEntry(s)
	if err != nil {
		a.close()
		return nil, nil, nil, fail(io, asJSON, err)
	}
	return a, s, e, -1
}

func printStatus(io *IO, s *session.Session, st *providers.Status, asJSON bool) int {
	if asJSON {
		printJSON(io, toJSON(s, s.Launch(), st.State))
		return 0
	}
	fmt.Fprintf(io.Out, "session    %s (%s, %s)\n", s.ID, s.Provider, s.Mode)
	fmt.Fprintf(io.Out, "status     %s\n", st.State)
	if st.Detail != "" {
		fmt.Fprintf(io.Out, "detail     %s\n", providers.SanitizeLine(st.Detail))
	}
	keys := make([]string, 0, len(st.Fields))
	for k := range st.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(io.Out, "%-10s %s\n", k, providers.SanitizeLine(st.Fields[k]))
	}
	return 0
}

func cmdStatus(args []string, io *IO) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(io, args, err)
	}
	if len(pos) != 1 {
		return usageError(io, *asJSON, "SESSION", "name one session: kycdesk status SESSION")
	}
	a, s, e, code := openSession(io, *asJSON, pos[0])
	if code >= 0 {
		return code
	}
	defer a.close()
	if !s.Launched() {
		st := &providers.Status{State: s.State, Detail: describeUnlaunched(s)}
		printStatus(io, s, st, *asJSON)
		if s.OutcomeUnknown() {
			return 4
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	st, err := e.Client.Status(ctx, s.Launch())
	if err != nil {
		pe := providers.AsError(err)
		if pe.Kind == providers.KindTransport && s.Mode == providers.ModeSandbox {
			pe.Action = "the sandbox that issued this session is gone (an in-process sandbox lives only as long as its process); run `kycdesk sandbox` and launch anew"
		}
		return fail(io, *asJSON, pe)
	}
	st = keepFinal(s, st)
	a.journal.AppendStatus(s.ID, st)
	return printStatus(io, s, st, *asJSON)
}

// keepFinal keeps a final state the journal recorded when the provider
// answers with a non-final one: DWS has no status query, so its client
// only knows what the launch told it, while the journal saw the verify.
func keepFinal(s *session.Session, st *providers.Status) *providers.Status {
	if s.State.Final() && !st.State.Final() {
		kept := *st
		kept.State = s.State
		kept.Detail = "as recorded"
		if n := len(s.History); n > 0 {
			kept.Detail = s.History[n-1].Detail + " (as recorded " + s.History[n-1].At.Local().Format(time.RFC3339) + ")"
		}
		return &kept
	}
	return st
}

func describeUnlaunched(s *session.Session) string {
	if s.OutcomeUnknown() {
		return "the request was sent but no answer was recorded; relaunch from the console (l on the sessions screen) or check at the provider"
	}
	if s.LastError != nil {
		return s.LastError.Err().Error()
	}
	return s.Resolution
}

func cmdSessions(args []string, io *IO) int {
	fs := flag.NewFlagSet("sessions", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := parseInterleaved(fs, args); err != nil {
		return flagError(io, args, err)
	}
	j, err := session.Open(session.DefaultPath())
	if err != nil {
		return fail(io, *asJSON, err)
	}
	defer j.Close()
	list := j.Sessions()
	now := time.Now()
	if *asJSON {
		out := make([]map[string]any, 0, len(list))
		for _, s := range list {
			j := toJSON(s, s.Launch(), s.State)
			out = append(out, map[string]any{"session": j.Session, "provider": j.Provider, "mode": j.Mode, "url": j.URL,
				"references": j.References, "expiresAt": j.ExpiresAt, "status": j.Status, "customer": s.Customer,
				"createdAt": s.CreatedAt.UTC().Format(time.RFC3339)})
		}
		printJSON(io, map[string]any{"sessions": out})
		return 0
	}
	for _, w := range j.Warnings() {
		fmt.Fprintln(io.Err, "journal:", w)
	}
	fmt.Fprintf(io.Out, "%-9s %-8s %-8s %-36s %-16s %-16s %s\n", "SESSION", "PROVIDER", "MODE", "REFERENCE", "CUSTOMER", "STATUS", "CREATED")
	for _, s := range list {
		state := string(s.State)
		if !s.Final() && s.Expired(now) {
			state = "expired"
		}
		ref := s.Reference()
		if d, ok := catalog.All().Get(s.Provider); ok {
			ref = d.Reference(s.References())
		}
		fmt.Fprintf(io.Out, "%-9s %-8s %-8s %-36s %-16s %-16s %s\n", s.ID, s.Provider, s.Mode, providers.SanitizeLine(ref),
			clip(providers.SanitizeLine(s.Customer), 16), state, s.CreatedAt.Local().Format("2006-01-02 15:04"))
	}
	return 0
}

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
