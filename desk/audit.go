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
// prometheus.
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

// actorHistory is a history that records who acted (*session.Journal;
// session.Store takes the actor from the context instead).
type actorHistory interface {
	AppendStatusBy(id string, st *providers.Status, operator, desk string) (*session.Session, error)
	Audit(id, action, detail, operator, desk string) error
}

// actorLauncher is a launcher that can record who launches.
type actorLauncher interface {
	As(operator, desk string) *session.Launcher
}

// Audit actions, as the history records them.
const (
	ActionStatus = "status"
	ActionResend = "resend"
	ActionVerify = "verify"
)

// The one place a desk's history writes learn who acts: every launch,
// retry, status, verify, resend and resolution of this desk goes through
// launcher, record and audit, which pass the desk's operator and name down.
// With session.Store this becomes session.WithActor on the context.

// launcher is the launcher that records this desk's operator and desk.
func (d *Desk) launcher() Launcher {
	if l, ok := d.o.Launcher.(actorLauncher); ok && (d.o.Operator != "" || d.o.Desk != "") {
		return l.As(d.o.Operator, d.o.Desk)
	}
	return d.o.Launcher
}

// record appends a status with who asked for it.
func (d *Desk) record(id string, st *providers.Status) (*session.Session, error) {
	if h, ok := d.o.History.(actorHistory); ok {
		return h.AppendStatusBy(id, st, d.o.Operator, d.o.Desk)
	}
	return d.o.History.AppendStatus(id, st)
}

// audit records an operator's action on a session, when the history keeps
// an audit trail and someone identifiable acts (a served desk).
func (d *Desk) audit(id, action, detail string) {
	if id == "" || (d.o.Operator == "" && d.o.Desk == "") {
		return
	}
	if h, ok := d.o.History.(actorHistory); ok {
		_ = h.Audit(id, action, detail, d.o.Operator, d.o.Desk)
	}
}

// errStopping is a launch refused because the server is stopping.
var errStopping = &providers.Error{Kind: providers.KindTransport, Message: "the server is shutting down; nothing was sent",
	Action: "reconnect in a minute and launch again"}

// sending runs one launch of provider (a launch or a retry): tracked by the
// server's shutdown, counted in the metrics, and with note told when it
// queues for the provider account's rate limit.
func (d *Desk) sending(ctx context.Context, provider string, send func(context.Context) (*Outcome, error)) (*Outcome, error) {
	if d.o.Track != nil {
		tracked, done, err := d.o.Track(ctx)
		if err != nil {
			return nil, errStopping
		}
		defer done()
		ctx = tracked
	}
	m := d.o.Metrics
	notice, _ := ctx.Value(waitNoticeKey{}).(func(time.Duration))
	ctx = providers.WithRateWait(ctx, func(wait time.Duration) {
		if m != nil {
			m.RateLimitWaited(provider, wait)
		}
		if notice != nil {
			notice(wait)
		}
	})
	start := time.Now()
	if m != nil {
		m.LaunchStarted(provider)
	}
	o, err := send(ctx)
	if m != nil {
		m.LaunchFinished(provider, outcomeWord(err), time.Since(start))
		if err != nil {
			if pe := providers.AsError(err); pe.Code != "" && pe.Kind != providers.KindInvalid {
				m.ProviderError(provider, pe.Code)
			}
		}
	}
	return o, err
}

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
	return context.WithValue(ctx, waitNoticeKey{}, notice)
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
