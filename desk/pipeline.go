package desk

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// The launch pipeline, top to bottom: validate → intent → send → (an OTP
// flow: send the code) → outcome → metrics. The store keeps the record's
// rules (the duplicate guard, a retry's fingerprint) inside its own
// transactions; this file only calls it in order.

// outcomeWriteTimeout bounds recording an outcome: the launch's own
// context may be over by then (a request that timed out), the record must
// still be attempted.
const outcomeWriteTimeout = 30 * time.Second

// Launch sends dr and records it: the intent before the request, the
// outcome after. An OTP launch (DWS) sends its code inside the launch, so
// the recorded outcome already says it was sent (and `verify` in another
// process knows it), and the phone rings while the operator reads the
// screen. In live mode a customer with a pending session is refused
// (session.DuplicateError) unless the operator confirmed it (dr.Confirmed).
// On error, the outcome still names the session when its intent was
// recorded.
func (d *Desk) Launch(ctx context.Context, dr *Draft) (*Outcome, error) {
	// 1. Validate: the draft validated its values and built its request once.
	if err := dr.Problem(); err != nil {
		return nil, err
	}
	if d.RelayPossible(dr.Provider) {
		return d.launchRelay(ctx, dr) // the phone launches it (relay.go)
	}
	p := dr.Provider
	run := d.newRun(ctx, dr)
	err := d.tracked(run, p.Desc, p.Endpoint, func() error {
		// 2. Intent: committed before anything is sent.
		spec := p.Desc.Spec()
		at := session.Stamp(d.Now())
		s, err := d.o.Store.Intent(run.ctx, session.Intent{
			Provider:     p.Desc.ID,
			Mode:         d.o.Mode,
			Endpoint:     run.scrub.Secret(providers.StripUserinfo(strings.TrimSpace(p.Endpoint))),
			Customer:     run.scrub.Secret(d.Customer(p.Desc, dr.Values)),
			Values:       secretValues(run.scrub, session.StripPersonal(spec, dr.Values)),
			Request:      dr.Request,
			At:           at,
			SendingUntil: sendDeadline(run.ctx, at),
			Confirmed:    dr.Confirmed,
			Quotas:       d.o.Quotas,
		})
		if err != nil {
			var dup *session.DuplicateError
			if errors.As(err, &dup) {
				return duplicate(p.Desc, dup)
			}
			var quota *session.QuotaError
			if errors.As(err, &quota) {
				return d.quotaRefused(p.Desc, quota)
			}
			return fmt.Errorf("launch: the intent could not be recorded, so nothing was sent: %w", err)
		}
		// 3–5. Send, the code, the outcome.
		return d.send(run, s, dr.Values)
	})
	// 6. Metrics counted (tracked); the outcome for the screen.
	return d.finished(run, dr, err)
}

// Retry re-sends an outcome-unknown session's request from dr (its values
// typed again, personal ones included), under the same idempotency ids, so
// that the provider answers with the session it may already have created
// instead of a new one. The store refuses a request whose fingerprint
// differs from the first one's (session.ErrBodyChanged).
func (d *Desk) Retry(ctx context.Context, id string, dr *Draft) (*Outcome, error) {
	if err := dr.Problem(); err != nil {
		return nil, err
	}
	s, err := d.get(id)
	if err != nil {
		return nil, err
	}
	desc := dr.Provider.Desc
	run := d.newRun(ctx, dr)
	err = d.tracked(run, desc, s.Endpoint, func() error {
		if s.Endpoint != "" && !sameOrigin(dr.Request.URL, s.Endpoint) {
			return &providers.Error{Kind: providers.KindInvalid,
				Message: fmt.Sprintf("session %s was sent to %s, but this client sends to %s://%s", s.ID, s.Endpoint,
					dr.Request.URL.Scheme, dr.Request.URL.Host),
				Action: "retry with a client configured for the session's endpoint and mode; nothing was sent"}
		}
		// The values the first intent did not keep are personal ones.
		kept := s.Values()
		run.scrub = providers.NewScrubber(dr.Provider.Client.Secrets(), nil, personalOnly(dr.Values, kept))
		at := session.Stamp(d.Now())
		cur, err := d.o.Store.Attempt(run.ctx, s.ID, session.Attempt{
			Values:       secretValues(run.scrub, keepOnly(dr.Values, kept)),
			Request:      dr.Request,
			At:           at,
			SendingUntil: sendDeadline(run.ctx, at),
		})
		if err != nil {
			return err
		}
		return d.send(run, cur, dr.Values)
	})
	return d.finished(run, dr, err)
}

