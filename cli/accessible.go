package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	goio "io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/huh"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/providers"
)

// runAccessible is the console for screen readers and braille displays
// (--accessible): huh's accessible mode asks one plain prompt per line, and
// results are printed as text, with no full-screen drawing.
func runAccessible(a *app, streams *IO) error {
	in := &eofReader{r: streams.In}
	io := *streams
	io.In = in
	out := io.Out
	ask := func(fields ...huh.Field) error {
		err := huh.NewForm(huh.NewGroup(fields...)).WithAccessible(true).WithInput(io.In).WithOutput(io.Out).Run()
		if err == nil && in.eof {
			err = errInputEnded
		}
		return err
	}
	mode := "SANDBOX " + a.sandboxURL
	if a.mode == providers.ModeLive {
		mode = "LIVE"
	}
	fmt.Fprintf(out, "kycdesk, %s. Requests go to %s.\n", Version, mode)
	if note := a.desk.SandboxNote(); note != "" {
		fmt.Fprintln(out, note)
	}
	entries := a.desk.Providers()
	for {
		var opts []huh.Option[string]
		// Desk profiles first, as on the console's home.
		profiles, problems := a.desk.Profiles()
		for _, p := range problems {
			fmt.Fprintln(out, "Note:", p)
		}
		for _, p := range profiles {
			if p.Disabled != "" {
				fmt.Fprintf(out, "Profile %s is unavailable: %s\n", p.Name, p.Disabled)
				continue
			}
			opts = append(opts, huh.NewOption("Profile "+providers.SanitizeLine(p.DisplayTitle())+" — "+p.Provider.Desc.Name, "profile:"+p.Name))
		}
		for _, e := range entries {
			if e.Disabled != "" {
				fmt.Fprintf(out, "%s is unavailable: %s\n", e.Desc.Name, e.Disabled)
				continue
			}
			opts = append(opts, huh.NewOption(e.Desc.Name+" — "+e.Desc.Summary, e.Desc.ID))
		}
		if len(opts) == 0 {
			fmt.Fprintln(io.Err, "no provider is available")
			return exitCode(exitOther)
		}
		var id string
		if err := ask(huh.NewSelect[string]().Title("Profile or provider").Options(opts...).Value(&id)); err != nil {
			return accessibleEnd(&io, err)
		}
		var err error
		if name, ok := strings.CutPrefix(id, "profile:"); ok {
			err = accessibleProfile(a, &io, name, ask, in)
		} else if p := a.desk.Lookup(id); p != nil {
			err = accessibleSession(a, &io, p, ask, in)
		} else {
			return exitCode(exitOther)
		}
		if err != nil {
			return err
		}
		again := false
		if err := ask(huh.NewConfirm().Title("Start another session?").Value(&again)); err != nil || !again {
			return accessibleEnd(&io, err)
		}
	}
}

// eofReader notes the end of the input: huh's accessible prompts re-ask
// at EOF, which would loop forever on piped input. One goroutine reads
// the input (pump), so that waiting for a result can also listen for the
// operator's enter (line).
type eofReader struct {
	r   goio.Reader
	eof bool
	// emptyIsDone: an empty line answers "0" (done) while a multi-select
	// asks, so a list finishes on an empty enter as every other prompt.
	emptyIsDone bool

	once   sync.Once
	chunks chan []byte
	rest   []byte // read from chunks, not yet given out
}

func (e *eofReader) pump() <-chan []byte {
	e.once.Do(func() {
		e.chunks = make(chan []byte)
		go func() {
			defer close(e.chunks)
			for {
				buf := make([]byte, 4096)
				n, err := e.r.Read(buf)
				if n > 0 {
					e.chunks <- buf[:n]
				}
				if err != nil {
					return
				}
			}
		}()
	})
	return e.chunks
}

