package desk

import (
	"context"
	"errors"
	"strings"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// CloseOut closes a session the operator can no longer follow (its
// issuer is gone, its outcome is unknown or it stays pending) with a
// reason, kept in its history: an outcome-unknown session is resolved
// (Store.Resolve); a launched one that is not final gets a final
// "resolved" entry naming the reason. A final session is left as it is.
func (d *Desk) CloseOut(id, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("say why the session is closed out (e.g. \"customer left\", \"sandbox gone\")")
	}
	s, err := d.get(id)
	if err != nil {
		return err
	}
	if s.OutcomeUnknown() {
		ctx, cancel := d.storeCtx()
		defer cancel()
		_, err = d.o.Store.Resolve(ctx, s.ID, "closed out by the operator: "+reason)
		if err == nil {
			d.auditSupervisor(s, "close out", reason)
		}
		return err
	}
	if s.Final() {
		return errors.New("session " + s.ID + " is already " + string(s.State) + "; there is nothing to close out")
	}
	_, err = d.recordStatus(s.ID, &providers.Status{State: session.StateResolved,
		Detail: "closed out by the operator: " + providers.SanitizeLine(reason), At: d.Now()}, session.SourceOperator)
	d.unreachable.Delete(s.ID)
	if err == nil {
		d.auditSupervisor(s, "close out", reason)
	}
	return err
}

// Refresh asks for a recorded session's status at its own endpoint
// (Follow.Status) and notes whether the endpoint answered: a transport
// failure marks the session unreachable in the lists until it answers.
func (d *Desk) Refresh(ctx context.Context, id string) (*providers.Status, error) {
	f, err := d.Follow(id)
	if err != nil {
		return nil, err
	}
	st, err := f.Refresh(ctx) // at most once per the provider's interval
	if err != nil && providers.AsError(err).Kind == providers.KindTransport {
		d.unreachable.Store(f.ID, true)
	} else if err == nil {
		d.unreachable.Delete(f.ID)
	}
	return st, err
}

// Unreachable reports whether the session's endpoint did not answer its
// last status query.
func (d *Desk) Unreachable(id string) bool {
	_, ok := d.unreachable.Load(id)
	return ok
}
