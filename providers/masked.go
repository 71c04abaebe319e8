package providers

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// MaskSecrets replaces every secret (and its URL-escaped form) in s.
func MaskSecrets(s string, secrets []string) string { return mask(s, secrets) }

// Masked wraps a client so that nothing it returns for display (errors,
// statuses, notes) can carry one of its secrets, whatever a provider or a
// proxy echoes back, and so that a launch's error carries none of the
// personal values that were sent (names, dates of birth, document numbers,
// phone numbers) when the client knows its spec (SpecOf). Every screen, the
// CLI and the session store read clients through it.
func Masked(c Client) Client {
	if c == nil {
		return nil
	}
	m := maskedClient{Client: c}
	if ch, ok := c.(Challenger); ok {
		return maskedChallenger{maskedClient: m, ch: ch}
	}
	return m
}

type maskedClient struct{ Client }

func (m maskedClient) Launch(ctx context.Context, v Values) (*Launch, error) {
	l, err := m.Client.Launch(ctx, v)
	return m.launch(l), m.personal(v, m.err(err))
}

// SpecOf is implemented by clients that can name their parameters, so
// that Masked knows which sent values are personal.
type SpecOf interface{ Spec() Spec }

// personal masks the personal values of v in err. Without a spec nothing
// is known to be personal and err is returned as it is.
func (m maskedClient) personal(v Values, err error) error {
	s, ok := m.Client.(SpecOf)
	if err == nil || !ok {
		return err
	}
	return NewScrubber(nil, s.Spec(), v).Error(err)
}

func (m maskedClient) Status(ctx context.Context, l *Launch) (*Status, error) {
	st, err := m.Client.Status(ctx, l)
	return m.status(st), m.err(err)
}

func (m maskedClient) Request(ctx context.Context, v Values) (*http.Request, error) {
	req, err := m.Client.Request(ctx, v)
	return req, m.personal(v, m.err(err))
}

func (m maskedClient) err(err error) error {
	if err == nil {
		return nil
	}
	sec := m.Secrets()
	var pe *Error
	if !errors.As(err, &pe) {
		return &Error{Kind: KindTransport, Message: mask(Sanitize(err.Error()), sec)}
	}
	out := *pe
	out.Message, out.Action, out.Code, out.Field = mask(pe.Message, sec), mask(pe.Action, sec), mask(pe.Code, sec), mask(pe.Field, sec)
	out.Fields = nil
	for _, f := range pe.Fields {
		f.Message = mask(f.Message, sec)
		out.Fields = append(out.Fields, f)
	}
	if pe.Err != nil {
		out.Err = errors.New(mask(pe.Err.Error(), sec)) // the cause may be printed too
	}
	return &out
}

func (m maskedClient) status(st *Status) *Status {
	if st == nil {
		return nil
	}
	sec := m.Secrets()
	out := *st
	out.Detail = mask(st.Detail, sec)
	out.Fields = maskMap(st.Fields, sec)
	return &out
}

func (m maskedClient) launch(l *Launch) *Launch {
	if l == nil {
		return nil
	}
	sec := m.Secrets()
	out := *l
	out.Extra = maskMap(l.Extra, sec)
	out.Notes = nil
	for _, n := range l.Notes {
		out.Notes = append(out.Notes, mask(n, sec))
	}
	return &out
}

func maskMap(in map[string]string, sec []string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = mask(v, sec)
	}
	return out
}

type maskedChallenger struct {
	maskedClient
	ch Challenger
}

func (m maskedChallenger) Trigger(ctx context.Context, l *Launch) (*Challenge, error) {
	c, err := m.ch.Trigger(ctx, l)
	return c, m.err(err)
}

func (m maskedChallenger) Verify(ctx context.Context, l *Launch, code string) (*Status, error) {
	st, err := m.ch.Verify(ctx, l, code)
	return m.status(st), m.err(err)
}

// SandboxSMS asks the wrapped client's sandbox for l's code again, when it
// can (SandboxSMS); l's challenge unchanged otherwise.
func (m maskedChallenger) SandboxSMS(ctx context.Context, l *Launch) (*Challenge, time.Time, error) {
	sc, ok := m.ch.(SandboxSMS)
	if !ok || l == nil {
		return challengeOf(l), time.Time{}, nil
	}
	ch, at, err := sc.SandboxSMS(ctx, l)
	return ch, at, m.err(err)
}

func challengeOf(l *Launch) *Challenge {
	if l == nil {
		return nil
	}
	return l.Challenge
}
