package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/ui/qr"
)

// cliTimeout bounds one command's request(s).
const cliTimeout = 30 * time.Second

func cmdLaunch(args []string, io *IO) error {
	fs := flag.NewFlagSet("launch", flag.ContinueOnError)
	var sets setFlags
	fs.Var(&sets, "set", "NAME=VALUE (repeat; repeated names build lists)")
	from := fs.String("from", "", "FILE.json with parameter values")
	dry := fs.Bool("dry-run", false, "print the request that would be sent, secrets masked; send nothing")
	asJSON := fs.Bool("json", false, "print one JSON object")
	live := fs.Bool("live", false, "send to the live endpoint")
	showQR := fs.Bool("qr", false, "print the QR even when stdout is not a terminal")
	verbose := fs.Bool("verbose", false, "also print the provider's raw response (sanitized, secrets and personal values masked): under \"response\" with --json, else on stderr")
	profile := fs.String("profile", "", "launch with desk profile NAME: its fixed values, --set gives the asked ones")
	label := fs.String("label", "", "the desk label (a ticket number) of a profile that defines one")
	confirmDup := fs.Bool("confirm-duplicate", false, "live: launch although the customer has a pending session (refused otherwise, exit 2); the store records that you confirmed")
	store := storeFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *profile == "" && len(pos) != 1 || *profile != "" && len(pos) > 1 {
		return usage(*asJSON, "PROVIDER", "name one provider: kycdesk launch PROVIDER --set NAME=VALUE… (or --profile NAME --set …)")
	}
	values := providers.Values{}
	if *from != "" {
		if values, err = readFrom(*from); err != nil {
			return usage(*asJSON, "--from", err.Error())
		}
	}
	overridden := map[string]bool{}
	for _, s := range sets {
		name, val, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return usage(*asJSON, "--set", fmt.Sprintf("%q must be NAME=VALUE", s))
		}
		if !overridden[name] { // --set replaces what --from gave
			delete(values, name)
			overridden[name] = true
		}
		values.Add(name, val)
	}

	a, err := newApp(io, *live, *store)
	if err != nil {
		return fail(err, *asJSON)
	}
	defer a.close()
	var dr *desk.Draft
	if *profile != "" {
		prof, err := a.desk.Profile(*profile)
		if prof.Note != "" {
			fmt.Fprintln(io.Err, "note:", prof.Note)
		}
		if err != nil {
			return usage(*asJSON, "--profile", err.Error())
		}
		if len(pos) == 1 && pos[0] != prof.Profile.Provider {
			return usage(*asJSON, "PROVIDER", fmt.Sprintf("profile %s is for %s, not %s", prof.Name, prof.Profile.Provider, pos[0]))
		}
		typed, err := asTyped(io, prof.Provider.Desc.Spec(), values)
		if err != nil {
			return fail(err, *asJSON)
		}
		// Through desk.PrepareProfile: fixed values, the typed asked ones
		// over them; a --set of a field the profile does not ask is refused.
		dr = a.desk.ProfileDraft(prof, typed, *label)
	} else {
		p, err := a.desk.Provider(pos[0])
		if err != nil {
			return usage(*asJSON, "PROVIDER", err.Error())
		}
		typed, err := asTyped(io, p.Desc.Spec(), documentedNames(io, p.Desc.Spec(), values))
		if err != nil {
			return fail(err, *asJSON)
		}
		dr = a.desk.Draft(p, typed)
	}
	p := dr.Provider
	if err := dr.Problem(); err != nil {
		return fail(err, *asJSON)
	}
	for _, w := range dr.Warnings {
		fmt.Fprintln(io.Err, "warning:", providers.SanitizeLine(w.Error()))
	}
	if *dry {
		view := dr.View()
		if *asJSON {
			headers := map[string]string{}
			for _, h := range view.Headers {
				headers[h[0]] = h[1]
			}
			printJSON(io, map[string]any{"dryRun": true, "provider": p.Desc.ID, "mode": a.mode,
				"request": map[string]any{"method": view.Method, "url": view.URL, "headers": headers, "body": view.Body}})
		} else {
			fmt.Fprint(io.Out, view.Text())
		}
		return nil
	}
	if note := a.desk.SandboxNote(); note != "" {
		fmt.Fprintln(io.Err, "note:", note)
	}
	if dup := a.desk.Duplicate(dr); dup != "" && *confirmDup {
		fmt.Fprintln(io.Err, "warning:", dup, "(launched anyway: --confirm-duplicate)")
	}
	dr.Confirmed = *confirmDup
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	o, err := a.desk.Launch(ctx, dr)
	if err != nil {
		f := &failure{err: a.desk.Explain(err), asJSON: *asJSON}
		switch {
		case o != nil && errors.Is(err, session.ErrNotRecorded):
			f.note = fmt.Sprintf("the record could not be kept: the store shows session %s of unknown outcome", o.ID)
		case o != nil && ExitCode(err) == exitUnknown:
			f.note = fmt.Sprintf("session %s: outcome unknown; the store keeps the intent (kycdesk status %s)", o.ID, o.ID)
		}
		if *verbose {
			f.wire = last(providers.AsError(err).Exchanges)
		}
		return f
	}
	if o.RecordErr != nil {
		// Launched, but the store could not keep the outcome: the URL
		// must still reach the customer, and a script must not launch
		// again (and be billed twice), hence exit 4.
		printLaunch(io, o, *asJSON, *showQR || io.OutIsTTY)
		fmt.Fprintln(io.Err, "kycdesk:", providers.SanitizeLine(o.RecordErr.Error()))
		fmt.Fprintf(io.Err, "the record could not be kept: session %s was launched as shown above, but the store shows it of unknown outcome; do not launch it again\n", o.ID)
		return exitCode(exitUnknown)
	}
	if o.CodeErr != nil {
		f := &failure{err: o.CodeErr, asJSON: *asJSON,
			note: fmt.Sprintf("session %s was created but its code was not sent; open it in the console (s, then enter) to send it again", o.ID)}
		if *verbose {
			f.wire = last(o.Exchanges)
		}
		return f
	}
	if !*verbose {
		o.Response, o.Exchanges = nil, nil
	}
	printLaunch(io, o, *asJSON, *showQR || io.OutIsTTY)
	if *verbose && !*asJSON {
		printWire(io, o.Exchanges)
	}
	return nil
}