func (e *eofReader) Read(p []byte) (int, error) {
	if len(e.rest) == 0 {
		c, ok := <-e.pump()
		if !ok {
			e.eof = true
			return 0, goio.EOF
		}
		e.rest = c
	}
	// One line per read, as a terminal gives them: each prompt reads its
	// own line and leaves the next for the next prompt.
	line := e.rest
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i+1]
	}
	n := copy(p, line)
	e.rest = e.rest[n:]
	if e.emptyIsDone && n > 0 && len(p) > n {
		if line := string(p[:n]); line == "\n" || line == "\r\n" {
			n = copy(p, "0\n")
		}
	}
	return n, nil
}

// line takes the next line the operator typed once one is in (ok false
// at the end of the input).
func (e *eofReader) line(c []byte) string {
	e.rest = append(e.rest, c...)
	s := string(e.rest)
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		e.rest = nil
		return strings.TrimSpace(s)
	}
	e.rest = e.rest[i+1:]
	return strings.TrimSpace(s[:i])
}

var errInputEnded = errors.New("input ended")

func accessibleEnd(io *IO, err error) error {
	if err == nil || errors.Is(err, huh.ErrUserAborted) || errors.Is(err, errInputEnded) {
		return nil
	}
	fmt.Fprintln(io.Err, "kycdesk:", err)
	return exitCode(exitOther)
}

// accessibleSession fills, reviews, launches and follows one session,
// through the desk as the console and the commands do.
func accessibleSession(a *app, io *IO, p *desk.Provider, ask func(...huh.Field) error, in *eofReader) error {
	out := io.Out
	essentials, advanced := forms.Split(p.Desc.Spec())
	values := providers.Values{}
	var dr *desk.Draft
	for {
		var err error
		if values, err = accessibleFill(io, in, p.Desc.Name, essentials, values); err != nil || in.eof {
			return accessibleEnd(io, err)
		}
		more := false
		if len(advanced) > 0 {
			if err := ask(huh.NewConfirm().Title(fmt.Sprintf("Set any of the %d advanced parameters?", len(advanced))).Value(&more)); err != nil {
				return accessibleEnd(io, err)
			}
		}
		if more {
			if values, err = accessibleFill(io, in, p.Desc.Name, advanced, values); err != nil || in.eof {
				return accessibleEnd(io, err)
			}
		}
		dr = a.desk.Draft(p, values)
		values = dr.Values
		if len(dr.Refusals) == 0 {
			for _, w := range dr.Warnings {
				fmt.Fprintln(out, "Warning:", providers.SanitizeLine(w.Error()))
			}
			break
		}
		fmt.Fprintln(out, "Fix these before review:")
		for _, r := range dr.Refusals {
			fmt.Fprintln(out, "  "+providers.SanitizeLine(r.Error()))
		}
	}
	if dr.Err != nil {
		fmt.Fprintln(out, providers.AsError(dr.Err).Error())
		return nil
	}
	return accessibleLaunch(a, io, dr, ask, in)
}

// accessibleFill asks each parameter of spec on its own line (fields the
// form skips are not asked), so that a multi-select finishes on an empty
// enter like every other prompt.
func accessibleFill(io *IO, in *eofReader, title string, spec providers.Spec, values providers.Values) (providers.Values, error) {
	for _, p := range spec {
		if forms.Skips(p) {
			continue
		}
		f := forms.New(title, providers.Spec{p}, values, true)
		// huh's accessible prompts print a field's title only: its
		// description (the doc text and the rules) is said first.
		if d := forms.Description(p); d != "" {
			fmt.Fprintln(io.Out, providers.SanitizeLine(d))
		}
		in.emptyIsDone = p.Kind == providers.KindMultiEnum
		err := f.Form.WithAccessible(true).WithInput(io.In).WithOutput(io.Out).Run()
		in.emptyIsDone = false
		if err != nil || in.eof {
			return values, err
		}
		delete(values, p.Name)
		values = merge(values, f.Values())
	}
	return values, nil
}

