package desk

import (
	"context"
	"fmt"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// FollowPolicy is how a provider's sessions are followed: the provider's
// own policy (providers.Descriptor.FollowPolicy), the one polling rule.
// iDenfy is never polled; Alibaba is polled gently only without callbacks;
// a DWS result is the verify answer.
func FollowPolicy(d providers.Descriptor) providers.FollowPolicy { return d.FollowPolicy() }

// Follow is a launched session being followed: its provider configured
// for the endpoint and mode it was launched with (not the desk's current
// ones), and what the history recorded of it.
type Follow struct {
	ID       string
	Provider *Provider
	Launch   *providers.Launch
	Mode     providers.Mode
	Policy   providers.FollowPolicy
	// Callbacks: the session's results reach this process's callback
	// receiver (Provider.CallbackURL), so nothing is polled.
	Callbacks bool
	desk      *Desk
}

// Follow finds a recorded session and the provider to follow it with.
func (d *Desk) Follow(id string) (*Follow, error) {
	s, err := d.get(id)
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
	pol := FollowPolicy(desc)
	return &Follow{ID: s.ID, Provider: p, Launch: s.Launch(), Mode: s.Mode, Policy: pol,
		Callbacks: reachesReceiver(p, pol, s.Values()), desk: d}, nil
}

// Followed is the Follow of a session this desk just launched with p.
func (d *Desk) Followed(p *Provider, o *Outcome) *Follow {
	return &Follow{ID: o.ID, Provider: p, Launch: o.Launch, Mode: d.o.Mode, Policy: FollowPolicy(p.Desc),
		Callbacks: o.Callbacks, desk: d}
}

// reachesReceiver reports whether a session launched with values v by p
// sends its results to this process's receiver: the provider's callback
// URL is set per session (Alibaba's CallbackUrl) and v names the
// receiver, or it is account-level (iDenfy) and reaches here.
func reachesReceiver(p *Provider, pol providers.FollowPolicy, v providers.Values) bool {
	if p.CallbackURL == "" || !pol.Callbacks {
		return false
	}
	if !pol.CallbackPerSession {
		return true
	}
	for _, vals := range v {
		for _, x := range vals {
			if x == p.CallbackURL {
				return true
			}
		}
	}
	return false
}

// AutoPolls reports whether the desk's follower asks the provider by
// itself (Alibaba without callbacks); never for iDenfy or DWS.
func (f *Follow) AutoPolls() bool {
	return f.Policy.AutoPoll && !f.Callbacks && !f.Policy.ResultByVerify
}

// How says in one line how the session's result reaches the desk, for the
// result screen ("" for an OTP flow, whose result is the verify answer).
func (f *Follow) How() string {
	name := f.Provider.Desc.Name
	if phase := f.desk.RelayPhase(f.ID); phase != "" {
		return phase
	}
	switch {
	case f.Policy.ResultByVerify:
		return ""
	case f.Callbacks:
		return "the result arrives by " + name + "'s callback; r asks " + name + " now"
	case f.AutoPolls():
		return fmt.Sprintf("no callback reaches this desk: kycdesk asks %s gently (every %s, up to %s); r asks now",
			name, f.Policy.PollDelay(0), f.Policy.PollMaxInterval)
	default:
		return "no webhook reaches this desk, and " + name + " asks not to be polled: the result comes on r only"
	}
}

// NextPoll is the delay before automatic status poll number attempt
// (0-based); 0 when the session is not polled.
func (f *Follow) NextPoll(attempt int) time.Duration {
	if !f.AutoPolls() {
		return 0
	}
	return f.Policy.PollDelay(attempt)
}

// Challenger is the provider's OTP side, or nil.
func (f *Follow) Challenger() providers.Challenger {
	ch, _ := f.Provider.Client.(providers.Challenger)
	return ch
}

// TooSoonError is the answer to a refresh asked before the provider's
// MinManualInterval has passed since the last ask: nothing was sent.
type TooSoonError struct {
	Provider   string
	Last, Next time.Time
}

func (e *TooSoonError) Error() string {
	return fmt.Sprintf("%s was asked at %s; it can be asked again at %s", e.Provider,
		e.Last.Local().Format("15:04:05"), e.Next.Local().Format("15:04:05"))
}

// CheckedAt is when this desk last asked the provider about the session
// (zero: never).
func (f *Follow) CheckedAt() time.Time {
	f.desk.mu.Lock()
	defer f.desk.mu.Unlock()
	return f.desk.checked[f.ID]
}

// Refresh is the operator's ask (r): one status request, at most once per
// the provider's MinManualInterval per session (iDenfy: 10 s); asked
// sooner, it sends nothing and returns a *TooSoonError.
func (f *Follow) Refresh(ctx context.Context) (*providers.Status, error) {
	now := f.desk.Now()
	d := f.desk
	d.mu.Lock()
	last := d.checked[f.ID]
	if w := f.Policy.ManualWait(last, now); w > 0 {
		d.mu.Unlock()
		return nil, &TooSoonError{Provider: f.Provider.Desc.Name, Last: last, Next: now.Add(w)}
	}
	d.markChecked(f.ID, now)
	d.mu.Unlock()
	return f.ask(ctx)
}

// markChecked records when a session was last asked about (d.mu held).
// Entries past any manual-refresh interval are dropped as the map grows:
// a server's desks live for days.
func (d *Desk) markChecked(id string, now time.Time) {
	if len(d.checked) >= 256 {
		for k, at := range d.checked {
			if now.Sub(at) > time.Minute {
				delete(d.checked, k)
			}
		}
	}
	d.checked[id] = now
}

// Status asks the provider now and records the answer (the command line's
// `status`, which an operator runs by hand). The store keeps a final state
// it recorded when the provider answers with a non-final one (DWS has no
// status query, so its client only knows what the launch told it, while
// the history saw the verify): the answer returned is what the provider
// said; Recorded is what the history holds.
func (f *Follow) Status(ctx context.Context) (*providers.Status, error) {
	f.desk.mu.Lock()
	f.desk.markChecked(f.ID, f.desk.Now())
	f.desk.mu.Unlock()
	return f.ask(ctx)
}

func (f *Follow) ask(ctx context.Context) (*providers.Status, error) {
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
	if s := f.record(st, session.SourceAPI); s != nil && s.State != st.State {
		// The store kept a final state the answer would have reopened
		// (DWS has no status query: its client knows only the launch,
		// while the history saw the verify): what is recorded is the
		// answer, as it was recorded, nothing rebuilt.
		return recordedStatus(s), nil
	}
	return st, nil
}

// recordedStatus is the session's last status as the history holds it.
func recordedStatus(s *session.Session) *providers.Status {
	if len(s.History) == 0 {
		return &providers.Status{State: s.State}
	}
	h := s.History[len(s.History)-1]
	return &providers.Status{State: s.State, Detail: h.Detail, At: h.At}
}

// Recorded is the session's last status as the history holds it (a
// callback, the follower or another screen may have recorded it), and
// its last event (session.Session.Seq); false when there is none.
func (f *Follow) Recorded() (*providers.Status, int64, bool) {
	s, err := f.desk.get(f.ID)
	if err != nil || len(s.History) == 0 {
		return nil, 0, false
	}
	return recordedStatus(s), s.Seq(), true
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
	f.record(st, session.SourceAPI)
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
		// Recorded, so that status, another process or a reconnected
		// desk knows how many codes went and when the last one expires.
		sc := providers.NewScrubber(f.Provider.Client.Secrets(), nil, nil)
		extra := map[string]string{}
		for k, v := range f.Launch.Extra { // the provider's code counters among them
			extra[k] = sc.Secret(v)
		}
		sctx, cancel := f.desk.storeCtx()
		if _, rerr := f.desk.o.Store.CodeSent(sctx, f.ID, got, extra); rerr == nil {
			f.desk.Changed(f.ID)
		}
		cancel()
	}
	return got, err
}

// Record keeps a status the desk decided itself (a code's lifetime over)
// and tells every screen (Changes). Its source is the desk's operator.
func (f *Follow) Record(st *providers.Status) {
	f.record(st, session.SourceOperator)
}

// record appends st from src under the store's rules, tells every screen
// when something was recorded, and returns the session as recorded (nil
// when the store could not be written).
func (f *Follow) record(st *providers.Status, src session.Source) *session.Session {
	if f.ID == "" || st == nil {
		return nil
	}
	s, err := f.desk.recordStatus(f.ID, st, src)
	if err != nil {
		return nil
	}
	f.desk.ChangedTo(f.ID, s.Seq())
	return s
}
