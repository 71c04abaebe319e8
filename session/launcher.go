package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ErrBodyChanged is wrapped by the error Retry returns when the request it
// would send differs from the one first sent.
var ErrBodyChanged = errors.New("the request body changed since the first attempt")

// Launcher runs launches and retries and records them in Store (or, until
// every caller has moved to the store, in Journal).
type Launcher struct {
	Store   Store
	Journal *Journal
	// Guard refuses a launch for a customer who has a pending session of
	// the same provider and mode (see Intent.Guard); Store only.
	Guard bool
	Now   func() time.Time // nil: time.Now
	// Customer derives the customer the journal keeps from the launch
	// values (an id, or a masked phone number); nil means
	// providers.Customer, the one rule (desk passes it explicitly).
	Customer func(d providers.Descriptor, v providers.Values) string
	// Operator and Desk are who launches (a served desk); every intent
	// and resolution records them.
	Operator, Desk string
}

// As is a copy of l that records operator and desk as who acts.
func (l *Launcher) As(operator, desk string) *Launcher {
	c := *l
	c.Operator, c.Desk = operator, desk
	return &c
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
// Otherwise the intent is journaled (and flushed) before the request goes
// out, and the outcome after it:
//   - success: the session is pending, with references, URL and expiry;
//   - a KindUnknown error: the session stays "outcome unknown", to be
//     retried (Retry) or resolved (Resolve);
//   - KindInvalid, KindRejected, KindTransport: the session is failed.
//
// The session is returned whenever its intent was written, together with
// the launch error (a *providers.Error). If the outcome cannot be
// journaled, the session as launched is returned with an error that joins
// the journal's failure (and the launch error, if any).
func (l *Launcher) Launch(ctx context.Context, d providers.Descriptor, c providers.Client, mode providers.Mode,
	endpoint string, v providers.Values) (*Session, error) {
	if l.Store != nil {
		return l.launchStore(ctx, d, c, mode, endpoint, v)
	}
	if l.Journal == nil {
		return nil, errors.New("launch: no journal")
	}
	req, err := checkBeforeSending(ctx, c, v, "launch")
	if err != nil {
		return nil, err
	}
	return l.LaunchBuilt(ctx, d, c, mode, endpoint, v, req)
}

// LaunchBuilt is Launch for values the caller has already validated and
// whose request it has already built (desk.Draft does both once per
// launch): the request is hashed, not built again.
func (l *Launcher) LaunchBuilt(ctx context.Context, d providers.Descriptor, c providers.Client, mode providers.Mode,
	endpoint string, v providers.Values, req *http.Request) (*Session, error) {
	if l.Journal == nil {
		return nil, errors.New("launch: no journal")
	}
	if err := cancelled(ctx, "launch"); err != nil {
		return nil, err
	}
	hash := RequestHash(req)
	spec := specOf(d)
	sc := newScrubber(c.Secrets(), spec, v)
	customer := l.customer(d, v)
	intent := &Session{
		Provider:    d.ID,
		Mode:        mode,
		Endpoint:    sc.secret(cleanEndpoint(endpoint)),
		Customer:    sc.secret(customer),
		values:      encodeValues(sc.values(StripPersonal(spec, v))),
		RequestHash: hash,
		Attempts:    1,
	}
	at := normTime(l.now())
	j := l.Journal
	var id string
	s, err := j.append("", func() (*record, error) {
		id = j.newID(at)
		j.setInflight(id, true)
		return &record{kind: recIntent, id: id, at: at, intent: intent, operator: actorText(l.Operator), desk: actorText(l.Desk)}, nil
	})
	if err != nil {
		if id != "" {
			j.setInflight(id, false)
		}
		if s != nil {
			// Written but not flushed: it would read back as an unknown
			// outcome; say that nothing was sent.
			j.resolveAt(id, "not sent: the journal could not be flushed", normTime(l.now()), "", "")
		}
		return nil, fmt.Errorf("launch: the intent could not be journaled, so nothing was sent: %w", err)
	}
	return l.send(ctx, c, s, v, sc)
}

// Retry re-sends the request of a session whose outcome is unknown (or
// whose launch failed) with the same values, hence the same idempotency
// ids, so that the provider answers with the session it may already have
// created instead of a new one. v are the full values (personal ones
// included, which the journal does not keep); nil means s.Values(). The
// request must hash to the one first sent; otherwise Retry refuses with a
// KindInvalid error wrapping ErrBodyChanged, and sends nothing. The client
// must be configured for the session's endpoint.
func (l *Launcher) Retry(ctx context.Context, s *Session, c providers.Client, v providers.Values) (*Session, error) {
	if l.Store != nil {
		return l.retryStore(ctx, s, c, v)
	}
	if l.Journal == nil {
		return nil, errors.New("retry: no journal")
	}
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
// already built from them (desk.Draft).
func (l *Launcher) RetryBuilt(ctx context.Context, s *Session, c providers.Client, v providers.Values, req *http.Request) (*Session, error) {
	if l.Journal == nil {
		return nil, errors.New("retry: no journal")
	}
	if s == nil {
		return nil, errors.New("retry: no session")
	}
	if err := cancelled(ctx, "retry"); err != nil {
		return nil, err
	}
	hash := RequestHash(req)
	j := l.Journal
	id := s.ID
	var sc scrubber
	at := normTime(l.now())
	cur, err := j.append(id, func() (*record, error) {
		cur := j.lookup(id)
		if cur == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		switch {
		case cur.Launched():
			return nil, fmt.Errorf("session %s was launched (state: %s); there is nothing to retry", id, cur.State)
		case cur.State == StateResolved:
			return nil, fmt.Errorf("session %s was resolved (%s); launch a new session instead", id, cur.Resolution)
		}
		j.mu.RLock()
		busy := j.inflight[id]
		j.mu.RUnlock()
		if busy {
			return nil, fmt.Errorf("session %s is being launched; wait for its outcome", id)
		}
		if cur.Endpoint != "" && !sameOrigin(req.URL, cur.Endpoint) {
			return nil, &providers.Error{Kind: providers.KindInvalid,
				Message: fmt.Sprintf("session %s was sent to %s, but this client sends to %s://%s", id, cur.Endpoint, req.URL.Scheme, req.URL.Host),
				Action:  "retry with a client configured for the session's endpoint and mode; nothing was sent"}
		}
		if cur.RequestHash == "" || cur.RequestHash != hash {
			return nil, bodyChanged(cur, hash)
		}
		// The journal's descriptor-free view: drop what the first intent
		// dropped (values not kept then are personal).
		kept := cur.Values()
		sc = newScrubber(c.Secrets(), nil, personalOnly(v, kept))
		intent := &Session{
			Provider: cur.Provider, Mode: cur.Mode, Endpoint: cur.Endpoint, Customer: cur.Customer,
			values: encodeValues(sc.values(keepOnly(v, kept))), RequestHash: hash, Attempts: cur.Attempts + 1,
		}
		j.setInflight(id, true)
		return &record{kind: recIntent, id: id, at: at, intent: intent, operator: actorText(l.Operator), desk: actorText(l.Desk)}, nil
	})
	if err != nil {
		if cur != nil { // written but not flushed
			j.setInflight(id, false)
			j.resolveAt(id, "retry not sent: the journal could not be flushed", normTime(l.now()), "", "")
		}
		return nil, err
	}
	return l.send(ctx, c, cur, v, sc)
}

func bodyChanged(cur *Session, hash string) *providers.Error {
	first := cur.RequestHash
	if first == "" {
		first = "(none recorded)"
	}
	return &providers.Error{
		Kind: providers.KindInvalid,
		Code: "BODY_CHANGED",
		Message: fmt.Sprintf("the request for session %s differs from the one first sent (SHA-256 %s, now %s): "+
			"a retry must be byte-identical, or the provider refuses it (DWS REPEAT_REQ_INCONSISTENT) or treats it as a new request",
			cur.ID, short(first), short(hash)),
		Action: "retry with exactly the values first sent, including the personal ones the journal does not keep; " +
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

// send makes the request of a journaled intent and journals the outcome.
func (l *Launcher) send(ctx context.Context, c providers.Client, s *Session, v providers.Values, sc scrubber) (*Session, error) {
	j := l.Journal
	id := s.ID
	defer j.setInflight(id, false)
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
	r := &record{kind: recOutcome, id: id, at: normTime(l.now()), out: outcomeOf(res, lerr, sc)}
	var perr error
	if lerr != nil {
		perr = providers.AsError(lerr)
	}
	s2, jerr := j.append(id, func() (*record, error) { return r, nil })
	if jerr == nil {
		return s2, perr
	}
	if s2 == nil {
		// Not written: give the caller the session as launched anyway (the
		// URL must reach the customer); the journal shows it unknown.
		cp := *s
		foldOutcome(&cp, r, true)
		s2 = &cp
	}
	jerr = fmt.Errorf("the outcome of session %s could not be journaled (it will show as outcome unknown): %w", id, jerr)
	if perr != nil {
		return s2, errors.Join(perr, jerr)
	}
	return s2, jerr
}

// outcomeOf is the outcome record's content: secrets masked everywhere,
// personal values masked in free text, no sandbox code.
func outcomeOf(res *providers.Launch, err error, sc scrubber) *outcome {
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
		return &outcome{err: &ErrorInfo{
			Kind:       kind,
			Code:       sc.text(providers.SanitizeLine(pe.Code)),
			Field:      pe.Field,
			Message:    sc.text(clip(providers.SanitizeLine(msg), 1000)),
			Action:     sc.text(providers.SanitizeLine(pe.Action)),
			HTTPStatus: pe.HTTPStatus,
		}}
	}
	o := &outcome{
		refs:      encodeMap(sc.stringMap(res.References)),
		url:       sc.secret(res.URL),
		expiresAt: normTime(res.ExpiresAt),
		singleUse: res.SingleUse,
		extra:     sc.stringMap(res.Extra),
	}
	if ch := res.Challenge; ch != nil {
		o.challenge = &providers.Challenge{
			Type:        sc.secret(ch.Type),
			RenderValue: sc.secret(ch.RenderValue),
			ChallengeID: sc.secret(ch.ChallengeID),
			Triggered:   ch.Triggered,
			CodeExpires: normTime(ch.CodeExpires),
		}
	}
	return o
}

// Resolve records the operator's resolution of an unknown outcome, e.g.
// "launched anew as k7f3qa01" or "checked: not created".
func (l *Launcher) Resolve(id, how string) (*Session, error) {
	if l.Store != nil {
		return l.Store.Resolve(context.Background(), id, how)
	}
	if l.Journal == nil {
		return nil, errors.New("resolve: no journal")
	}
	return l.Journal.resolveAt(id, how, normTime(l.now()), l.Operator, l.Desk)
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

// RequestHash is the hex SHA-256 of what a provider compares when a
// request is repeated with the same idempotency id: the method, the path
// and query, and the body. Headers (dates, nonces, signatures) are not
// part of it. The body is left readable.
func RequestHash(req *http.Request) string {
	h := sha256.New()
	h.Write([]byte(req.Method))
	h.Write([]byte{' '})
	h.Write([]byte(req.URL.RequestURI()))
	h.Write([]byte{'\n'})
	h.Write(providers.ReadBody(req))
	return hex.EncodeToString(h.Sum(nil))
}

// isPersonal reports whether a parameter is never journaled.
func isPersonal(p providers.Param) bool { return p.Personal || p.Kind == providers.KindPhone }

// StripPersonal returns the values that may be journaled: those of
// parameters in spec that are neither Personal nor phone numbers. Names
// the spec does not know are dropped too, since nothing says what they hold.
func StripPersonal(spec providers.Spec, v providers.Values) providers.Values {
	out := make(providers.Values, len(v))
	for name, vals := range v {
		p, ok := spec.Lookup(name)
		if !ok || isPersonal(p) || !v.Has(name) {
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

// personalOnly is the part of v that the journal did not keep in kept:
// on a retry, with no spec at hand, that is what the first launch
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

// scrubber masks secrets in everything journaled, and personal values in
// free text (error messages), in case a provider echoes them.
type scrubber struct {
	secrets  []string
	personal []string
	// patterns catch personal values as a provider may echo them: in
	// another case (iDenfy uppercases names), URL-encoded, or a number
	// with other separators or prefix (44-7400123456 for +44 7400 123456).
	patterns []*regexp.Regexp
}

// minPersonal is the shortest personal value masked in free text; shorter
// ones (a sex code, an initial) would mangle ordinary words.
const minPersonal = 3

func newScrubber(secrets []string, spec providers.Spec, v providers.Values) scrubber {
	var sc scrubber
	for _, s := range secrets {
		if s != "" {
			sc.secrets = append(sc.secrets, s)
			if q := url.QueryEscape(s); q != s {
				sc.secrets = append(sc.secrets, q)
			}
		}
	}
	for name, vals := range v {
		if spec != nil {
			p, ok := spec.Lookup(name)
			if ok && !isPersonal(p) {
				continue
			}
		}
		for _, x := range vals {
			if x = strings.TrimSpace(x); len(x) >= minPersonal {
				sc.personal = append(sc.personal, x)
				sc.patterns = append(sc.patterns, personalPatterns(x)...)
			}
		}
	}
	return sc
}

// personalPatterns match x case-insensitively, URL-encoded, and, when it
// holds seven digits or more, its last seven digits whatever separates them.
func personalPatterns(x string) []*regexp.Regexp {
	alts := []string{regexp.QuoteMeta(x)}
	for _, enc := range []string{url.QueryEscape(x), url.PathEscape(x)} {
		if enc != x {
			alts = append(alts, regexp.QuoteMeta(enc))
		}
	}
	out := []*regexp.Regexp{regexp.MustCompile("(?i)" + strings.Join(alts, "|"))}
	var digits []string
	for _, r := range x {
		if r >= '0' && r <= '9' {
			digits = append(digits, string(r))
		}
	}
	if len(digits) >= 7 {
		out = append(out, regexp.MustCompile(strings.Join(digits[len(digits)-7:], `[\s\-().+/]*`)))
	}
	return out
}

func (sc scrubber) secret(s string) string {
	for _, sec := range sc.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, providers.Mask)
		}
	}
	return s
}

func (sc scrubber) text(s string) string {
	s = sc.secret(s)
	for _, p := range sc.personal {
		if strings.Contains(s, p) {
			s = strings.ReplaceAll(s, p, providers.Mask)
		}
	}
	for _, re := range sc.patterns {
		s = re.ReplaceAllString(s, providers.Mask)
	}
	return s
}

func (sc scrubber) stringMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = sc.secret(providers.SanitizeLine(v))
	}
	return out
}

func (sc scrubber) values(v providers.Values) providers.Values {
	out := make(providers.Values, len(v))
	for k, vals := range v {
		c := make([]string, len(vals))
		for i, x := range vals {
			c[i] = sc.secret(x)
		}
		out[k] = c
	}
	return out
}
