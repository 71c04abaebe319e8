package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// The relay at a desk: a provider whose launch needs a value from the
// customer's own browser (Descriptor.DeviceParam: Alibaba's MetaInfo) is
// not launched when the operator confirms. The intent is recorded, the QR
// shows a relay link (Options.Relay: server/relay.go on kycdesk serve's
// HTTP listener), and the launch happens when the customer's phone opens
// it and posts what getMetaInfo() returned: that exact value, the desk's
// other values, under the provider's shared rate limit, recorded as this
// session's outcome. The screen follows the phone (RelayPhase).

// RelayLink is what the desk gives the relay for one customer (the fields
// of server.RelayLink).
type RelayLink struct {
	Script string
	Opened func()
	Start  func(ctx context.Context, value string) (string, error)
	Failed func(why string)
}

// Relayer issues a relay link: its URL and when it expires.
type Relayer func(RelayLink) (string, time.Time, error)

// Relay phases, as the desk's screen says them.
const (
	RelayWaiting = "scan the QR with the customer's phone: the link works once, for 10 minutes"
	RelayOpened  = "the customer's phone opened the link"
	RelayInFlow  = "the customer is in %s's flow on their phone"
)

// RelayValue is what the record keeps for a device value the phone
// supplied.
const RelayValue = "(from the customer's phone, through the relay)"

// relayStartLimit bounds the intent's sending lease beyond the link's life
// (the phone's launch itself).
const relayStartLimit = time.Minute

// relayPhases are the relay sessions this desk launched, by id.
type relayPhases struct {
	mu sync.Mutex
	m  map[string]string
}

func (r *relayPhases) set(id, phase string) {
	r.mu.Lock()
	if r.m == nil {
		r.m = map[string]string{}
	}
	r.m[id] = phase
	r.mu.Unlock()
}

// RelayPhase is where the customer's phone is with session id, launched
// at this desk through the relay; "" for any other session.
func (d *Desk) RelayPhase(id string) string {
	d.relay.mu.Lock()
	defer d.relay.mu.Unlock()
	return d.relay.m[id]
}

// RelayPossible reports whether a launch of p at this desk goes through
// the relay; otherwise its DeviceParam is a preset.
func (d *Desk) RelayPossible(p *Provider) bool {
	return d.o.Relay != nil && p != nil && p.Desc.DeviceParam != ""
}

// relayScript is the script the relay page loads: the sandbox's stand-in
// at the same path on the sandbox's host, or the provider's own.
func (d *Desk) relayScript(p *Provider) string {
	script := p.Desc.DeviceScript
	if d.o.Mode == providers.ModeSandbox && d.o.RelaySandbox != "" {
		if i := strings.Index(script, "://"); i >= 0 {
			if j := strings.Index(script[i+3:], "/"); j >= 0 {
				return strings.TrimRight(d.o.RelaySandbox, "/") + script[i+3+j:]
			}
		}
	}
	return script
}

