package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// eventDoc is an event's data column: one JSON object whose members
// depend on the kind.
type eventDoc struct {
	// intent
	Provider     string          `json:"provider,omitempty"`
	Mode         providers.Mode  `json:"mode,omitempty"`
	Endpoint     string          `json:"endpoint,omitempty"`
	Customer     string          `json:"customer,omitempty"`
	Values       json.RawMessage `json:"values,omitempty"` // name → list of values
	Fingerprint  string          `json:"fingerprint,omitempty"`
	Attempt      int             `json:"attempt,omitempty"`
	SendingUntil time.Time       `json:"sendingUntil,omitzero"`
	// outcome (and Customer)
	References map[string]string `json:"references,omitempty"`
	URL        string            `json:"url,omitempty"`
	ExpiresAt  time.Time         `json:"expiresAt,omitzero"`
	SingleUse  bool              `json:"singleUse,omitempty"`
	Challenge  *challengeDoc     `json:"challenge,omitempty"`
	Extra      map[string]string `json:"extra,omitempty"`
	Error      *errorDoc         `json:"error,omitempty"`
	// Confirmed lists the pending sessions an intent's operator saw and
	// launched anyway (Intent.Confirmed).
	Confirmed []string `json:"confirmed,omitempty"`
	// status (State, Detail, Source), resolved (Detail), audit (Action, Detail)
	State  providers.State `json:"state,omitempty"`
	Detail string          `json:"detail,omitempty"`
	Source Source          `json:"source,omitempty"`
	Action string          `json:"action,omitempty"`
}

// challengeDoc is a challenge as stored: never the sandbox's code.
type challengeDoc struct {
	Type        string    `json:"type,omitempty"`
	RenderValue string    `json:"renderValue,omitempty"`
	ChallengeID string    `json:"challengeId,omitempty"`
	Triggered   bool      `json:"triggered,omitempty"`
	CodeExpires time.Time `json:"codeExpiresAt,omitzero"`
}

func challengeDocOf(c *providers.Challenge) *challengeDoc {
	if c == nil {
		return nil
	}
	return &challengeDoc{Type: c.Type, RenderValue: c.RenderValue, ChallengeID: c.ChallengeID,
		Triggered: c.Triggered, CodeExpires: normTime(c.CodeExpires)}
}

func (c *challengeDoc) challenge() *providers.Challenge {
	if c == nil {
		return nil
	}
	return &providers.Challenge{Type: c.Type, RenderValue: c.RenderValue, ChallengeID: c.ChallengeID,
		Triggered: c.Triggered, CodeExpires: normTime(c.CodeExpires)}
}

type errorDoc struct {
	Kind       providers.ErrorKind `json:"kind"`
	Code       string              `json:"code,omitempty"`
	Field      string              `json:"field,omitempty"`
	Message    string              `json:"message,omitempty"`
	Action     string              `json:"action,omitempty"`
	HTTPStatus int                 `json:"httpStatus,omitempty"`
	At         time.Time           `json:"at,omitzero"`
}

func errorDocOf(e *ErrorInfo) *errorDoc {
	if e == nil {
		return nil
	}
	return &errorDoc{Kind: e.Kind, Code: e.Code, Field: e.Field, Message: e.Message, Action: e.Action,
		HTTPStatus: e.HTTPStatus, At: normTime(e.At)}
}

func (e *errorDoc) info() *ErrorInfo {
	if e == nil {
		return nil
	}
	return &ErrorInfo{Kind: e.Kind, Code: e.Code, Field: e.Field, Message: e.Message, Action: e.Action,
		HTTPStatus: e.HTTPStatus, At: normTime(e.At)}
}

// sessionDoc is the part of a folded session kept as JSON in
// session_docs; the rest is in the sessions row's columns.
type sessionDoc struct {
	Endpoint    string            `json:"endpoint,omitempty"`
	Values      json.RawMessage   `json:"values,omitempty"`
	Fingerprint string            `json:"fingerprint,omitempty"`
	Attempts    int               `json:"attempts"`
	LaunchedAt  time.Time         `json:"launchedAt,omitzero"`
	References  json.RawMessage   `json:"references,omitempty"`
	URL         string            `json:"url,omitempty"`
	ExpiresAt   time.Time         `json:"expiresAt,omitzero"`
	SingleUse   bool              `json:"singleUse,omitempty"`
	Challenge   *challengeDoc     `json:"challenge,omitempty"`
	Extra       map[string]string `json:"extra,omitempty"`
	History     []historyDoc      `json:"history,omitempty"`
	LastError   *errorDoc         `json:"lastError,omitempty"`
	Resolution  string            `json:"resolution,omitempty"`
	ResolvedAt  time.Time         `json:"resolvedAt,omitzero"`
	// Who launched it (a served desk); the events keep every actor.
	Operator string `json:"operator,omitempty"`
	Desk     string `json:"desk,omitempty"`
}

