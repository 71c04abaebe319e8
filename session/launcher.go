package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ErrBodyChanged is wrapped by the error Retry returns when the request it
// would send differs from the one first sent.
var ErrBodyChanged = errors.New("the request body changed since the first attempt")

// ErrNotRecorded is wrapped by the error a launch or retry returns when
// its request was sent but the store could not record the outcome. The
// session returned is the one as launched (its URL must reach the
// customer); the store shows it of unknown outcome, so a script must not
// launch again (CLI exit code 4).
var ErrNotRecorded = errors.New("the outcome could not be recorded")

// outcomeWriteTimeout bounds recording an outcome: the launch's own
// context may be over by then (a request that timed out), the record
// must still be attempted.
const outcomeWriteTimeout = 30 * time.Second

// Launcher runs launches and retries and records them in Store: the
// intent is committed before the request goes out, the outcome after it.
type Launcher struct {
	Store Store
	// Guard refuses a launch for a customer who has a pending session of
	// the same provider and mode (see Intent.Guard).
	Guard bool
	Now   func() time.Time // nil: time.Now
	// Customer derives the customer the store keeps from the launch
	// values (an id, or a masked phone number); nil means
	// providers.Customer, the one rule (desk passes it explicitly).
	Customer func(d providers.Descriptor, v providers.Values) string
}

func (l *Launcher) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Launch launches a session with prepared values (the caller has run
// Client.Prepare and shown the request). Values that fail Validate are
// refused with a KindInvalid error before anything is written or sent.
// Otherwise it is LaunchBuilt with the request the values make.
func (l *Launcher) Launch(ctx context.Context, d providers.Descriptor, c providers.Client, mode providers.Mode,
	endpoint string, v providers.Values) (*Session, error) {
	req, err := checkBeforeSending(ctx, c, v, "launch")
	if err != nil {
		return nil, err
	}
	return l.LaunchBuilt(ctx, d, c, mode, endpoint, v, req)
}

// LaunchBuilt launches values the caller has already validated, whose
// request it has already built (desk.Draft does both once per launch):
// the request is fingerprinted, not built again. The intent is committed
// before the request goes out, and the outcome after it:
//   - success: the session is pending, with references, URL and expiry;
//   - a KindUnknown error: the session stays "outcome unknown", to be
//     retried (Retry) or resolved (Store.Resolve);
//   - KindInvalid, KindRejected, KindTransport: the session is failed.
//
// The session is returned whenever its intent was committed, together
// with the launch error (a *providers.Error). If the outcome cannot be
// recorded, the session as launched is returned with an error wrapping
// ErrNotRecorded (joined with the launch error, if any).
func (l *Launcher) LaunchBuilt(ctx context.Context, d providers.Descriptor, c providers.Client, mode providers.Mode,
	endpoint string, v providers.Values, req *http.Request) (*Session, error) {
	if l.Store == nil {
		return nil, errors.New("launch: no store")
	}
	if err := cancelled(ctx, "launch"); err != nil {
		return nil, err
	}
	spec := specOf(d)
	sc := providers.NewScrubber(c.Secrets(), spec, v)
	at := normTime(l.now())
	s, err := l.Store.Intent(ctx, Intent{
		Provider:     d.ID,
		Mode:         mode,
		Endpoint:     sc.Secret(cleanEndpoint(endpoint)),
		Customer:     sc.Secret(l.customer(d, v)),
		Values:       secretValues(sc, StripPersonal(spec, v)),
		Request:      req,
		At:           at,
		SendingUntil: sendDeadline(ctx, at),
		Guard:        l.Guard,
	})
	if err != nil {
		var dup *DuplicateError
		if errors.As(err, &dup) {
			return nil, duplicate(d, dup)
		}
		return nil, fmt.Errorf("launch: the intent could not be recorded, so nothing was sent: %w", err)
	}
	return l.send(ctx, c, s, v, sc)
}

// Retry re-sends the request of a session whose outcome is unknown (or
// whose launch failed) with the same values, hence the same idempotency
// ids, so that the provider answers with the session it may already have
// created instead of a new one. v are the full values (personal ones
// included, which the store does not keep); nil means s.Values(). Values
// that fail Validate are refused; otherwise it is RetryBuilt.
func (l *Launcher) Retry(ctx context.Context, s *Session, c providers.Client, v providers.Values) (*Session, error) {
	if s == nil {
		return nil, errors.New("retry: no session")
	}
	if v == nil {
		v = s.Values()
	}
	req, err := checkBeforeSending(ctx, c, v, "retry")
	if err != nil {
		return nil, err
	}
	return l.RetryBuilt(ctx, s, c, v, req)
}

// RetryBuilt is Retry for values already validated, with the request
// already built from them (desk.Draft). The request must have the
// fingerprint of the one first sent; otherwise it refuses with a
// KindInvalid error wrapping ErrBodyChanged, and sends nothing. The
// client must be configured for the session's endpoint.
func (l *Launcher) RetryBuilt(ctx context.Context, s *Session, c providers.Client, v providers.Values, req *http.Request) (*Session, error) {
	if l.Store == nil {
		return nil, errors.New("retry: no store")
	}
	if s == nil {
		return nil, errors.New("retry: no session")
	}
	if err := cancelled(ctx, "retry"); err != nil {
		return nil, err
	}
	if s.Endpoint != "" && !sameOrigin(req.URL, s.Endpoint) {
		return nil, &providers.Error{Kind: providers.KindInvalid,
			Message: fmt.Sprintf("session %s was sent to %s, but this client sends to %s://%s", s.ID, s.Endpoint, req.URL.Scheme, req.URL.Host),
			Action:  "retry with a client configured for the session's endpoint and mode; nothing was sent"}
	}
	// No spec at hand: drop what the first intent dropped (values not
	// kept then are personal).
	kept := s.Values()
	sc := providers.NewScrubber(c.Secrets(), nil, personalOnly(v, kept))
	at := normTime(l.now())
	cur, err := l.Store.Attempt(ctx, s.ID, Attempt{
		Values:       secretValues(sc, keepOnly(v, kept)),
		Request:      req,
		At:           at,
		SendingUntil: sendDeadline(ctx, at),
	})
	if err != nil {
		return nil, err
	}
	return l.send(ctx, c, cur, v, sc)
}

// sendDeadline is when a request sent under ctx is over at the latest.
func sendDeadline(ctx context.Context, at time.Time) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return normTime(dl)
	}
	return at.Add(DefaultSendLease)
}

