package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ErrBodyChanged is wrapped by the error Attempt returns when the request
// of a retry differs from the one first sent.
var ErrBodyChanged = errors.New("the request body changed since the first attempt")

// ErrNotRecorded is wrapped by the error a launch or retry returns when
// its request was sent but the store could not record the outcome. The
// session returned is the one as launched (its URL must reach the
// customer); the store shows it of unknown outcome, so a script must not
// launch again (CLI exit code 4).
var ErrNotRecorded = errors.New("the outcome could not be recorded")

// WithOutcome is s as it would be after o, by actor, at: what a launch
// shows when the store could not record its outcome. s is not changed.
func WithOutcome(s *Session, o Outcome, actor Actor) *Session {
	if next, err := foldEvent(s, s.ID, EventOutcome, normTime(o.At), actor, outcomeEvent(o)); err == nil {
		return next
	}
	return s
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

// Stamp is the time an event is recorded with: t to the millisecond, in
// local time, or now.
func Stamp(t time.Time) time.Time { return stamp(t) }

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