type historyDoc struct {
	State    providers.State `json:"state"`
	Detail   string          `json:"detail,omitempty"`
	Source   Source          `json:"source,omitempty"`
	At       time.Time       `json:"at"`
	Operator string          `json:"operator,omitempty"`
	Desk     string          `json:"desk,omitempty"`
}

func docOf(s *Session) sessionDoc {
	d := sessionDoc{
		Endpoint: s.Endpoint, Fingerprint: s.RequestHash, Attempts: s.Attempts, LaunchedAt: s.LaunchedAt,
		URL: s.URL, ExpiresAt: s.ExpiresAt, SingleUse: s.SingleUse, Challenge: challengeDocOf(s.Challenge),
		Extra: s.Extra, LastError: errorDocOf(s.LastError), Resolution: s.Resolution, ResolvedAt: s.ResolvedAt,
		Operator: s.Operator, Desk: s.Desk,
	}
	if s.values != "" {
		d.Values = json.RawMessage(s.values)
	}
	if s.refs != "" {
		d.References = json.RawMessage(s.refs)
	}
	if len(s.History) > 0 {
		d.History = make([]historyDoc, len(s.History))
		for i, h := range s.History {
			d.History[i] = historyDoc{State: h.State, Detail: h.Detail, Source: h.Source, At: h.At, Operator: h.Operator, Desk: h.Desk}
		}
	}
	return d
}

// apply sets s's doc fields from d.
func (d *sessionDoc) apply(s *Session) {
	s.Endpoint, s.RequestHash, s.Attempts = d.Endpoint, d.Fingerprint, d.Attempts
	s.LaunchedAt, s.URL, s.ExpiresAt, s.SingleUse = normTime(d.LaunchedAt), d.URL, normTime(d.ExpiresAt), d.SingleUse
	s.Challenge, s.Extra, s.LastError = d.Challenge.challenge(), d.Extra, d.LastError.info()
	s.Resolution, s.ResolvedAt = d.Resolution, normTime(d.ResolvedAt)
	s.Operator, s.Desk = d.Operator, d.Desk
	s.values, s.refs = "", ""
	if len(d.Values) > 0 && string(d.Values) != "null" {
		s.values = string(d.Values)
	}
	if len(d.References) > 0 && string(d.References) != "null" {
		s.refs = string(d.References)
	}
	s.History = nil
	if len(d.History) > 0 {
		s.History = make([]StatusChange, len(d.History))
		for i, h := range d.History {
			s.History[i] = StatusChange{State: h.State, Detail: h.Detail, Source: h.Source, At: normTime(h.At), Operator: h.Operator, Desk: h.Desk}
		}
	}
}

// outcomeEvent is o as an outcome event.
func outcomeEvent(o Outcome) *eventDoc {
	e := &eventDoc{}
	if o.Error != nil {
		e.Error = errorDocOf(o.Error)
		e.Error.At = time.Time{} // the event's time
		return e
	}
	e.References, e.URL, e.ExpiresAt, e.SingleUse = o.References, o.URL, normTime(o.ExpiresAt), o.SingleUse
	e.Challenge, e.Extra, e.Customer = challengeDocOf(o.Challenge), o.Extra, o.Customer
	return e
}

// errNotApplicable is wrapped by foldEvent for an event that does not fit
// the session (the journal's import skips those).
var errNotApplicable = errors.New("does not apply")