// run is one launch or retry on its way: what the provider answered, kept
// for the screen (the store does not keep all of it).
type run struct {
	ctx context.Context
	p   *Provider
	// desc and endpoint name the provider account's token bucket.
	desc     providers.Descriptor
	endpoint string
	label    string // the desk label, kept with the launch (LabelKey)
	scrub    providers.Scrubber
	// wire collects the provider's raw answers, masked with the client's
	// secrets and the draft's personal values; answered counts those of
	// the launch request itself (before a code is sent).
	wire     *providers.Capture
	answered int
	got      *providers.Launch
	codeErr  error
	session  *session.Session
}

func (d *Desk) newRun(ctx context.Context, dr *Draft) *run {
	p := dr.Provider
	scrub := providers.NewScrubber(p.Client.Secrets(), p.Desc.Spec(), dr.Values)
	r := &run{p: p, label: dr.Label, scrub: scrub, wire: providers.NewCapture(scrub)}
	r.ctx = providers.WithCapture(d.actor(ctx), r.wire)
	return r
}

// send makes the request of a recorded intent (3), sends an OTP code with
// it (4) and records the outcome (5). A cancelled context sends nothing
// and records a failed outcome.
func (d *Desk) send(r *run, s *session.Session, v providers.Values) error {
	r.session = s
	res, lerr := r.launch(v)
	o := outcomeFor(res, lerr, r.scrub)
	o.At = session.Stamp(d.Now())
	var perr error
	if lerr != nil {
		perr = providers.AsError(lerr)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), outcomeWriteTimeout)
	defer cancel()
	s2, serr := d.o.Store.Outcome(wctx, s.ID, o)
	if serr == nil {
		r.session = s2
		return perr
	}
	// Not recorded: the caller gets the session as launched anyway.
	r.session = session.WithOutcome(s, o, session.ActorOf(r.ctx))
	serr = fmt.Errorf("session %s: %w in %s (it will show as outcome unknown; do not launch it again, check it): %w",
		s.ID, session.ErrNotRecorded, d.o.Store.Location(), serr)
	if perr != nil {
		return errors.Join(perr, serr)
	}
	return serr
}

// launch is the provider's request and, for an OTP flow, the code sent
// right after it.
func (r *run) launch(v providers.Values) (*providers.Launch, error) {
	ctx := r.ctx
	if err := ctx.Err(); err != nil { // cancelled while the intent was written
		return nil, &providers.Error{Kind: providers.KindTransport, Message: "cancelled before sending", Err: err,
			Action: "nothing was sent; launch again when ready"}
	}
	// The provider account's token bucket, right before the request: the
	// intent's write before it would otherwise let requests that waited
	// their turn reach the provider bunched together (Alibaba: 10 QPS).
	if err := launchLimit(ctx, r.desc, r.endpoint); err != nil {
		return nil, &providers.Error{Kind: providers.KindTransport, Message: "cancelled while waiting for the provider's rate limit; nothing was sent",
			Action: "launch again", Err: err}
	}
	l, err := r.p.Client.Launch(ctx, v)
	r.got, r.answered = l, r.wire.Received()
	if err == nil && l == nil {
		err = &providers.Error{Kind: providers.KindUnknown, Message: "the client returned neither a result nor an error",
			Action: "check the session's status at the provider, then retry or resolve it"}
	}
	if err != nil {
		return l, err
	}
	if r.label != "" {
		if l.Extra == nil {
			l.Extra = map[string]string{}
		}
		l.Extra[LabelKey] = r.label
	}
	// 4. The code of an OTP flow, inside the launch.
	if ch, ok := r.p.Client.(providers.Challenger); ok && l.Challenge != nil && !l.Challenge.Triggered {
		got, terr := ch.Trigger(context.WithValue(ctx, launchingKey{}, true), l)
		if terr != nil {
			r.codeErr = terr
		} else {
			l.Challenge = got
		}
	}
	return l, nil
}

