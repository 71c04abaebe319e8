package main

import (
	"context"
	"errors"
	"fmt"
	goio "io"
	"strings"
	"time"

	"github.com/charmbracelet/huh"

	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/ui"
)

// runAccessible is the console for screen readers and braille displays
// (--accessible): huh's accessible mode asks one plain prompt per line, and
// results are printed as text, with no full-screen drawing.
func runAccessible(a *app, streams *IO) int {
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
	fmt.Fprintf(out, "kycdesk, %s. Requests go to %s.\n", version, mode)
	if note := a.sandboxNote(); note != "" {
		fmt.Fprintln(out, note)
	}
	entries := a.entries()
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
			return 1
		}
		var id string
		if err := ask(huh.NewSelect[string]().Title("Provider").Options(opts...).Value(&id)); err != nil {
			return accessibleEnd(&io, err)
		}
		var e *ui.Entry
		for _, x := range entries {
			if x.Desc.ID == id {
				e = x
			}
		}
		if e == nil {
			return 1
		}
		if code := accessibleSession(a, &io, e, ask, in); code != 0 {
			return code
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

func accessibleEnd(io *IO, err error) int {
	if err == nil || errors.Is(err, huh.ErrUserAborted) || errors.Is(err, errInputEnded) {
		return 0
	}
	fmt.Fprintln(io.Err, "kycdesk:", err)
	return 1
}

// accessibleSession fills, reviews, launches and follows one session.
func accessibleSession(a *app, io *IO, e *ui.Entry, ask func(...huh.Field) error, in *eofReader) int {
	out := io.Out
	c := e.Client
	essentials, advanced := forms.Split(e.Desc.Spec())
	values := providers.Values{}
	for {
		f := forms.New(e.Desc.Name, essentials, values, false)
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
			g := forms.New(e.Desc.Name, advanced, values, true)
			if err := g.Form.WithAccessible(true).WithInput(io.In).WithOutput(io.Out).Run(); err != nil || in.eof {
				return accessibleEnd(io, err)
			}
			values = merge(values, g.Values())
		}
		values = c.Prepare(values)
		refusals, warnings := providers.Problems(c.Validate(values))
		if len(refusals) == 0 {
			for _, w := range warnings {
				fmt.Fprintln(out, "Warning:", providers.SanitizeLine(w.Error()))
			}
			break
		}
		fmt.Fprintln(out, "Fix these before review:")
		for _, r := range refusals {
			fmt.Fprintln(out, "  "+providers.SanitizeLine(r.Error()))
		}
	}
	req, err := c.Request(context.Background(), values)
	if err != nil {
		fmt.Fprintln(out, providers.AsError(err).Error())
		return 0
	}
	fmt.Fprintln(out, "The request that will be sent, secrets masked:")
	fmt.Fprint(out, providers.View(req, c.Secrets()).Text())
	launch := false
	if err := ask(huh.NewConfirm().Title("Launch?").Value(&launch)); err != nil || !launch {
		return accessibleEnd(io, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	capture := &ui.Capture{Client: &sendCodeOnLaunch{Client: c}}
	s, err := (&session.Launcher{Journal: a.journal}).Launch(ctx, e.Desc, capture, a.mode, e.Resolved.Config.BaseURL, values)
	if err != nil {
		pe := providers.AsError(err)
		fmt.Fprintf(out, "Launch failed (%s): %s\n", pe.Kind, providers.SanitizeLine(pe.Error()))
		if pe.Action != "" {
			fmt.Fprintln(out, "What to do:", providers.SanitizeLine(pe.Action))
		}
		return 0
	}
	l := capture.Result(s)
	printLaunch(io, a, s, l, false, false)
	ch, ok := c.(providers.Challenger)
	if !ok || l.Challenge == nil {
		return 0
	}
	if !l.Challenge.Triggered {
		got, err := ch.Trigger(ctx, l)
		if err != nil {
			fmt.Fprintln(out, "Sending the code failed:", providers.SanitizeLine(providers.AsError(err).Error()))
			return 0
		}
		l.Challenge = got
	}
	for {
		code := ""
		if err := ask(huh.NewInput().Title("Code the customer received (empty to stop)").Value(&code)); err != nil {
			return accessibleEnd(io, err)
		}
		if strings.TrimSpace(code) == "" {
			return 0
		}
		vctx, vcancel := context.WithTimeout(context.Background(), 20*time.Second)
		st, err := ch.Verify(vctx, l, strings.TrimSpace(code))
		vcancel()
		if err != nil {
			pe := providers.AsError(err)
			fmt.Fprintln(out, providers.SanitizeLine(pe.Error()))
			if pe.Action != "" {
				fmt.Fprintln(out, "What to do:", providers.SanitizeLine(pe.Action))
			}
			continue
		}
		_, _ = a.journal.AppendStatus(s.ID, st)
		fmt.Fprintf(out, "Status: %s. %s\n", st.State, providers.SanitizeLine(st.Detail))
		return 0
	}
}

func merge(base, more providers.Values) providers.Values {
	out := base.Clone()
	for k, v := range more {
		out[k] = v
	}
	return out
}
