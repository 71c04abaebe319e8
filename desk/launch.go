package desk

import (
	"context"
	"fmt"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Outcome is a launch as the provider gave it (the history does not keep
// everything a screen shows: notes, the sandbox's simulated code).
type Outcome struct {
	// ID is the session's id; "" when nothing was recorded.
	ID       string
	Provider string
	Mode     providers.Mode
	Launch   *providers.Launch
	// CodeErr: an OTP launch (DWS) whose code could not be sent; the
	// session exists and the code can be sent again (Follow.SendCode).
	CodeErr error
}

// Duplicate is the warning due before launching dr: a live session still
// pending for the same customer with a provider that bills every launch
// (iDenfy tokens); "" when there is none.
func (d *Desk) Duplicate(dr *Draft) string {
	desc := dr.Provider.Desc
	if d.o.Mode != providers.ModeLive || !desc.BillsEachLaunch {
		return ""
	}
	cust := dr.Customer()
	if cust == "" {
		return ""
	}
	pend := d.o.History.PendingFor(desc.ID, cust, d.o.Mode, d.Now())
	if len(pend) == 0 {
		return ""
	}
	return fmt.Sprintf("%s %q already has a pending live session (%s); a new one may be billed again",
		desc.CustomerParam, dr.Values.Get(desc.CustomerParam), pend[0].ID)
}

// Launch sends dr and records it: the intent before the request, the
// outcome after. An OTP launch (DWS) sends its code inside the launch, so
// the recorded outcome already says it was sent (and `verify` in another
// process knows it), and the phone rings while the operator reads the
// screen. On error, the outcome still names the session when its intent
// was recorded.
func (d *Desk) Launch(ctx context.Context, dr *Draft) (*Outcome, error) {
	if err := dr.Problem(); err != nil {
		return nil, err
	}
	p := dr.Provider
	c := &launching{Client: p.Client}
	s, err := d.o.Launcher.LaunchBuilt(ctx, p.Desc, c, d.o.Mode, p.Endpoint, dr.Values, dr.Request)
	return c.outcome(s), err
}

// Retry re-sends an outcome-unknown session's request from dr (its values
// typed again, personal ones included), under the same idempotency ids.
func (d *Desk) Retry(ctx context.Context, id string, dr *Draft) (*Outcome, error) {
	if err := dr.Problem(); err != nil {
		return nil, err
	}
	s, err := d.o.History.Get(id)
	if err != nil {
		return nil, err
	}
	c := &launching{Client: dr.Provider.Client}
	s, err = d.o.Launcher.RetryBuilt(ctx, s, c, dr.Values, dr.Request)
	return c.outcome(s), err
}

// launching wraps a client for one launch: it sends an OTP code inside
// the launch and keeps the result as the provider gave it.
type launching struct {
	providers.Client
	got     *providers.Launch
	codeErr error
}

func (c *launching) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	l, err := c.Client.Launch(ctx, v)
	c.got = l
	ch, ok := c.Client.(providers.Challenger)
	if err != nil || l == nil || !ok || l.Challenge == nil || l.Challenge.Triggered {
		return l, err
	}
	got, terr := ch.Trigger(ctx, l)
	if terr != nil {
		c.codeErr = terr
		return l, nil
	}
	l.Challenge = got
	return l, nil
}

func (c *launching) outcome(s *session.Session) *Outcome {
	if s == nil {
		return nil
	}
	o := &Outcome{ID: s.ID, Provider: s.Provider, Mode: s.Mode, Launch: c.got, CodeErr: c.codeErr}
	if o.Launch == nil && s.Launched() {
		o.Launch = s.Launch()
	}
	return o
}
