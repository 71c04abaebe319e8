package cli

import (
	"context"
	"errors"
	"fmt"
	goio "io"
	"strings"
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
		if err := ask(huh.NewSelect[string]().Title("Provider").Options(opts...).Value(&id)); err != nil {
			return accessibleEnd(&io, err)
		}
		p := a.desk.Lookup(id)
		if p == nil {
			return exitCode(exitOther)
		}
		if err := accessibleSession(a, &io, p, ask, in); err != nil {
			return err
		}
		again := false
		if err := ask(huh.NewConfirm().Title("Start another session?").Value(&again)); err != nil || !again {
			return accessibleEnd(&io, err)
		}
	}
}

// eofReader notes the end of the input: huh's accessible prompts re-ask
// at EOF, which would loop forever on piped input.
type eofReader struct {
	r   goio.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == goio.EOF {
		e.eof = true
	}
	return n, err
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
		f := forms.New(p.Desc.Name, essentials, values, false)
		if err := f.Form.WithAccessible(true).WithInput(io.In).WithOutput(io.Out).Run(); err != nil || in.eof {
			return accessibleEnd(io, err)
		}
		values = merge(values, f.Values())
		more := false
		if len(advanced) > 0 {
			if err := ask(huh.NewConfirm().Title(fmt.Sprintf("Set any of the %d advanced parameters?", len(advanced))).Value(&more)); err != nil {
				return accessibleEnd(io, err)
			}
		}
		if more {
			g := forms.New(p.Desc.Name, advanced, values, true)
			if err := g.Form.WithAccessible(true).WithInput(io.In).WithOutput(io.Out).Run(); err != nil || in.eof {
				return accessibleEnd(io, err)
			}
			values = merge(values, g.Values())
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
	fmt.Fprintln(out, "The request that will be sent, secrets masked:")
	fmt.Fprint(out, dr.Text())
	if dup := a.desk.Duplicate(dr); dup != "" {
		fmt.Fprintln(out, "Warning:", dup)
	}
	launch := false
	if err := ask(huh.NewConfirm().Title("Launch?").Value(&launch)); err != nil || !launch {
		return accessibleEnd(io, err)
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
	f := a.desk.Followed(p, o)
	if f.Challenger() == nil || o.Launch.Challenge == nil {
		return nil
	}
	if o.CodeErr != nil {
		fmt.Fprintln(out, "Sending the code failed:", providers.SanitizeLine(providers.AsError(o.CodeErr).Error()))
		return nil
	}
	for {
		code := ""
		if err := ask(huh.NewInput().Title("Code the customer received (empty to stop)").Value(&code)); err != nil {
			return accessibleEnd(io, err)
		}
		if strings.TrimSpace(code) == "" {
			return nil
		}
		vctx, vcancel := context.WithTimeout(context.Background(), 20*time.Second)
		st, err := f.Verify(vctx, strings.TrimSpace(code))
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

func merge(base, more providers.Values) providers.Values {
	out := base.Clone()
	for k, v := range more {
		out[k] = v
	}
	return out
}
