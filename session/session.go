// Package session is the history of identity-verification sessions: the
// record. The launch workflow that writes it is desk's.
//
// The history is a Store (store.go): SQLite on a desk (session/sqlite),
// PostgreSQL when desks share one history (session/postgres), one schema
// (session/migrations) and one conformance suite (session/storetest). A
// launch commits an intent before the request is sent and an outcome
// after it; status changes, an operator's resolution of an unknown
// outcome and audit entries are further events, appended and never
// updated. The record's rules (rules.go) are enforced inside the write
// transaction, and every event is chained to the one before by a MAC
// under the store key (chain.go), so that `kycdesk audit verify` detects
// an edited, inserted or deleted event. The JSON Lines journal of earlier
// releases is imported into the store once (legacy.go), under today's
// rules.
//
// Secrets are never written. Parameters marked Personal in the provider's
// spec (names, dates of birth, document and personal numbers, addresses,
// phone numbers) are dropped before anything is written; a phone number used
// as the customer is masked. The request's fingerprint, which a retry must
// match, is an HMAC under a key kept outside the store (key.go).
package session

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Session states beyond the provider states of providers.State.
const (
	// StateOutcomeUnknown: an intent was written but no outcome, or the
	// outcome was an error of kind unknown (timeout, 5xx, DWS status U).
	// The provider may or may not have created the session; the operator
	// retries the same request or resolves it (Resolve).
	StateOutcomeUnknown providers.State = "outcome unknown"
	// StateFailed: the launch failed and nothing was created (the input
	// was invalid, the provider refused it, or it could not be sent).
	StateFailed providers.State = "failed"
	// StateResolved: an unknown outcome that the operator resolved.
	StateResolved providers.State = "resolved"
)

// StatusChange is one entry of a session's history.
type StatusChange struct {
	State  providers.State
	Detail string
	At     time.Time
	// Operator and Desk recorded it (a served desk); "" for a local
	// console, a callback or an older journal.
	Operator, Desk string
	// Source is where it came from ("" in a history recorded before
	// sources were).
	Source Source
}

// ErrorInfo is a failed launch as stored: the *providers.Error without
// its underlying cause.
type ErrorInfo struct {
	Kind       providers.ErrorKind
	Code       string
	Field      string
	Message    string
	Action     string
	HTTPStatus int
	At         time.Time
}

// Err rebuilds the provider error, e.g. for the CLI's error object and exit code.
func (e *ErrorInfo) Err() *providers.Error {
	if e == nil {
		return nil
	}
	return &providers.Error{Kind: e.Kind, Code: e.Code, Field: e.Field, Message: e.Message,
		Action: e.Action, HTTPStatus: e.HTTPStatus}
}

// Session is the folded view of a session's events.
//
// A *Session handed out by a Store is a copy that is never modified
// afterwards: a later event produces a new *Session. Treat it as read-only.
type Session struct {
	ID       string // short, time-sortable, unique in the store (e.g. k7f3q9x2)
	Provider string // descriptor id: idenfy, alibaba, dws
	Mode     providers.Mode
	Endpoint string // base URL the request went to (without user info)
	// Customer is the customer id as entered (clientId, a user id) or a
	// masked phone number; "" when the values name neither (see providers.Customer).
	Customer string
	// values is the intent's "values" object as stored (JSON text);
	// Values decodes it.
	values string
	// RequestHash is the request's keyed fingerprint (Store.Fingerprint);
	// a retry must produce the same.
	RequestHash string
	Attempts    int // intents written: 1, plus one per retry

	CreatedAt  time.Time // the first intent
	LaunchedAt time.Time // the successful outcome; zero until then

	// refs is the outcome's "references" object as stored (JSON
	// text); References decodes it.
	refs      string
	URL       string
	ExpiresAt time.Time
	SingleUse bool
	Challenge *providers.Challenge // without SandboxCode
	Extra     map[string]string

	State     providers.State
	History   []StatusChange // from the launch on: pending, then each change
	LastError *ErrorInfo     // the last failed attempt; nil after a success

	// Operator and Desk launched the session (a served desk: the
	// operators file's name and the SSH user name); "" locally.
	Operator, Desk string

	Resolution string // the operator's resolution of an unknown outcome
	ResolvedAt time.Time

	// SendingUntil is, in a Store, when the latest intent's request is
	// over at the latest; zero once its outcome is recorded.
	SendingUntil time.Time

	num int64 // its row in the store
	seq int64 // its last event (Seq)
}

// Seq is the store's number for the session's last event: a later change
// has a greater one; 0 when not known (a session no store returned). A
// change notice that carries it (desk) tells a screen that already shows
// this event or a later one that there is nothing new to read.
func (s *Session) Seq() int64 { return s.seq }

// Values are the launch parameters without personal ones, including the
// generated idempotency ids (MerchantBizId, authenticationRequestId). They
// are decoded on each call (the caller owns the copy), so that listing
// sessions does not pay for them.
func (s *Session) Values() providers.Values {
	if s.values == "" {
		return providers.Values{}
	}
	var v map[string][]string
	if err := json.Unmarshal([]byte(s.values), &v); err != nil || v == nil {
		return providers.Values{}
	}
	return providers.Values(v)
}