// accessibleProfile launches with a desk profile: only its asked fields
// (and its desk label) are asked; warnings it has accepted are not.
func accessibleProfile(a *app, io *IO, name string, ask func(...huh.Field) error, in *eofReader) error {
	out := io.Out
	p, err := a.desk.Profile(name)
	if p.Note != "" {
		fmt.Fprintln(out, "Note:", p.Note)
	}
	if err != nil {
		fmt.Fprintln(out, providers.SanitizeLine(err.Error()))
		return nil
	}
	fmt.Fprintf(out, "Profile %s: %s. Fixed: %s.\n", p.Name, p.Provider.Desc.Name, providers.SanitizeLine(strings.Join(p.Profile.Values.Names(), ", ")))
	typed := providers.Values{}
	for {
		var err error
		if typed, err = accessibleFill(io, in, providers.SanitizeLine(p.DisplayTitle()), p.Asked(), typed); err != nil || in.eof {
			return accessibleEnd(io, err)
		}
		label := ""
		if p.Label != "" {
			if err := ask(huh.NewInput().Title(providers.SanitizeLine(p.Label) + " (desk label, optional)").Value(&label)); err != nil {
				return accessibleEnd(io, err)
			}
		}
		dr := a.desk.ProfileDraft(p, typed, label)
		if len(dr.Refusals) == 0 {
			for _, w := range dr.Warnings {
				fmt.Fprintln(out, "Warning:", providers.SanitizeLine(w.Error()))
			}
			if dr.Err != nil {
				fmt.Fprintln(out, providers.AsError(dr.Err).Error())
				return nil
			}
			return accessibleLaunch(a, io, dr, ask, in)
		}
		fmt.Fprintln(out, "Fix these:")
		for _, r := range dr.Refusals {
			fmt.Fprintln(out, "  "+providers.SanitizeLine(r.Error()))
		}
	}
}

// accessibleRequest prints the request for a screen reader: long opaque
// header values (signatures, tokens) are described, not spelled out.
func accessibleRequest(w goio.Writer, v providers.RequestView) {
	fmt.Fprintf(w, "%s %s\n", v.Method, v.URL)
	for _, h := range v.Headers {
		fmt.Fprintf(w, "%s: %s\n", h[0], spoken(h[1]))
	}
	if v.Body != "" {
		fmt.Fprintln(w, "Body:", v.Body)
	}
}

// spoken is a header value as read aloud: a long run without spaces (a
// signature, a token) is named by its length, its name kept
// (signature=…), so a screen reader does not spell it out.
func spoken(v string) string {
	const long = 40
	words := strings.Fields(v)
	for i, w := range words {
		pieces := strings.Split(w, ",")
		for j, p := range pieces {
			if len(p) <= long {
				continue
			}
			k, val, ok := strings.Cut(p, "=")
			if !ok || len(k) > 20 {
				k, val = "", p
			} else {
				k += "="
			}
			pieces[j] = fmt.Sprintf("%s(a %d-character value, not read aloud)", k, len(val))
		}
		words[i] = strings.Join(pieces, ",")
	}
	return strings.Join(words, " ")
}

