package desk

import (
	"context"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// SandboxSMS asks the sandbox that issued a pending session for the code
// it "sent" (providers.SandboxSMS), for a code screen reopened from the
// store: the code is never stored. Only for a sandbox session; ok is false
// when there is none to show (live, another sandbox, none sent).
func (f *Follow) SandboxSMS(ctx context.Context, l *providers.Launch) (ch *providers.Challenge, sentAt time.Time, ok bool, err error) {
	if f.Mode != providers.ModeSandbox || l == nil || l.Challenge == nil {
		return nil, time.Time{}, false, nil
	}
	sc, is := f.Provider.Client.(providers.SandboxSMS)
	if !is {
		return nil, time.Time{}, false, nil
	}
	ch, sentAt, err = sc.SandboxSMS(ctx, l)
	if err != nil || ch == nil || ch.SandboxCode == "" {
		return nil, time.Time{}, false, err
	}
	return ch, sentAt, true, nil
}

// SandboxSMS passes the question on: it is not an action on the session,
// so it leaves no audit line.
func (c auditedChallenger) SandboxSMS(ctx context.Context, l *providers.Launch) (*providers.Challenge, time.Time, error) {
	if sc, ok := c.ch.(providers.SandboxSMS); ok {
		return sc.SandboxSMS(ctx, l)
	}
	return l.Challenge, time.Time{}, nil
}
