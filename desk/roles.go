package desk

import (
	"context"
	"fmt"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// A served desk's operator sees and acts on the sessions launched at
// their desk or by themselves; a supervisor ([serve.roles]) sees every
// session and may close out any pending one. The local console and the
// command line have no operator: their user supervises their own store.

// Supervisor reports whether the desk sees every desk's sessions.
func (d *Desk) Supervisor() bool {
	return d.o.Supervisor || !d.scoped()
}

// scoped: the desk sees only its own sessions (an operator's, served).
func (d *Desk) scoped() bool {
	return !d.o.Supervisor && (d.o.Operator != "" || d.o.Desk != "")
}

// Scope says which sessions the desk's lists hold, for their titles:
// "your desk's sessions" for an operator, "" for everyone's.
func (d *Desk) Scope() string {
	if d.scoped() {
		return "your desk's sessions"
	}
	return ""
}

// scope restricts q to what the desk sees.
func (d *Desk) scope(q session.Query) session.Query {
	if d.scoped() {
		q.Desk, q.Operator = d.o.Desk, d.o.Operator
	}
	return q
}

// Sees reports whether s is one of the desk's sessions.
func (d *Desk) Sees(s *session.Session) bool {
	if !d.scoped() || s == nil {
		return true
	}
	return (d.o.Desk != "" && s.Desk == d.o.Desk) || (d.o.Operator != "" && s.Operator == d.o.Operator)
}

// notYours is the answer to an operator naming another desk's session:
// as if it did not exist (ErrNotFound), saying why.
func notYours(id string) error {
	return fmt.Errorf("%w: session %s was launched at another desk; only its desk and the supervisors see it", session.ErrNotFound, id)
}

// auditSupervisor records that a supervisor acted on a session launched
// at another desk or by another operator (the event itself carries the
// supervisor's name too).
func (d *Desk) auditSupervisor(s *session.Session, action, detail string) {
	if !d.o.Supervisor || (s.Desk == d.o.Desk && s.Operator == d.o.Operator) {
		return
	}
	ctx, cancel := d.storeCtx()
	defer cancel()
	who := s.Operator
	if who == "" {
		who = "the local console"
	}
	where := s.Desk
	if where == "" {
		where = "no desk"
	}
	_ = d.o.Store.Audit(ctx, session.AuditEntry{Session: s.ID, Action: action,
		Detail: providers.SanitizeLine(fmt.Sprintf("by supervisor %s (launched by %s at %s): %s", d.o.Operator, who, where, detail))})
}

// unknownCount is Unknown for an operator's desk: its sessions of unknown
// outcome (the store's Counts are everyone's).
func (d *Desk) unknownCount(ctx context.Context) (int, error) {
	return d.o.Store.Count(ctx, d.scope(session.Query{State: session.StateOutcomeUnknown}))
}