// accessibleLaunch reviews, launches and follows a draft: for a QR flow
// it asks for the status until the result is final or the operator
// stops; for an OTP flow it offers verify and resend.
func accessibleLaunch(a *app, io *IO, dr *desk.Draft, ask func(...huh.Field) error, in *eofReader) error {
	out := io.Out
	fmt.Fprintln(out, "The request that will be sent, secrets masked:")
	accessibleRequest(out, dr.View())
	dup := a.desk.Duplicate(dr)
	if dup != "" {
		fmt.Fprintln(out, "Warning:", dup)
	}
	launch := false
	if err := ask(huh.NewConfirm().Title("Launch?").Value(&launch)); err != nil || !launch {
		return accessibleEnd(io, err)
	}
	dr.Confirmed = dup != "" // seen and confirmed: the store records who
	if len(dr.Warnings) > 0 {
		_, _ = a.desk.AcceptWarnings(dr) // confirmed once for a profile
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	o, err := a.desk.Launch(ctx, dr)
	if err != nil {
		pe := providers.AsError(err)
		fmt.Fprintf(out, "Launch failed (%s): %s\n", pe.Kind, providers.SanitizeLine(pe.Error()))
		if pe.Action != "" {
			fmt.Fprintln(out, "What to do:", providers.SanitizeLine(pe.Action))
		}
		return nil
	}
	printLaunch(io, o, false, false)
	if o.RecordErr != nil {
		fmt.Fprintln(out, "The record could not be kept: the store shows this session of unknown outcome; do not launch it again.",
			providers.SanitizeLine(o.RecordErr.Error()))
	}
	f := a.desk.Followed(dr.Provider, o)
	if f.Challenger() == nil || o.Launch.Challenge == nil {
		return accessibleFollow(a, io, in, f)
	}
	if o.CodeErr != nil {
		fmt.Fprintln(out, "Sending the code failed:", providers.SanitizeLine(providers.AsError(o.CodeErr).Error()))
	}
	for {
		code := ""
		if err := ask(huh.NewInput().Title("Code the customer received (r sends a new code, empty to stop)").Value(&code)); err != nil {
			return accessibleEnd(io, err)
		}
		code = strings.TrimSpace(code)
		switch {
		case code == "":
			return nil
		case strings.EqualFold(code, "r"):
			sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
			ch, err := f.SendCode(sctx)
			scancel()
			if err != nil {
				fmt.Fprintln(out, "Sending the code failed:", providers.SanitizeLine(providers.AsError(err).Error()))
			} else {
				fmt.Fprintln(out, "A new code was sent to", providers.SanitizeLine(ch.RenderValue))
				if ch.SandboxCode != "" && a.mode == providers.ModeSandbox {
					fmt.Fprintln(out, "Sandbox: the simulated SMS says", providers.SanitizeLine(ch.SandboxCode))
				}
			}
			continue
		}
		vctx, vcancel := context.WithTimeout(context.Background(), 20*time.Second)
		st, err := f.Verify(vctx, code)
		vcancel()
		if err != nil {
			pe := providers.AsError(err)
			fmt.Fprintln(out, providers.SanitizeLine(pe.Error()))
			if pe.Action != "" {
				fmt.Fprintln(out, "What to do:", providers.SanitizeLine(pe.Action))
			}
			continue
		}
		fmt.Fprintf(out, "Status: %s. %s\n", st.State, providers.SanitizeLine(st.Detail))
		return nil
	}
}

// accessibleFollow waits for the session's result and says it when it
// arrives (a callback, the desk's follower), until it is final; enter
// asks the provider at once (where its rules allow), n goes on.
func accessibleFollow(a *app, io *IO, in *eofReader, f *desk.Follow) error {
	out := io.Out
	fmt.Fprintln(out, "Waiting for the result: it is said here when it arrives. Press enter to ask the provider now, or type n and enter to go on.")
	said := providers.StatePending
	announce := func(st providers.State, detail string) bool {
		if st != said {
			said = st
			fmt.Fprintf(out, "Result: %s. %s\n", st, providers.SanitizeLine(detail))
		}
		return st.Final()
	}
	for {
		var typed []byte
		if len(in.rest) == 0 {
			select {
			case c := <-a.desk.Changes():
				id := c.ID
				if id != f.ID {
					continue
				}
				s, err := a.desk.Session(id)
				if err != nil {
					continue
				}
				detail := ""
				if n := len(s.History); n > 0 {
					detail = s.History[n-1].Detail
				}
				if announce(s.State, detail) {
					return nil
				}
				continue
			case c, ok := <-in.pump():
				if !ok {
					in.eof = true
					return nil
				}
				typed = c
			}
		}
		if strings.EqualFold(in.line(typed), "n") {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		st, err := f.Status(ctx)
		cancel()
		if err != nil {
			pe := providers.AsError(a.desk.Explain(err))
			fmt.Fprintln(out, "Status not known:", providers.SanitizeLine(pe.Error()))
			continue
		}
		if st.State == said {
			fmt.Fprintf(out, "Still %s. %s\n", st.State, providers.SanitizeLine(st.Detail))
			continue
		}
		if announce(st.State, st.Detail) {
			return nil
		}
	}
}

func merge(base, more providers.Values) providers.Values {
	out := base.Clone()
	for k, v := range more {
		out[k] = v
	}
	return out
}
