package providers

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// FollowPolicy says how a provider's results may be followed once a session
// is launched: by callback, by polling, by the operator's refresh, and how
// often. The desk's follower (desk.Follow) reads it from the provider's
// Descriptor; the provider packages set it from their documentation.
type FollowPolicy struct {
	// Callbacks: the provider pushes results to a receiver (iDenfy's signed
	// webhook, Alibaba's CallbackUrl). With a reachable receiver nothing is
	// polled.
	Callbacks bool
	// CallbackPerSession: the receiver's URL is set per launch
	// (Config.Callback fills Alibaba's CallbackUrl); otherwise it is an
	// account-level setting made in the provider's dashboard (iDenfy).
	CallbackPerSession bool
	// AutoPoll: without a reachable receiver the follower may ask Status
	// by itself, every PollInterval doubling up to PollMaxInterval. False
	// means never (iDenfy: polling /api/v2/status "may restrict your
	// access"; DWS: Status sends nothing).
	AutoPoll        bool
	PollInterval    time.Duration
	PollMaxInterval time.Duration
	// MinManualInterval is the least time between two operator refreshes
	// of one session (0: no limit). The screen says when it last asked.
	MinManualInterval time.Duration
	// ResultByVerify: the result is the answer to the operator's verify
	// call (DWS OTP); there is nothing to follow.
	ResultByVerify bool
	// AccountQPS, when > 0, is kycdesk's ceiling for status calls per
	// account and second, below the provider's documented limit. The
	// provider's client waits on one token bucket per account in
	// AccountLimits before each status call, so every session of the
	// account in the process shares it; a follower needs no bucket of its
	// own.
	AccountQPS float64
}

// PollDelay is the wait before automatic poll number n (0-based) of one
// session: PollInterval doubling up to PollMaxInterval. It is 0 when the
// policy does not poll.
func (p FollowPolicy) PollDelay(n int) time.Duration {
	if !p.AutoPoll || p.PollInterval <= 0 {
		return 0
	}
	d := p.PollInterval
	for i := 0; i < n && (p.PollMaxInterval <= 0 || d < p.PollMaxInterval); i++ {
		d *= 2
	}
	if p.PollMaxInterval > 0 && d > p.PollMaxInterval {
		d = p.PollMaxInterval
	}
	return d
}

// ManualWait is how long the operator must still wait before refreshing a
// session last asked at last (0: now).
func (p FollowPolicy) ManualWait(last, now time.Time) time.Duration {
	if p.MinManualInterval <= 0 || last.IsZero() {
		return 0
	}
	if w := last.Add(p.MinManualInterval).Sub(now); w > 0 {
		return w
	}
	return 0
}

// FollowPolicy returns the provider's policy. A provider that declares none
// is followed conservatively: no automatic polling, one refresh per 10 s.
func (d Descriptor) FollowPolicy() FollowPolicy {
	if d.Follow != nil {
		return *d.Follow
	}
	return FollowPolicy{MinManualInterval: 10 * time.Second}
}

// AccountLimiter holds one token bucket per (provider, account): every
// status call of an account in this process waits on the same bucket, so
// many followed sessions together stay below the provider's per-account
// limit. It is safe for concurrent use.
type AccountLimiter struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewAccountLimiter makes an empty limiter (tests; the process uses AccountLimits).
func NewAccountLimiter() *AccountLimiter {
	return &AccountLimiter{buckets: map[string]*rate.Limiter{}}
}

// AccountLimits is the process-wide limiter every provider client and
// follower shares.
var AccountLimits = NewAccountLimiter()

// Limiter returns the bucket of provider and account, made with qps (and a
// burst of 1) on first use; a later call with another qps keeps the first.
func (a *AccountLimiter) Limiter(provider, account string, qps float64) *rate.Limiter {
	key := provider + "\x00" + account
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.buckets[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(qps), 1)
		a.buckets[key] = l
	}
	return l
}

// Wait blocks until the account's bucket allows one call, or ctx ends. A
// qps of 0 or less means no limit. When the call must queue, the notice
// ctx carries (WithRateWait) hears how long, before the wait begins.
func (a *AccountLimiter) Wait(ctx context.Context, provider, account string, qps float64) error {
	if qps <= 0 {
		return nil
	}
	r := a.Limiter(provider, account, qps).Reserve()
	if !r.OK() {
		return errors.New("rate limit: no token can be granted")
	}
	d := r.Delay()
	if d == 0 {
		return nil
	}
	if f, ok := ctx.Value(rateWaitKey{}).(func(time.Duration)); ok {
		f(d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel() // give the token back to the next caller
		return ctx.Err()
	}
}

type rateWaitKey struct{}

// WithRateWait returns ctx carrying notice, which AccountLimiter.Wait
// calls with the expected wait when a call queues for its account's
// bucket (a screen says "waiting for the provider's rate limit").
func WithRateWait(ctx context.Context, notice func(wait time.Duration)) context.Context {
	return context.WithValue(ctx, rateWaitKey{}, notice)
}

// Sleep waits d, or until ctx ends; it reports whether the whole wait
// passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
