package desk

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/kycdesk/kycdesk/providers"
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
	// Seq is the recorded session's last event (session.Session.Seq): a
	// change notice of it or an earlier one brings nothing new.
	Seq int64
	// Response is the provider's raw answer the launch was read from, and
	// Exchanges every answer the launch received, in order (a DWS launch's
	// attempts and the code it sends): masked, for display only, never
	// recorded.
	Response  *providers.Exchange
	Exchanges []providers.Exchange
}

// Duplicate is the warning due before launching dr: a live session still
// pending for the same customer, which the store refuses to launch again
// unless the operator confirms (Draft.Confirmed); "" when there is none.
func (d *Desk) Duplicate(dr *Draft) string {
	desc := dr.Provider.Desc
	if d.o.Mode != providers.ModeLive {
		return ""
	}
	cust := d.Customer(desc, dr.Values)
	if cust == "" {
		return ""
	}
	pend := d.pendingFor(desc.ID, cust, d.o.Mode)
	if len(pend) == 0 {
		return ""
	}
	billed := ""
	if desc.BillsEachLaunch {
		billed = "; a new one may be billed again"
	}
	return fmt.Sprintf("%s %q already has a pending live session (%s)%s",
		desc.CustomerParam, dr.Values.Get(desc.CustomerParam), pend[0].ID, billed)
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
