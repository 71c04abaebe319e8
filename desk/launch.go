package desk

import (
	"context"
	"fmt"
	"net/url"
	"strings"

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
	// Callbacks: its results reach this process's callback receiver.
	Callbacks bool
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
	c := &launching{Client: p.Client, label: dr.Label}
	s, err := d.o.Launcher.LaunchBuilt(ctx, p.Desc, c, d.o.Mode, p.Endpoint, dr.Values, dr.Request)
	return d.outcome(c, s, dr), err
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
	c := &launching{Client: dr.Provider.Client, label: dr.Label}
	s, err = d.o.Launcher.RetryBuilt(ctx, s, c, dr.Values, dr.Request)
	return d.outcome(c, s, dr), err
}

// outcome is a launch's outcome; a recorded session is news for every
// screen (Changes).
func (d *Desk) outcome(c *launching, s *session.Session, dr *Draft) *Outcome {
	o := c.outcome(s)
	if o != nil {
		o.Callbacks = reachesReceiver(dr.Provider, FollowPolicy(dr.Provider.Desc), dr.Values)
		d.Changed(o.ID)
	}
	return o
}

// launching wraps a client for one launch: it sends an OTP code inside
// the launch and keeps the result as the provider gave it.
type launching struct {
	providers.Client
	got     *providers.Launch
	codeErr error
	label   string // the desk label, kept with the launch (LabelKey)
}

func (c *launching) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	l, err := c.Client.Launch(ctx, v)
	c.got = l
	if l != nil && c.label != "" {
		if l.Extra == nil {
			l.Extra = map[string]string{}
		}
		l.Extra[LabelKey] = c.label
	}
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

// RelaunchValues are a recorded session's values as a new launch starts
// from them: without what the provider generates (idempotency ids, so it
// is a new request) and without a callback URL kycdesk filled for a
// receiver (a loopback port of an earlier console, or today's), so that
// Prepare points the new session at the receiver running now, if any.
func RelaunchValues(p *Provider, v providers.Values) providers.Values {
	out := v.Clone()
	for _, param := range p.Desc.Spec() {
		if param.Generate != nil {
			delete(out, param.Name)
		}
	}
	suffix := providers.CallbackPath(p.Desc.ID)
	for name, vals := range out {
		for _, x := range vals {
			if u, err := url.Parse(x); err == nil && (u.Scheme == "http" || u.Scheme == "https") &&
				strings.HasSuffix(u.Path, suffix) && (x == p.CallbackURL || providers.IsLoopback(u.Hostname())) {
				delete(out, name)
				break
			}
		}
	}
	return out
}
