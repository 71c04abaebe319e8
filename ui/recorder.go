package ui

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// JournalRecorder is the Recorder backed by the session journal.
type JournalRecorder struct {
	// Registry names each provider's main reference for the lists.
	Registry providers.Registry
	journal  *session.Journal
	launcher *session.Launcher
	mode     providers.Mode
	now      func() time.Time
}

// NewJournalRecorder records launches of the given mode in j.
func NewJournalRecorder(j *session.Journal, mode providers.Mode, reg providers.Registry) *JournalRecorder {
	return &JournalRecorder{Registry: reg, journal: j, launcher: &session.Launcher{Journal: j}, mode: mode, now: time.Now}
}

// Launch implements Recorder.
func (r *JournalRecorder) Launch(ctx context.Context, e *Entry, v providers.Values) (string, *providers.Launch, error) {
	c := &Capture{Client: e.Client}
	s, err := r.launcher.Launch(ctx, e.Desc, c, r.mode, e.Resolved.Config.BaseURL, v)
	id := ""
	if s != nil {
		id = s.ID
	}
	if err != nil {
		return id, nil, err
	}
	return id, c.Result(s), nil
}

// Capture wraps a client to keep the launch result as the provider gave
// it: the journal does not hold everything the screen shows (notes, the
// sandbox's simulated code).
type Capture struct {
	providers.Client
	got *providers.Launch
}

// Launch implements providers.Client.
func (c *Capture) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	l, err := c.Client.Launch(ctx, v)
	c.got = l
	return l, err
}

// Result is the captured launch, or the journal's rebuild of s.
func (c *Capture) Result(s *session.Session) *providers.Launch {
	if c.got != nil {
		return c.got
	}
	return s.Launch()
}

// Retry implements Recorder.
func (r *JournalRecorder) Retry(ctx context.Context, id string, e *Entry, v providers.Values) (*providers.Launch, error) {
	s, err := r.journal.Get(id)
	if err != nil {
		return nil, err
	}
	c := &Capture{Client: e.Client}
	s, err = r.launcher.Retry(ctx, s, c, v)
	if err != nil {
		return nil, err
	}
	return c.Result(s), nil
}

// Status implements Recorder.
func (r *JournalRecorder) Status(id string, st *providers.Status) {
	_, _ = r.journal.AppendStatus(id, st)
}

// Sessions implements Recorder.
func (r *JournalRecorder) Sessions(query string, limit int) ([]SessionRow, int) {
	_, _ = r.journal.Reload() // pick up what another console appended
	var list []*session.Session
	if strings.TrimSpace(query) == "" {
		list = r.journal.Sessions()
	} else {
		list = r.journal.Filter(query)
		// A customer id as typed also finds sessions that record it
		// transformed (Alibaba's hashed MerchantUserId).
		seen := map[string]bool{}
		for _, s := range list {
			seen[s.ID] = true
		}
		extra := false
		for _, d := range r.Registry {
			if d.CustomerKey == nil {
				continue
			}
			if k := d.CustomerKey(strings.TrimSpace(query)); k != "" && k != query {
				for _, s := range r.journal.Filter(k) {
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
	total := len(list)
	if limit > 0 && len(list) > limit {
		list = list[:limit]
	}
	rows := make([]SessionRow, len(list))
	for i, s := range list {
		rows[i] = r.rowOf(s)
	}
	return rows, total
}

// Unknown implements Recorder.
func (r *JournalRecorder) Unknown() int { return len(r.journal.Unresolved()) }

// Pending implements Recorder.
func (r *JournalRecorder) Pending(provider, customer string) []SessionRow {
	var rows []SessionRow
	for _, s := range r.journal.PendingFor(provider, customer, providers.ModeLive, r.now()) {
		rows = append(rows, r.rowOf(s))
	}
	return rows
}

// Problem implements Recorder.
func (r *JournalRecorder) Problem() string {
	return strings.Join(r.journal.Warnings(), "; ")
}

func (r *JournalRecorder) rowOf(s *session.Session) SessionRow {
	row := SessionRow{
		ID: s.ID, Provider: s.Provider, Mode: string(s.Mode), Endpoint: s.Endpoint, Customer: s.Customer,
		Reference: s.Reference(), State: s.State, OutcomeUnknown: s.OutcomeUnknown(),
		CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, Launch: s.Launch(), Values: s.Values(),
	}
	for _, h := range s.History {
		row.History = append(row.History, providers.Status{State: h.State, Detail: h.Detail, At: h.At})
	}
	if s.LastError != nil {
		row.Error = s.LastError.Err().Error()
	}
	if d, ok := r.descriptor(s.Provider); ok {
		row.Reference = d.Reference(s.References())
	}
	return row
}

func (r *JournalRecorder) descriptor(id string) (providers.Descriptor, bool) {
	return r.Registry.Get(id)
}