func duplicate(d providers.Descriptor, dup *DuplicateError) *providers.Error {
	ids := make([]string, 0, len(dup.Pending))
	for _, s := range dup.Pending {
		ids = append(ids, s.ID)
	}
	who := "the customer"
	if len(dup.Pending) > 0 && dup.Pending[0].Customer != "" {
		who = fmt.Sprintf("%q", dup.Pending[0].Customer)
	}
	return &providers.Error{
		Kind:    providers.KindInvalid,
		Code:    "DUPLICATE",
		Field:   d.CustomerParam,
		Message: fmt.Sprintf("%s already has a pending %s session (%s), perhaps launched at another desk; a new one may be billed again", who, d.ID, strings.Join(ids, ", ")),
		Action:  "open that session instead, or launch anyway once you have checked it; nothing was sent",
		Err:     dup,
	}
}

func bodyChanged(cur *Session, fp string) *providers.Error {
	first := cur.RequestHash
	if first == "" {
		first = "(none recorded)"
	}
	return &providers.Error{
		Kind: providers.KindInvalid,
		Code: "BODY_CHANGED",
		Message: fmt.Sprintf("the request for session %s differs from the one first sent (fingerprint %s, now %s): "+
			"a retry must be byte-identical, or the provider refuses it (DWS REPEAT_REQ_INCONSISTENT) or treats it as a new request",
			cur.ID, short(first), short(fp)),
		Action: "retry with exactly the values first sent, including the personal ones the store does not keep; " +
			"or launch a new session and resolve this one; nothing was sent",
		Err: ErrBodyChanged,
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

// send makes the request of a recorded intent and records the outcome.
func (l *Launcher) send(ctx context.Context, c providers.Client, s *Session, v providers.Values, sc providers.Scrubber) (*Session, error) {
	var (
		res  *providers.Launch
		lerr error
	)
	if err := ctx.Err(); err != nil {
		// Cancelled while the intent was written: nothing was sent.
		lerr = &providers.Error{Kind: providers.KindTransport, Message: "cancelled before sending", Err: err,
			Action: "nothing was sent; launch again when ready"}
	} else {
		res, lerr = c.Launch(ctx, v)
	}
	if lerr == nil && res == nil {
		lerr = &providers.Error{Kind: providers.KindUnknown, Message: "the client returned neither a result nor an error",
			Action: "check the session's status at the provider, then retry or resolve it"}
	}
	o := outcomeFor(res, lerr, sc)
	o.At = normTime(l.now())
	var perr error
	if lerr != nil {
		perr = providers.AsError(lerr)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), outcomeWriteTimeout)
	defer cancel()
	s2, serr := l.Store.Outcome(wctx, s.ID, o)
	if serr == nil {
		return s2, perr
	}
	// Not recorded: the caller gets the session as launched anyway.
	if cp, err := foldEvent(s, s.ID, EventOutcome, o.At, ActorOf(ctx), outcomeEvent(o)); err == nil {
		s2 = cp
	} else {
		s2 = s
	}
	serr = fmt.Errorf("session %s: %w in %s (it will show as outcome unknown; do not launch it again, check it): %w",
		s.ID, ErrNotRecorded, l.Store.Location(), serr)
	if perr != nil {
		return s2, errors.Join(perr, serr)
	}
	return s2, serr
}

// outcomeFor is what the store keeps of a launch result: secrets masked
// everywhere, personal values masked in free text, no sandbox code.
func outcomeFor(res *providers.Launch, err error, sc providers.Scrubber) Outcome {
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
		return Outcome{Error: &ErrorInfo{
			Kind:       kind,
			Code:       sc.Text(providers.SanitizeLine(pe.Code)),
			Field:      pe.Field,
			Message:    sc.Text(clip(providers.SanitizeLine(msg), 1000)),
			Action:     sc.Text(providers.SanitizeLine(pe.Action)),
			HTTPStatus: pe.HTTPStatus,
		}}
	}
	o := Outcome{
		References: secretMap(sc, res.References),
		URL:        sc.Secret(res.URL),
		ExpiresAt:  normTime(res.ExpiresAt),
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
			CodeExpires: normTime(ch.CodeExpires),
		}
	}
	return o
}

