package desk

import (
	"context"
	"fmt"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Policy is how a session is followed: the delay before each status poll.
type Policy interface {
	NextPoll(attempt int) time.Duration
}

// FollowPolicy is the follow policy for a provider: the one place a
// per-provider rule plugs in (iDenfy asks not to be polled; Alibaba has a
// per-account QPS budget). Today every provider gets session.Poller's
// gentle back-off: 5 s doubling to 60 s.
func FollowPolicy(d providers.Descriptor) Policy { return &session.Poller{} }

// Follow is a launched session being followed: its provider configured
// for the endpoint and mode it was launched with (not the desk's current
// ones), and what the history recorded of it.
type Follow struct {
	ID       string
	Provider *Provider
	Launch   *providers.Launch
	Mode     providers.Mode
	Policy   Policy
	desk     *Desk
}

// Follow finds a recorded session and the provider to follow it with.
func (d *Desk) Follow(id string) (*Follow, error) {
	s, err := d.o.History.Get(id)
	if err != nil {
		return nil, err
	}
	if !s.Launched() {
		return nil, fmt.Errorf("session %s has no launch outcome (state: %s)", s.ID, s.State)
	}
	desc, ok := d.o.Registry.Get(s.Provider)
	if !ok {
		return nil, fmt.Errorf("session %s: unknown provider %q", s.ID, s.Provider)
	}
	p := d.o.Resolve(desc, s.Mode, s.Endpoint)
	if p.Disabled != "" {
		return nil, fmt.Errorf("%s is unavailable: %s", s.Provider, p.Disabled)
	}
	return &Follow{ID: s.ID, Provider: p, Launch: s.Launch(), Mode: s.Mode, Policy: FollowPolicy(desc), desk: d}, nil
}

// Followed is the Follow of a session this desk just launched with p.
func (d *Desk) Followed(p *Provider, o *Outcome) *Follow {
	return &Follow{ID: o.ID, Provider: p, Launch: o.Launch, Mode: d.o.Mode, Policy: FollowPolicy(p.Desc), desk: d}
}

// NextPoll is the delay before status poll number attempt (0-based).
func (f *Follow) NextPoll(attempt int) time.Duration { return f.Policy.NextPoll(attempt) }

// Challenger is the provider's OTP side, or nil.
func (f *Follow) Challenger() providers.Challenger {
	ch, _ := f.Provider.Client.(providers.Challenger)
	return ch
}

// Status asks the provider and records the answer. A final state the
// history recorded is kept when the provider answers with a non-final one:
// DWS has no status query, so its client only knows what the launch told
// it, while the history saw the verify.
func (f *Follow) Status(ctx context.Context) (*providers.Status, error) {
	st, err := f.Provider.Client.Status(ctx, f.Launch)
	if err != nil {
		pe := providers.AsError(err)
		if pe.Kind == providers.KindTransport && f.Mode == providers.ModeSandbox {
			cp := *pe
			cp.Action = "the sandbox that issued this session is gone (an in-process sandbox lives only as long as its process); run `kycdesk sandbox` and launch anew"
			pe = &cp
		}
		return nil, pe
	}
	if s, gerr := f.desk.o.History.Get(f.ID); gerr == nil {
		st = keepFinal(s, st)
	}
	f.Record(st)
	return st, nil
}

// Verify submits the code the customer received and records the result.
func (f *Follow) Verify(ctx context.Context, code string) (*providers.Status, error) {
	ch := f.Challenger()
	if ch == nil || f.Launch == nil || f.Launch.Challenge == nil {
		return nil, providers.Invalid([]providers.FieldError{{Field: "SESSION",
			Message: fmt.Sprintf("session %s (%s) has no one-time-code challenge", f.ID, f.Provider.Desc.ID)}})
	}
	st, err := ch.Verify(ctx, f.Launch, code)
	if err != nil {
		return nil, err
	}
	f.Record(st)
	return st, nil
}

// SendCode sends (or sends again) the one-time code.
func (f *Follow) SendCode(ctx context.Context) (*providers.Challenge, error) {
	ch := f.Challenger()
	if ch == nil {
		return nil, fmt.Errorf("session %s has no one-time-code challenge", f.ID)
	}
	got, err := ch.Trigger(ctx, f.Launch)
	if err == nil {
		f.Launch.Challenge = got
	}
	return got, err
}

// Record keeps a status the desk decided itself (a code's lifetime over).
func (f *Follow) Record(st *providers.Status) {
	if f.ID != "" && st != nil {
		_, _ = f.desk.o.History.AppendStatus(f.ID, st)
	}
}

// keepFinal keeps the final state s recorded when st is not final.
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