// foldEvent returns the session after event e of kind at time at, by
// actor, without changing cur (nil before the session's first intent).
// The first intent's actor launched the session; a status keeps its own.
func foldEvent(cur *Session, id, kind string, at time.Time, actor Actor, e *eventDoc) (*Session, error) {
	if cur == nil {
		if kind != EventIntent {
			return nil, fmt.Errorf("%w: %s event for session %s, which has no intent", errNotApplicable, kind, id)
		}
		s := &Session{ID: id, Provider: e.Provider, Mode: e.Mode, Endpoint: e.Endpoint, Customer: e.Customer,
			RequestHash: e.Fingerprint, Attempts: max(e.Attempt, 1), CreatedAt: at, State: StateOutcomeUnknown,
			SendingUntil: normTime(e.SendingUntil), Operator: actor.Operator, Desk: actor.Desk}
		if len(e.Values) > 0 {
			s.values = string(e.Values)
		}
		return s, nil
	}
	c := *cur
	s := &c
	s.History = s.History[:len(s.History):len(s.History)] // never write into cur's array
	switch kind {
	case EventIntent: // a retry
		if cur.Launched() {
			return nil, fmt.Errorf("%w: retry intent for session %s, which was already launched", errNotApplicable, id)
		}
		s.Attempts = max(e.Attempt, cur.Attempts+1)
		if len(e.Values) > 0 {
			s.values = string(e.Values)
		}
		if e.Fingerprint != "" {
			s.RequestHash = e.Fingerprint
		}
		s.State = StateOutcomeUnknown
		s.SendingUntil = normTime(e.SendingUntil)
	case EventOutcome:
		if cur.Launched() {
			return nil, fmt.Errorf("%w: second outcome for session %s, which was already launched", errNotApplicable, id)
		}
		s.SendingUntil = time.Time{}
		if e.Error != nil {
			s.LastError = e.Error.info()
			s.LastError.At = at
			if e.Error.Kind == providers.KindUnknown || e.Error.Kind == "" {
				s.LastError.Kind = providers.KindUnknown
				s.State = StateOutcomeUnknown
			} else {
				s.State = StateFailed
			}
			break
		}
		s.refs = encodeMap(e.References)
		s.URL, s.ExpiresAt, s.SingleUse = e.URL, normTime(e.ExpiresAt), e.SingleUse
		s.Challenge, s.Extra = e.Challenge.challenge(), e.Extra
		if s.Customer == "" {
			s.Customer = e.Customer
		}
		s.LaunchedAt = at
		s.LastError = nil
		s.State = providers.StatePending
		s.History = append(s.History, StatusChange{State: providers.StatePending, At: at, Source: SourceLaunch})
	case EventStatus:
		if !cur.Launched() {
			return nil, fmt.Errorf("%w: status for session %s, which was never launched", errNotApplicable, id)
		}
		s.State = e.State
		s.History = append(s.History, StatusChange{State: e.State, Detail: e.Detail, Source: e.Source, At: at,
			Operator: actor.Operator, Desk: actor.Desk})
	case EventResolved:
		s.Resolution, s.ResolvedAt = e.Detail, at
		if s.State == StateOutcomeUnknown {
			s.State = StateResolved
		}
		s.SendingUntil = time.Time{}
	case EventCode:
		if !cur.Launched() || e.Challenge == nil {
			return nil, fmt.Errorf("%w: code for session %s, which has no launched challenge", errNotApplicable, id)
		}
		s.Challenge = e.Challenge.challenge()
		if len(e.Extra) > 0 {
			x := cloneMap(cur.Extra)
			if x == nil {
				x = map[string]string{}
			}
			for k, v := range e.Extra {
				x[k] = v
			}
			s.Extra = x
		}
	case EventAudit:
	default:
		return nil, fmt.Errorf("%w: unknown event kind %q", errNotApplicable, kind)
	}
	return s, nil
}

// activeUntil is the sessions.active_until column: the session is
// Pending(now) exactly while now < it (milliseconds); nil once final.
func activeUntil(s *Session) any {
	if s.Final() || !(s.Launched() || s.OutcomeUnknown()) {
		return nil
	}
	if s.ExpiresAt.IsZero() {
		return int64(math.MaxInt64)
	}
	return s.ExpiresAt.UnixMilli()
}

// ms is t in milliseconds since the epoch, or nil for the zero time.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	return time.UnixMilli(v).Local()
}

// searchText is the sessions.search column: what a filter matches, lower
// case (see Query.Text).
func searchText(s *Session) string {
	return string(s.appendIndex(make([]byte, 0, 160)))
}