// Sending reports whether a request of the session may still be under way
// at now (in this process or another): its outcome is not recorded yet
// and its sender's deadline has not passed.
func (s *Session) Sending(now time.Time) bool {
	return !s.SendingUntil.IsZero() && now.Before(s.SendingUntil)
}

// Launched reports whether a launch outcome with references was recorded.
func (s *Session) Launched() bool { return !s.LaunchedAt.IsZero() }

// OutcomeUnknown reports whether the launch may or may not have created a
// session at the provider and nobody has resolved it yet.
func (s *Session) OutcomeUnknown() bool { return s.State == StateOutcomeUnknown }

// Final reports whether nothing more will happen to the session: a final
// provider state, a failed launch, or a resolved unknown outcome.
func (s *Session) Final() bool { return StateFinal(s.State) }

// StateFinal reports whether a session in state st is over: a final
// provider state, a failed launch, or closed out by an operator
// (resolved). Screens ask it of a listed state (no QR, no close-out).
func StateFinal(st providers.State) bool {
	return st.Final() || st == StateFailed || st == StateResolved
}

// Expired reports whether the session is expired at now: the provider said
// so, or its expiry time has passed. A session without an expiry time is
// not expired.
func (s *Session) Expired(now time.Time) bool {
	if s.State == providers.StateExpired {
		return true
	}
	return !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt)
}

// TimeLeft is the time until expiry, 0 once expired or when the expiry is unknown.
func (s *Session) TimeLeft(now time.Time) time.Duration {
	if s.ExpiresAt.IsZero() || s.State == providers.StateExpired {
		return 0
	}
	if d := s.ExpiresAt.Sub(now); d > 0 {
		return d
	}
	return 0
}

// Pending reports whether the session may still be in progress at the
// provider at now: launched (or of unknown outcome), not final, not expired.
func (s *Session) Pending(now time.Time) bool {
	if s.Final() || s.Expired(now) {
		return false
	}
	return s.Launched() || s.OutcomeUnknown()
}

// Launch rebuilds the launch result, for Client.Status and the challenge
// calls. It is nil when the session was never launched.
func (s *Session) Launch() *providers.Launch {
	if !s.Launched() {
		return nil
	}
	l := &providers.Launch{
		Provider:   s.Provider,
		References: s.References(),
		URL:        s.URL,
		ExpiresAt:  s.ExpiresAt,
		SingleUse:  s.SingleUse,
		Extra:      cloneMap(s.Extra),
		Customer:   s.Customer,
	}
	if s.Challenge != nil {
		c := *s.Challenge
		l.Challenge = &c
	}
	return l
}

// References are the provider's ids by wire name (scanRef, authToken,
// TransactionId, authenticationId, …), nil before a launch. They are
// decoded on each call (the caller owns the map).
func (s *Session) References() map[string]string {
	if s.refs == "" {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s.refs), &m); err != nil {
		return nil
	}
	return m
}

// Reference returns the reference worth showing in a list: the first
// non-empty one in name order, or "".
func (s *Session) Reference() string {
	refs := s.References()
	for _, k := range sortedKeys(refs) {
		if refs[k] != "" {
			return refs[k]
		}
	}
	return ""
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// LabelKey is where a launch keeps its desk label (a ticket number) in
// its Extra (desk.LabelKey): the desk finds a session again by it.
const LabelKey = "deskLabel"

// appendIndex appends the lower-case text Filter matches: id, provider,
// mode, customer, desk label, references, state and the error's kind and
// code.
func (s *Session) appendIndex(b []byte) []byte {
	b = appendLower(b, s.ID)
	b = append(b, '\n')
	b = appendLower(b, s.Provider)
	b = append(b, '\n')
	b = appendLower(b, string(s.Mode))
	b = append(b, '\n')
	b = appendLower(b, s.Customer)
	if l := s.Extra[LabelKey]; l != "" {
		b = append(b, '\n')
		b = appendLower(b, l)
	}
	refs := s.References()
	for _, k := range sortedKeys(refs) {
		b = append(b, '\n')
		b = appendLower(b, refs[k])
	}
	b = append(b, '\n')
	b = appendLower(b, string(s.State))
	if s.LastError != nil {
		b = append(b, '\n')
		b = appendLower(b, string(s.LastError.Kind))
		b = append(b, '\n')
		b = appendLower(b, s.LastError.Code)
	}
	return b
}

// appendLower appends strings.ToLower(x), without allocating for ASCII.
func appendLower(b []byte, x string) []byte {
	n := len(b)
	b = append(b, x...)
	for i := n; i < len(b); i++ {
		c := b[i]
		if c >= 0x80 {
			return append(b[:n], strings.ToLower(x)...)
		}
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

// lower is strings.ToLower with an allocation-free path for text that is
// already lower-case ASCII.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}
