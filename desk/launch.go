package desk

import (
	"context"
	"errors"
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
	// RecordErr: the provider launched the session but the store could
	// not record the outcome (it wraps session.ErrNotRecorded): the
	// launch is good and must reach the customer, but the store shows the
	// session of unknown outcome, and it must not be launched again.
	RecordErr error
	// Callbacks: its results reach this process's callback receiver.
	Callbacks bool
	// Response is the provider's raw answer the launch was read from, and
	// Exchanges every answer the launch received, in order (a DWS launch's
	// attempts and the code it sends): masked, for display only, never
	// recorded.
	Response  *providers.Exchange
	Exchanges []providers.Exchange
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
	pend := d.pendingFor(desc.ID, cust, d.o.Mode)
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
	c := newLaunching(dr)
	s, err := d.o.Launcher.LaunchBuilt(c.capturing(d.actor(ctx)), p.Desc, c, d.o.Mode, p.Endpoint, dr.Values, dr.Request)
	return d.finished(c, s, dr, err)
}

// Retry re-sends an outcome-unknown session's request from dr (its values
// typed again, personal ones included), under the same idempotency ids.
func (d *Desk) Retry(ctx context.Context, id string, dr *Draft) (*Outcome, error) {
	if err := dr.Problem(); err != nil {
		return nil, err
	}
	s, err := d.get(id)
	if err != nil {
		return nil, err
	}
	c := newLaunching(dr)
	s, err = d.o.Launcher.RetryBuilt(c.capturing(d.actor(ctx)), s, c, dr.Values, dr.Request)
	return d.finished(c, s, dr, err)
}

// finished is a launch's or retry's outcome and error. A launch the
// provider made whose outcome the store could not record is a success
// with RecordErr set; a failed one keeps its provider error.
func (d *Desk) finished(c *launching, s *session.Session, dr *Draft, err error) (*Outcome, error) {
	o := d.outcome(c, s, dr)
	var pe *providers.Error
	if o != nil && o.Launch != nil && errors.Is(err, session.ErrNotRecorded) && !errors.As(err, &pe) {
		o.RecordErr = err
		return o, nil
	}
	return o, c.withExchanges(err)
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
	// wire collects the provider's raw answers, masked with the client's
	// secrets and the draft's personal values; answered counts those of
	// the launch request itself (before a code is sent).
	wire     *providers.Capture
	answered int
}

func newLaunching(dr *Draft) *launching {
	p := dr.Provider
	return &launching{Client: p.Client, label: dr.Label,
		wire: providers.NewCapture(providers.NewScrubber(p.Client.Secrets(), p.Desc.Spec(), dr.Values))}
}

// capturing is ctx under which the provider's answers are collected.
func (c *launching) capturing(ctx context.Context) context.Context {
	return providers.WithCapture(ctx, c.wire)
}

// withExchanges gives a failed launch's error the raw answers behind it.
func (c *launching) withExchanges(err error) error {
	return providers.WithExchanges(err, c.wire.Exchanges())
}

func (c *launching) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	l, err := c.Client.Launch(ctx, v)
	c.got = l
	c.answered = c.wire.Received()
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
	o := &Outcome{ID: s.ID, Provider: s.Provider, Mode: s.Mode, Launch: c.got, CodeErr: c.codeErr,
		Exchanges: c.wire.Exchanges()}
	// The last answer to the launch request; a code sent after it is not it.
	if n := c.answered - (c.wire.Received() - len(o.Exchanges)); n > 0 && n <= len(o.Exchanges) {
		o.Response = &o.Exchanges[n-1]
	}
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
