package desk

import (
	"context"
	"errors"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Metrics is what a desk reports about its launches (a served desk:
// server.Metrics satisfies it); the desk imports neither the server nor
// promtext.
type Metrics interface {
	LaunchStarted(provider string)
	LaunchFinished(provider, outcome string, took time.Duration)
	ProviderError(provider, code string)
	RateLimitWaited(provider string, waited time.Duration)
}

// Tracker registers a launch that a server's shutdown waits for
// (server.Server.Track): done is called once its outcome is recorded; the
// returned context ends when the grace period is nearly over, so that the
// launch still records an unknown outcome. An error means the server is
// stopping: nothing is sent.
type Tracker func(ctx context.Context) (tracked context.Context, done func(), err error)

// Audit actions, as the history records them.
const (
	ActionStatus = "status"
	ActionResend = "resend"
	ActionVerify = "verify"
)

// instrument is the one place a desk's operators' actions are audited:
// every provider client is wrapped so that an operator's status request,
// verify and resend leave an audit event. Who acts goes with every store
// write on the context (session.WithActor, history.go); a launch is
// tracked and counted by the pipeline itself (pipeline.go). A local
// console (no operator) is left as it is.
func (d *Desk) instrument() {
	if d.o.Operator == "" && d.o.Desk == "" {
		return
	}
	resolve := d.o.Resolve
	d.o.Resolve = func(desc providers.Descriptor, mode providers.Mode, endpoint string) *Provider {
		return d.audited(resolve(desc, mode, endpoint))
	}
	for i, p := range d.providers {
		d.providers[i] = d.audited(p)
	}
}

// audit records an operator's action on the session launched as l, when
// someone identifiable acts.
func (d *Desk) audit(l *providers.Launch, action, detail string) {
	if l == nil || (d.o.Operator == "" && d.o.Desk == "") {
		return
	}
	for _, ref := range l.References { // any of its references finds it
		if s, err := d.get(ref); err == nil && s.Provider == l.Provider {
			ctx, cancel := d.storeCtx()
			_ = d.o.Store.Audit(ctx, session.AuditEntry{Session: s.ID, Action: action, Detail: detail})
			cancel()
			return
		}
	}
}

// audited is p with a client whose status requests, verifies and resends
// leave an audit line.
func (d *Desk) audited(p *Provider) *Provider {
	if p == nil || p.Client == nil {
		return p
	}
	cp := *p
	ac := auditedClient{Client: p.Client, d: d}
	if ch, ok := p.Client.(providers.Challenger); ok {
		cp.Client = auditedChallenger{auditedClient: ac, ch: ch}
	} else {
		cp.Client = ac
	}
	return &cp
}

type auditedClient struct {
	providers.Client
	d *Desk
}

func (c auditedClient) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	st, err := c.Client.Status(ctx, l)
	c.d.audit(l, ActionStatus, verifyDetail(st, err))
	return st, err
}

type auditedChallenger struct {
	auditedClient
	ch providers.Challenger
}

func (c auditedChallenger) Trigger(ctx context.Context, l *providers.Launch) (*providers.Challenge, error) {
	got, err := c.ch.Trigger(ctx, l)
	if ctx.Value(launchingKey{}) == nil { // the code a launch sends is the launch's
		c.d.audit(l, ActionResend, verifyDetail(nil, err))
	}
	return got, err
}

func (c auditedChallenger) Verify(ctx context.Context, l *providers.Launch, code string) (*providers.Status, error) {
	st, err := c.ch.Verify(ctx, l, code)
	c.d.audit(l, ActionVerify, verifyDetail(st, err))
	return st, err
}

// launchingKey marks a context inside a launch.
type launchingKey struct{}

// errStopping is a launch refused because the server is stopping.
var errStopping = &providers.Error{Kind: providers.KindTransport, Message: "the server is shutting down; nothing was sent",
	Action: "reconnect in a minute and launch again"}

// outcomeWord names a launch's result for the metrics.
func outcomeWord(err error) string {
	if err == nil {
		return "launched"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	switch providers.AsError(err).Kind {
	case providers.KindInvalid:
		return "invalid"
	case providers.KindRejected:
		return "rejected"
	case providers.KindUnknown:
		return "unknown"
	case providers.KindTransport:
		return "transport"
	}
	return "error"
}

type waitNoticeKey struct{}

// WithWaitNotice returns ctx carrying notice, which a launch under it calls
// when it queues for the provider account's rate limit (the launching
// screen shows "waiting for the provider's rate limit").
func WithWaitNotice(ctx context.Context, notice func(wait time.Duration)) context.Context {
	return providers.WithRateWait(context.WithValue(ctx, waitNoticeKey{}, notice), notice)
}

// verifyDetail is an audit line's detail for a verify or a resend: the
// state reached or the error's kind and code, never the code typed.
func verifyDetail(st *providers.Status, err error) string {
	if err != nil {
		pe := providers.AsError(err)
		if pe.Code != "" {
			return "failed: " + string(pe.Kind) + " " + pe.Code
		}
		return "failed: " + string(pe.Kind)
	}
	if st != nil {
		return string(st.State)
	}
	return "sent"
}

// launchLimit queues a launch on its provider account's token bucket in
// providers.AccountLimits, shared by every desk of the process, so that a
// burst of launches waits (a notice tells the screen) instead of meeting
// the provider's throttling (Alibaba: Throttling.Api over 10 QPS per
// account and API). The rate is the provider's AccountQPS; the limit is
// per API, so launches have a bucket apart from status calls. The desk
// does not see the account's key id (the client is masked), so the
// bucket is per endpoint: every account at one endpoint shares it, which
// only errs on the slow side.
func launchLimit(ctx context.Context, desc providers.Descriptor, endpoint string) error {
	qps := desc.FollowPolicy().AccountQPS
	if qps <= 0 {
		return nil
	}
	return providers.AccountLimits.Wait(ctx, desc.ID+"/launch", endpoint, qps)
}