// tracked runs one launch of desc at endpoint: tracked by a server's
// shutdown, counted in the metrics; its request queues on the provider
// account's token bucket right before it goes out (run.launch), and a
// notice on the context (WithWaitNotice) hears when it queues.
func (d *Desk) tracked(r *run, desc providers.Descriptor, endpoint string, launch func() error) error {
	provider := desc.ID
	if d.o.Track != nil {
		tracked, done, err := d.o.Track(r.ctx)
		if err != nil {
			return errStopping
		}
		defer done()
		r.ctx = tracked
	}
	m := d.o.Metrics
	notice, _ := r.ctx.Value(waitNoticeKey{}).(func(time.Duration))
	r.ctx = providers.WithRateWait(r.ctx, func(wait time.Duration) {
		if m != nil {
			m.RateLimitWaited(provider, wait)
		}
		if notice != nil {
			notice(wait)
		}
	})
	start := time.Now()
	r.desc, r.endpoint = desc, endpoint
	if m != nil {
		m.LaunchStarted(provider)
	}
	err := launch()
	if m != nil {
		m.LaunchFinished(provider, outcomeWord(err), time.Since(start))
		if err != nil {
			if pe := providers.AsError(err); pe.Code != "" && pe.Kind != providers.KindInvalid {
				m.ProviderError(provider, pe.Code)
			}
		}
	}
	return err
}

// finished is a launch's or retry's outcome and error. A launch the
// provider made whose outcome the store could not record is a success
// with RecordErr set; a failed one keeps its provider error. A recorded
// session is news for every screen (Changes).
func (d *Desk) finished(r *run, dr *Draft, err error) (*Outcome, error) {
	o := r.outcome()
	if o != nil {
		o.Callbacks = reachesReceiver(dr.Provider, FollowPolicy(dr.Provider.Desc), dr.Values)
		d.ChangedTo(o.ID, o.Seq)
	}
	var pe *providers.Error
	if o != nil && o.Launch != nil && errors.Is(err, session.ErrNotRecorded) && !errors.As(err, &pe) {
		o.RecordErr = err
		return o, nil
	}
	return o, providers.WithExchanges(err, r.wire.Exchanges())
}

func (r *run) outcome() *Outcome {
	s := r.session
	if s == nil {
		return nil
	}
	o := &Outcome{ID: s.ID, Provider: s.Provider, Mode: s.Mode, Launch: r.got, CodeErr: r.codeErr,
		Exchanges: r.wire.Exchanges(), Seq: s.Seq()}
	// The last answer to the launch request; a code sent after it is not it.
	if n := r.answered - (r.wire.Received() - len(o.Exchanges)); n > 0 && n <= len(o.Exchanges) {
		o.Response = &o.Exchanges[n-1]
	}
	if o.Launch == nil && s.Launched() {
		o.Launch = s.Launch()
	}
	return o
}

// sendDeadline is when a request sent under ctx is over at the latest.
func sendDeadline(ctx context.Context, at time.Time) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return at.Add(session.DefaultSendLease)
}

