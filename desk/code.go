package desk

import (
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ChallengeExpired is the desk's decision that a one-time-code session
// (DWS) is over: its authentication's lifetime (the launch's ExpiresAt)
// has passed without a final result. It records EXPIRED (an operator-side
// event: the desk decided it, the provider said nothing) and returns it;
// nil while the session is not over, or when it is no OTP session. A
// hosted link's end decides nothing (a customer who opened it in time may
// still finish): see expiry.go.
func (f *Follow) ChallengeExpired(state providers.State, now time.Time) *providers.Status {
	l := f.Launch
	if l == nil || l.Challenge == nil || state.Final() || l.ExpiresAt.IsZero() || !now.After(l.ExpiresAt) {
		return nil
	}
	st := &providers.Status{State: providers.StateExpired, Detail: "the authentication's lifetime is over", At: now}
	f.Record(st)
	return st
}