// launchRelay records dr's intent and returns the relay link as the
// launch to show; nothing is sent to the provider until the phone posts.
func (d *Desk) launchRelay(ctx context.Context, dr *Draft) (*Outcome, error) {
	p := dr.Provider
	actx := d.actor(ctx)
	spec := p.Desc.Spec()
	scrub := providers.NewScrubber(p.Client.Secrets(), spec, dr.Values)
	at := session.Stamp(d.Now())
	// The record does not keep the preset the draft holds: the value
	// sent is the phone's, which the launch records as its device.
	kept := session.StripPersonal(spec, dr.Values).Clone()
	kept.Set(p.Desc.DeviceParam, RelayValue)
	s, err := d.o.Store.Intent(actx, session.Intent{
		Provider:     p.Desc.ID,
		Mode:         d.o.Mode,
		Endpoint:     scrub.Secret(providers.StripUserinfo(strings.TrimSpace(p.Endpoint))),
		Customer:     scrub.Secret(d.Customer(p.Desc, dr.Values)),
		Values:       secretValues(scrub, kept),
		Request:      dr.Request,
		At:           at,
		SendingUntil: at.Add(relayTTL + relayStartLimit),
		Confirmed:    dr.Confirmed,
	})
	if err != nil {
		var dup *session.DuplicateError
		if errors.As(err, &dup) {
			return nil, duplicate(p.Desc, dup)
		}
		return nil, fmt.Errorf("launch: the intent could not be recorded, so nothing was sent: %w", err)
	}
	id := s.ID
	d.relay.set(id, RelayWaiting)
	var once sync.Once
	fail := func(why string) {
		once.Do(func() {
			d.relay.set(id, "the relay link is spent without a verification: "+providers.SanitizeLine(why)+" — n starts a new session")
			// The intent ends as a failed launch: nothing reached the provider.
			o := outcomeFor(nil, &providers.Error{Kind: providers.KindTransport, Message: "the relay link was not used: " + why,
				Action: "launch again for a new link; nothing was sent"}, scrub)
			o.At = session.Stamp(d.Now())
			wctx, cancel := context.WithTimeout(context.WithoutCancel(actx), outcomeWriteTimeout)
			defer cancel()
			if cur, err := d.o.Store.Get(wctx, id); err == nil && !cur.Launched() {
				d.o.Store.Outcome(wctx, id, o)
			}
			d.Changed(id)
		})
	}
	link := RelayLink{
		Script: d.relayScript(p),
		Opened: func() { d.relay.set(id, RelayOpened); d.Changed(id) },
		Failed: fail,
		Start: func(pctx context.Context, value string) (string, error) {
			v := dr.Values.Clone()
			v.Set(p.Desc.DeviceParam, value)
			pp := *p
			pp.Client = phoneClient{Client: p.Client, mark: p.Desc.DeviceMark, value: value}
			pdr := *dr
			pdr.Provider, pdr.Values = &pp, v
			run := d.newRun(context.WithoutCancel(actx), &pdr)
			var cancel context.CancelFunc
			run.ctx, cancel = context.WithCancel(run.ctx)
			defer cancel()
			stop := context.AfterFunc(pctx, cancel) // the phone's request bounds the launch
			defer stop()
			err := d.tracked(run, p.Desc, p.Endpoint, func() error { return d.send(run, s, v) })
			o, err := d.finished(run, &pdr, err)
			if err != nil || o == nil || o.Launch == nil || o.Launch.URL == "" {
				if err == nil {
					err = errors.New("no verification URL came back")
				}
				d.relay.set(id, "the launch from the customer's phone failed: "+providers.SanitizeLine(providers.AsError(err).Message))
				d.Changed(id)
				return "", err
			}
			d.relay.set(id, fmt.Sprintf(RelayInFlow, p.Desc.Name))
			d.Changed(id)
			return o.Launch.URL, nil
		},
	}
	u, exp, err := d.o.Relay(link)
	if err != nil {
		fail(err.Error())
		return nil, &providers.Error{Kind: providers.KindTransport, Message: "no relay link: " + err.Error(),
			Action: "try again in a few minutes; nothing was sent"}
	}
	d.Changed(id)
	return &Outcome{ID: id, Provider: p.Desc.ID, Mode: d.o.Mode, Callbacks: reachesReceiver(p, FollowPolicy(p.Desc), dr.Values),
		Launch: &providers.Launch{Provider: p.Desc.ID, URL: u, ExpiresAt: exp, SingleUse: true,
			Notes: []string{"relay link: the customer's phone supplies " + p.Desc.DeviceParam + " and only then is " + p.Desc.Name + " asked"}}}, nil
}

// relayTTL mirrors server.RelayTTL (the desk does not import the server).
const relayTTL = 10 * time.Minute

// phoneClient marks a launch whose device value came from the phone.
type phoneClient struct {
	providers.Client
	mark  func(l *providers.Launch, source, value string)
	value string
}

func (c phoneClient) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	l, err := c.Client.Launch(ctx, v)
	if l != nil && c.mark != nil {
		c.mark(l, providers.DeviceFromPhone, c.value)
	}
	return l, err
}

// DeviceNote is what the review says of dr's device value: that the
// customer's phone supplies it through the relay, or that a preset stands
// in for it (the provider's own words); "" when the provider has none.
func (d *Desk) DeviceNote(dr *Draft) string {
	p := dr.Provider
	if p == nil || p.Desc.DeviceParam == "" {
		return ""
	}
	if d.RelayPossible(p) {
		return "the QR is a relay link: the customer's phone supplies " + p.Desc.DeviceParam + ", and only then is " + p.Desc.Name + " asked"
	}
	return p.Desc.DeviceNote(dr.Values.Get(p.Desc.DeviceParam))
}