// duplicate is the store's refusal of a second pending session for a
// customer, as the operator reads it.
func duplicate(d providers.Descriptor, dup *session.DuplicateError) *providers.Error {
	ids := make([]string, 0, len(dup.Pending))
	for _, s := range dup.Pending {
		ids = append(ids, s.ID)
	}
	who := "the customer"
	if d.CustomerKey == nil && len(dup.Pending) > 0 && dup.Pending[0].Customer != "" {
		who = fmt.Sprintf("%q", dup.Pending[0].Customer)
	}
	billed := ""
	if d.BillsEachLaunch {
		billed = "; a new one may be billed again"
	}
	return &providers.Error{
		Kind:    providers.KindInvalid,
		Code:    "DUPLICATE",
		Field:   d.CustomerParam,
		Message: fmt.Sprintf("%s already has a pending %s session (%s), perhaps launched at another desk%s", who, d.ID, strings.Join(ids, ", "), billed),
		Action:  "open that session instead, or launch anyway once you have checked it (confirm at review; `launch --confirm-duplicate`); nothing was sent",
		Err:     dup,
	}
}

// outcomeFor is what the store keeps of a launch result: secrets masked
// everywhere, personal values masked in free text, no sandbox code.
func outcomeFor(res *providers.Launch, err error, sc providers.Scrubber) session.Outcome {
	if err != nil {
		pe := providers.AsError(err)
		kind := pe.Kind
		if kind == "" {
			kind = providers.KindUnknown
		}
		msg := pe.Message
		if msg == "" && pe.Err != nil {
			msg = pe.Err.Error()
		}
		return session.Outcome{Error: &session.ErrorInfo{
			Kind:       kind,
			Code:       sc.Text(providers.SanitizeLine(pe.Code)),
			Field:      pe.Field,
			Message:    sc.Text(clip(providers.SanitizeLine(msg), 1000)),
			Action:     sc.Text(providers.SanitizeLine(pe.Action)),
			HTTPStatus: pe.HTTPStatus,
		}}
	}
	o := session.Outcome{
		References: secretMap(sc, res.References),
		URL:        sc.Secret(res.URL),
		ExpiresAt:  res.ExpiresAt,
		SingleUse:  res.SingleUse,
		Extra:      secretMap(sc, res.Extra),
		Customer:   sc.Secret(res.Customer),
	}
	if ch := res.Challenge; ch != nil {
		o.Challenge = &providers.Challenge{
			Type:        sc.Secret(ch.Type),
			RenderValue: sc.Secret(ch.RenderValue),
			ChallengeID: sc.Secret(ch.ChallengeID),
			Triggered:   ch.Triggered,
			CodeExpires: ch.CodeExpires,
		}
	}
	return o
}

// clip cuts s to n runes at most, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// sameOrigin reports whether u goes to the scheme and host of endpoint.
func sameOrigin(u *url.URL, endpoint string) bool {
	e, err := url.Parse(endpoint)
	if err != nil || e.Host == "" || u.Host == "" {
		return true // nothing to compare
	}
	return strings.EqualFold(e.Scheme, u.Scheme) && strings.EqualFold(e.Host, u.Host)
}

// personalOnly is the part of v that the store did not keep in kept: on a
// retry, with no spec at hand, that is what the first launch considered
// personal.
func personalOnly(v, kept providers.Values) providers.Values {
	out := providers.Values{}
	for name, vals := range v {
		if _, ok := kept[name]; !ok {
			out[name] = vals
		}
	}
	return out
}

// keepOnly is v restricted to the names in kept.
func keepOnly(v, kept providers.Values) providers.Values {
	out := make(providers.Values, len(kept))
	for name := range kept {
		if vals, ok := v[name]; ok {
			out[name] = append([]string(nil), vals...)
		}
	}
	return out
}

// secretMap is m with secrets masked and control characters removed.
func secretMap(sc providers.Scrubber, m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = sc.Secret(providers.SanitizeLine(v))
	}
	return out
}

// secretValues is v with secrets masked.
func secretValues(sc providers.Scrubber, v providers.Values) providers.Values {
	out := make(providers.Values, len(v))
	for k, vals := range v {
		c := make([]string, len(vals))
		for i, x := range vals {
			c[i] = sc.Secret(x)
		}
		out[k] = c
	}
	return out
}