// last is the last answer of ex, or nil.
func last(ex []providers.Exchange) *providers.Exchange {
	if len(ex) == 0 {
		return nil
	}
	return &ex[len(ex)-1]
}

// printWire prints the provider's raw answers on stderr (launch --verbose).
func printWire(io *IO, ex []providers.Exchange) {
	for _, e := range ex {
		fmt.Fprintln(io.Err, "\nprovider response (sanitized; secrets and the personal values sent are masked):")
		fmt.Fprintln(io.Err, e.Text())
	}
}

// readFrom loads --from FILE.json: an object of wire names to strings,
// numbers, booleans, arrays (lists) or objects (JSON-valued fields).
// maxFromFile bounds a --from values file (a saved setup is a few KiB).
const maxFromFile = 1 << 20

func readFrom(path string) (providers.Values, error) {
	b, err := config.ReadBoundedFile(path, maxFromFile, "JSON values")
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
	// Response is the provider's raw answer (launch --verbose), and
	// Responses every answer when the launch received more than one (a
	// DWS launch sends the code after it).
	Response  *providers.Exchange  `json:"response,omitempty"`
	Responses []providers.Exchange `json:"responses,omitempty"`
	// Source is where the status came from (status --json: signed
	// callback, provider API, operator, launch), and History every
	// status the record holds, each with its source.
	Source  string        `json:"source,omitempty"`
	History []historyJSON `json:"history,omitempty"`
	// Device is where a device value came from (Alibaba's MetaInfo: the
	// customer's phone through the relay, or a preset).
	Device *deviceJSON `json:"device,omitempty"`
}

// deviceJSON is {"source": "phone"|"preset"|"pasted", "deviceType": "h5"}.
type deviceJSON struct {
	Source     string `json:"source"`
	DeviceType string `json:"deviceType,omitempty"`
}