func (l *Launcher) customer(d providers.Descriptor, v providers.Values) string {
	if l.Customer != nil {
		return strings.TrimSpace(l.Customer(d, v))
	}
	return providers.Customer(d, v)
}

func specOf(d providers.Descriptor) providers.Spec {
	if d.Spec == nil {
		return nil
	}
	return d.Spec()
}

// checkBeforeSending refuses a cancelled context and invalid values with
// nothing written or sent, and returns the request that would go out
// (verb names the operation in the advice: launch, retry).
func checkBeforeSending(ctx context.Context, c providers.Client, v providers.Values, verb string) (*http.Request, error) {
	if err := cancelled(ctx, verb); err != nil {
		return nil, err
	}
	if refusals, _ := providers.Problems(c.Validate(v)); len(refusals) > 0 {
		return nil, providers.Invalid(refusals)
	}
	req, err := c.Request(ctx, v)
	if err != nil {
		return nil, providers.AsError(err)
	}
	return req, nil
}

func cancelled(ctx context.Context, verb string) error {
	if err := ctx.Err(); err != nil {
		return &providers.Error{Kind: providers.KindTransport, Message: "cancelled before sending", Err: err,
			Action: "nothing was sent; " + verb + " again when ready"}
	}
	return nil
}

// StripPersonal returns the values that may be stored: those of
// parameters in spec that are not personal (providers.IsPersonal). Names
// the spec does not know are dropped too, since nothing says what they
// hold.
func StripPersonal(spec providers.Spec, v providers.Values) providers.Values {
	out := make(providers.Values, len(v))
	for name, vals := range v {
		p, ok := spec.Lookup(name)
		if !ok || providers.IsPersonal(p) || !v.Has(name) {
			continue
		}
		out[p.Name] = append([]string(nil), vals...)
	}
	return out
}

// cleanEndpoint drops user info (credentials) from an endpoint URL.
func cleanEndpoint(e string) string {
	e = strings.TrimSpace(e)
	u, err := url.Parse(e)
	if err != nil || u.User == nil {
		return e
	}
	u.User = nil
	return u.String()
}

// sameOrigin reports whether u goes to the scheme and host of endpoint.
func sameOrigin(u *url.URL, endpoint string) bool {
	e, err := url.Parse(endpoint)
	if err != nil || e.Host == "" || u.Host == "" {
		return true // nothing to compare
	}
	return strings.EqualFold(e.Scheme, u.Scheme) && strings.EqualFold(e.Host, u.Host)
}

// personalOnly is the part of v that the store did not keep in kept: on
// a retry, with no spec at hand, that is what the first launch
// considered personal.
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
