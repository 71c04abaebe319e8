package desk

import (
	"sort"
	"strings"

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
	Error                                  string
	Values                                 providers.Values // non-personal values, for relaunch
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

// Sessions lists at most limit sessions (0 = all) newest first, filtered
// by query ("" = all), and how many matched in all.
func (d *Desk) Sessions(query string, limit int) ([]Row, int) {
	return d.SessionsIn("", query, limit)
}

// SessionsIn is Sessions of one mode only ("" = every mode): a console
// lists its own mode's sessions and shows the other's on request.
func (d *Desk) SessionsIn(mode providers.Mode, query string, limit int) ([]Row, int) {
	h := d.o.History
	_, _ = h.Reload() // pick up what another console appended
	var list []*session.Session
	if strings.TrimSpace(query) == "" {
		list = h.Sessions()
	} else {
		list = h.Filter(query)
		// A customer id as typed also finds sessions that record it
		// transformed (Alibaba's hashed MerchantUserId).
		seen := map[string]bool{}
		for _, s := range list {
			seen[s.ID] = true
		}
		extra := false
		for _, desc := range d.o.Registry {
			if desc.CustomerKey == nil {
				continue
			}
			if k := desc.CustomerKey(strings.TrimSpace(query)); k != "" && k != query {
				for _, s := range h.Filter(k) {
					if !seen[s.ID] {
						seen[s.ID] = true
						list = append(list, s)
						extra = true
					}
				}
			}
		}
		if extra {
			sort.SliceStable(list, func(i, j int) bool { return list[i].CreatedAt.After(list[j].CreatedAt) })
		}
	}
	if mode != "" {
		kept := list[:0:0]
		for _, s := range list {
			if s.Mode == mode {
				kept = append(kept, s)
			}
		}
		list = kept
	}
	total := len(list)
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	rows := make([]Row, len(list))
	for i, s := range list {
		rows[i] = d.rowOf(s)
	}
	return rows, total
}

// Unknown counts sessions whose launch outcome is unknown.
func (d *Desk) Unknown() int { return len(d.o.History.Unresolved()) }

// Problem is a note about the history (torn line, unwritable), or "".
func (d *Desk) Problem() string { return strings.Join(d.o.History.Warnings(), "; ") }

// Session is a recorded session (for the command line's own printing).
func (d *Desk) Session(id string) (*session.Session, error) { return d.o.History.Get(id) }

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
	}
	if s.LastError != nil {
		row.Error = s.LastError.Err().Error()
	}
	if desc, ok := d.o.Registry.Get(s.Provider); ok {
		row.Reference = desc.Reference(s.References())
	}
	return row
}