// deviceOf is the device a launch records, or nil.
func deviceOf(l *providers.Launch) *deviceJSON {
	if l == nil || l.Extra[providers.ExtraDeviceSource] == "" {
		return nil
	}
	return &deviceJSON{Source: providers.SanitizeLine(l.Extra[providers.ExtraDeviceSource]),
		DeviceType: providers.SanitizeLine(l.Extra[providers.ExtraDeviceType])}
}

// historyJSON is one status of a session's record.
type historyJSON struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
	At     string `json:"at"`
	Source string `json:"source,omitempty"`
	By     string `json:"by,omitempty"` // operator@desk
}

// recordJSON is s's status as the record holds it, with its history.
func recordJSON(s *session.Session) launchJSON {
	j := sessionJSON(s, s.State)
	for _, h := range s.History {
		op, desk := h.Operator, h.Desk
		if h.Source == session.SourceLaunch && op == "" && desk == "" {
			op, desk = s.Operator, s.Desk // the launch's, who launched it
		}
		by := op
		if desk != "" {
			by += "@" + desk
		}
		j.History = append(j.History, historyJSON{Status: string(h.State), Detail: providers.SanitizeLine(h.Detail),
			At: h.At.UTC().Format(time.RFC3339), Source: string(h.Source), By: by})
	}
	if n := len(s.History); n > 0 {
		j.Source = string(s.History[n-1].Source)
	}
	return j
}

func toJSON(id, provider string, mode providers.Mode, l *providers.Launch, state providers.State) launchJSON {
	j := launchJSON{Session: id, Provider: provider, Mode: mode, References: map[string]string{}, Status: string(state)}
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

// sessionJSON is a recorded session (status, sessions): launch's members
// and where its device value came from.
func sessionJSON(s *session.Session, state providers.State) launchJSON {
	l := s.Launch()
	j := toJSON(s.ID, s.Provider, s.Mode, l, state)
	j.Device = deviceOf(l)
	return j
}

func printLaunch(io *IO, o *desk.Outcome, asJSON, showQR bool) {
	l := o.Launch
	if asJSON {
		j := toJSON(o.ID, o.Provider, o.Mode, l, providers.StatePending)
		j.Response = o.Response
		if len(o.Exchanges) > 1 {
			j.Responses = o.Exchanges
		}
		printJSON(io, j)
		return
	}
	w := io.Out
	if l.URL != "" && showQR {
		if code, err := qr.Render(l.URL); err == nil {
			fmt.Fprintln(w, code.Styled)
		} else {
			fmt.Fprintln(io.Err, "no QR:", err)
		}
	}
	fmt.Fprintf(w, "session    %s (%s, %s)\n", o.ID, o.Provider, o.Mode)
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
		if ch.SandboxCode != "" && o.Mode == providers.ModeSandbox {
			fmt.Fprintf(w, "sandbox    the simulated SMS says %s\n", providers.SanitizeLine(ch.SandboxCode))
		}
		fmt.Fprintf(w, "next       kycdesk verify %s --code CODE\n", o.ID)
	}
}

// documentedNames spells each --set name as the provider documents it
// (clientid → clientId) and says so on stderr, so a script's typo in case
// is neither refused nor silent. Names that match nothing are left for
// validation, which refuses them with the closest known name.
func documentedNames(io *IO, spec providers.Spec, v providers.Values) providers.Values {
	for _, name := range v.Names() {
		if q, ok := spec.Lookup(name); ok && q.Name != name {
			fmt.Fprintf(io.Err, "note: %s: used the documented name %s\n", providers.SanitizeLine(name), q.Name)
			v[q.Name] = append(v[q.Name], v[name]...)
			delete(v, name)
		}
	}
	return v
}

// asTyped is what the command line sends for the typed values: each as
// typed, or converted where the provider documents the other spelling
// (a note on stderr names the field: "note: country: LTU sent as LT"),
// or refused (exit 2) when it only shares a word with an option's label:
// a script sees the request it asked for, or why not.
func asTyped(io *IO, spec providers.Spec, v providers.Values) (providers.Values, error) {
	out, conv, refusals := spec.AsTyped(v)
	if len(refusals) > 0 {
		return nil, providers.Invalid(refusals)
	}
	for _, c := range conv {
		fmt.Fprintln(io.Err, "note:", c.Note())
	}
	return out, nil
}
