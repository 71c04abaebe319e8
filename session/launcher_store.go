package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

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

func (l *Launcher) launchStore(ctx context.Context, d providers.Descriptor, c providers.Client, mode providers.Mode,
	endpoint string, v providers.Values) (*Session, error) {
	req, err := checkBeforeSending(ctx, c, v, "launch")
	if err != nil {
		return nil, err
	}
	spec := specOf(d)
	sc := newScrubber(c.Secrets(), spec, v)
	at := normTime(l.now())
	s, err := l.Store.Intent(ctx, Intent{
		Provider:     d.ID,
		Mode:         mode,
		Endpoint:     sc.secret(cleanEndpoint(endpoint)),
		Customer:     sc.secret(l.customer(d, v)),
		Values:       sc.values(StripPersonal(spec, v)),
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
	return l.sendStore(ctx, c, s, v, sc)
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

func (l *Launcher) retryStore(ctx context.Context, s *Session, c providers.Client, v providers.Values) (*Session, error) {
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
	if s.Endpoint != "" && !sameOrigin(req.URL, s.Endpoint) {
		return nil, &providers.Error{Kind: providers.KindInvalid,
			Message: fmt.Sprintf("session %s was sent to %s, but this client sends to %s://%s", s.ID, s.Endpoint, req.URL.Scheme, req.URL.Host),
			Action:  "retry with a client configured for the session's endpoint and mode; nothing was sent"}
	}
	// The store's descriptor-free view: drop what the first intent
	// dropped (values not kept then are personal).
	kept := s.Values()
	sc := newScrubber(c.Secrets(), nil, personalOnly(v, kept))
	at := normTime(l.now())
	cur, err := l.Store.Attempt(ctx, s.ID, Attempt{
		Values:       sc.values(keepOnly(v, kept)),
		Request:      req,
		At:           at,
		SendingUntil: sendDeadline(ctx, at),
	})
	if err != nil {
		return nil, err
	}
	return l.sendStore(ctx, c, cur, v, sc)
}

// sendStore makes the request of a recorded intent and records the outcome.
func (l *Launcher) sendStore(ctx context.Context, c providers.Client, s *Session, v providers.Values, sc scrubber) (*Session, error) {
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
	if cp, err := foldEvent(s, s.ID, EventOutcome, o.At, outcomeEvent(o)); err == nil {
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
func outcomeFor(res *providers.Launch, err error, sc scrubber) Outcome {
	if err != nil {
		o := outcomeOf(nil, err, sc)
		return Outcome{Error: o.err}
	}
	o := Outcome{
		References: sc.stringMap(res.References),
		URL:        sc.secret(res.URL),
		ExpiresAt:  normTime(res.ExpiresAt),
		SingleUse:  res.SingleUse,
		Extra:      sc.stringMap(res.Extra),
		Customer:   sc.secret(res.Customer),
	}
	if ch := res.Challenge; ch != nil {
		o.Challenge = &providers.Challenge{
			Type:        sc.secret(ch.Type),
			RenderValue: sc.secret(ch.RenderValue),
			ChallengeID: sc.secret(ch.ChallengeID),
			Triggered:   ch.Triggered,
			CodeExpires: normTime(ch.CodeExpires),
		}
	}
	return o
}
