package desk

import (
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Row is a recorded session as the lists show it.
type Row struct {
	ID, Provider, Mode, Endpoint, Customer string
	Reference                              string // the main provider id (scanRef, TransactionId, authenticationId)
	State                                  providers.State
	OutcomeUnknown                         bool
	CreatedAt, ExpiresAt                   time.Time
	Launch                                 *providers.Launch
	History                                []providers.Status
	// Sources say where each History entry came from (signed callback,
	// provider API, operator, launch; "" when recorded before sources were).
	Sources []string
	Error   string
	Values  providers.Values // non-personal values, for relaunch
	// Operator and Desk launched it (a served desk); "" locally.
	Operator, Desk string
	// Label is the desk label (a ticket number) the launch kept, or "".
	Label string
	// Unreachable: the session's endpoint did not answer the last status
	// query (an in-process sandbox that is gone, a network down).
	Unreachable bool
	// Resolution is how the operator closed the session out, or "".
	Resolution string
}

func (d *Desk) rowOf(s *session.Session) Row {
	row := Row{
		ID: s.ID, Provider: s.Provider, Mode: string(s.Mode), Endpoint: s.Endpoint, Customer: s.Customer,
		Reference: s.Reference(), State: s.State, OutcomeUnknown: s.OutcomeUnknown(),
		CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, Launch: s.Launch(), Values: s.Values(),
		Operator: s.Operator, Desk: s.Desk,
	}
	if row.Launch != nil {
		row.Label = row.Launch.Extra[LabelKey]
	}
	row.Resolution = s.Resolution
	_, row.Unreachable = d.unreachable.Load(s.ID)
	for _, h := range s.History {
		row.History = append(row.History, providers.Status{State: h.State, Detail: h.Detail, At: h.At})
		row.Sources = append(row.Sources, string(h.Source))
	}
	if s.LastError != nil {
		row.Error = s.LastError.Err().Error()
	}
	if desc, ok := d.o.Registry.Get(s.Provider); ok {
		row.Reference = desc.Reference(s.References())
	}
	return row
}
