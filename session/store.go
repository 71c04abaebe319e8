package session

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Store is the one way to the session history: SQLite on a desk
// (session/sqlite), PostgreSQL when desks share one history
// (session/postgres); OpenStore picks by URL.
//
// Every change appends an event (intent, outcome, status, resolved, audit)
// that is never updated, and keeps the session's folded view in step in
// the same transaction. The actor of every event is the one in the
// context (WithActor). Secrets and personal data are never written: the
// caller passes values already stripped (see StripPersonal), and the
// request itself is kept only as a keyed fingerprint.
type Store interface {
	// Location names the store in messages: its file, or its URL without
	// the password.
	Location() string
	// Fingerprint is the HMAC-SHA256, under the store's key, of what a
	// provider compares when a request is repeated (method, path and
	// query, body), in hex. The body stays readable.
	Fingerprint(req *http.Request) string

	// Intent commits the launch intent of a new session before its
	// request is sent, and returns the session: a new id, outcome unknown
	// and sending until in.SendingUntil. A live intent is refused with a
	// *DuplicateError when the customer has a pending live session of the
	// same provider, unless in.Confirmed, checked in the transaction that
	// inserts, so that two desks cannot both pass (the sandbox is not
	// guarded: demos launch the same customer again and again).
	Intent(ctx context.Context, in Intent) (*Session, error)
	// Attempt commits the intent of a retry of session id before its
	// request is sent. It refuses (nothing written) a session that was
	// launched or resolved, one whose request is still being sent, and a
	// request whose fingerprint differs from the first one's (a
	// *providers.Error wrapping ErrBodyChanged).
	Attempt(ctx context.Context, id string, a Attempt) (*Session, error)
	// Outcome commits what the latest intent's request produced.
	Outcome(ctx context.Context, id string, o Outcome) (*Session, error)
	// Status appends a status of a launched session, saying where it came
	// from, under the record's rules, checked in the write transaction
	// (see StatusRule): a status identical to the last one appends
	// nothing; a non-final status never reopens a final state; after a
	// final state only a different verdict from the provider (src
	// SourceCallback or SourceAPI) is recorded, superseding the earlier
	// one, both kept in the history.
	Status(ctx context.Context, id string, st *providers.Status, src Source) (*Session, error)
	// CodeSent records that the session's one-time code was sent again:
	// the challenge as the provider now states it, and the launch's
	// extra values that count codes (codesSent, codeSentAt), so that
	// every screen and process sees the same.
	CodeSent(ctx context.Context, id string, ch *providers.Challenge, extra map[string]string) (*Session, error)
	// Resolve closes out a session of unknown outcome with the operator's
	// reason ("checked: not created", "launched anew as k7f3qa01").
	Resolve(ctx context.Context, id, how string) (*Session, error)
	// Audit records an operator's action (resend a code, verify, ask for
	// a status…) with the context's actor.
	Audit(ctx context.Context, a AuditEntry) error

	// Get finds a session by id (case-insensitive), by a prefix of the id
	// that only one session has, or by a provider reference given exactly.
	// It wraps ErrNotFound or ErrAmbiguous.
	Get(ctx context.Context, q string) (*Session, error)
	// ByReference finds the launched session of provider and mode whose
	// references hold ref exactly (a callback's scanRef or TransactionId),
	// in one indexed read; it wraps ErrNotFound.
	ByReference(ctx context.Context, provider string, mode providers.Mode, ref string) (*Session, error)
	// History is the session's events, oldest first; id "" gives the
	// audit entries about no session (a revocation, a migration).
	History(ctx context.Context, id string) ([]Event, error)
	// List returns the sessions q selects, newest first, at most q.Limit.
	List(ctx context.Context, q Query) ([]*Session, error)
	// Count is how many sessions q selects, q.Before aside: all of them,
	// or at most q.Limit when it is set (a list shows "1000+").
	Count(ctx context.Context, q Query) (int, error)
	// Search is a filter keystroke: List's page and Count up to countTo
	// (0: all), from one pass over the matches. Words of three
	// characters or more are found through a trigram index; shorter
	// ones make it look at every session (newest first, so a page of
	// common matches is quick).
	Search(ctx context.Context, q Query, countTo int) ([]*Session, int, error)
	// All streams the sessions q selects, newest first, without holding
	// them (sessions --json).
	All(ctx context.Context, q Query) iter.Seq2[*Session, error]
	// PendingFor is the duplicate guard: the sessions of provider and mode
	// for the same customer that may still be in progress at now, newest
	// first.
	PendingFor(ctx context.Context, provider, customer string, mode providers.Mode, now time.Time) ([]*Session, error)
	// Counts are the pending and unknown sessions at now ("" mode: all).
	Counts(ctx context.Context, mode providers.Mode, now time.Time) (Counts, error)

	// Subscribe returns the change feed: the ids of sessions changed by
	// this or another process, within a second. The channel is closed
	// when ctx ends or the store is closed.
	Subscribe(ctx context.Context) (<-chan Change, error)

	// CustomerKey is the key typed customer identifiers are desensitised
	// with (Alibaba's MerchantUserId, the customer column and the search
	// for it): derived from the store key, so that nothing in the store
	// or sent to a provider gives the typed value back without it.
	CustomerKey() []byte

	// Warnings are what opening the store fixed or skipped (a journal
	// imported with torn lines, a file mode set back to 0600…).
	Warnings() []string
	Close() error
}

// Intent is a new session's launch, as the store keeps it.
type Intent struct {
	Provider string
	Mode     providers.Mode
	Endpoint string // without credentials
	// Customer is the customer id as entered or a masked phone number
	// (CustomerOf); "" when there is none.
	Customer string
	// Values are the launch values without personal ones and with
	// secrets masked (StripPersonal).
	Values providers.Values
	// Request is the request that will be sent; only its keyed
	// fingerprint is kept.
	Request *http.Request
	At      time.Time // zero: now
	// SendingUntil is when the request is over at the latest (its
	// deadline); until then the session is being sent, not of unknown
	// outcome. Zero: At + DefaultSendLease.
	SendingUntil time.Time
	// Confirmed: the operator saw the pending sessions the guard would
	// refuse and launched anyway; the intent records which ones they were
	// (and the actor, who confirmed).
	Confirmed bool
	// Quotas limit the launches of the actor's desk and operator; the
	// store counts them in the transaction that inserts (quota.go), so
	// that servers sharing a store enforce one count.
	Quotas Quotas
}

// Attempt is a retry's intent.
type Attempt struct {
	// Values are the retry's values without personal ones (those the
	// first intent kept).
	Values       providers.Values
	Request      *http.Request // compared with the first by fingerprint; not kept
	At           time.Time     // zero: now
	SendingUntil time.Time     // zero: At + DefaultSendLease
}

// DefaultSendLease bounds how long a request of an intent is taken to be
// under way when its sender gave no deadline. A process that dies while
// sending leaves its session "being sent" this long, then of unknown
// outcome.
const DefaultSendLease = 2 * time.Minute

// Outcome is what a launch request produced: a launch, or an error.
type Outcome struct {
	At         time.Time         // zero: now
	References map[string]string // the provider's ids by wire name
	URL        string
	ExpiresAt  time.Time
	SingleUse  bool
	Challenge  *providers.Challenge // kept without SandboxCode
	Extra      map[string]string
	Customer   string     // when the intent had none
	Error      *ErrorInfo // a failed launch: nothing else applies
}

// AuditEntry is an operator's action.
type AuditEntry struct {
	Session string // "" when the action concerns no session
	Action  string // launch, resend, verify, status, resolve, open…
	Detail  string // one line; never personal data or secrets
	At      time.Time
}

// Actor is who acted: the operator and the desk.
type Actor struct {
	Operator string
	Desk     string
}

type actorKey struct{}

// WithActor returns ctx carrying the actor the store records with every
// event written under it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf is the actor ctx carries, or the zero Actor.
func ActorOf(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Source says where a status came from; the history shows it with every
// status, so that a result can be traced to its proof.
type Source string

// Sources of a status.
const (
	// SourceCallback: the provider's callback, whose signature or token
	// verified.
	SourceCallback Source = "signed callback"
	// SourceAPI: the provider's answer to kycdesk's own request (a status
	// query, CheckResult, a verify).
	SourceAPI Source = "provider API"
	// SourceOperator: a person at a desk (a close-out) or the desk's own
	// decision (a code's lifetime over).
	SourceOperator Source = "operator"
	// SourceLaunch: the launch's outcome (pending).
	SourceLaunch Source = "launch"
)

// FromProvider reports whether the status is the provider's own word.
func (s Source) FromProvider() bool { return s == SourceCallback || s == SourceAPI }

// Event kinds.
const (
	EventIntent   = "intent"
	EventOutcome  = "outcome"
	EventStatus   = "status"
	EventResolved = "resolved"
	EventAudit    = "audit"
	// EventCode: a one-time code sent again (DWS triggerChallenge): the
	// challenge as it now stands and the launch's code counters.
	EventCode = "code"
)

// Event is one entry of a session's audit trail.
type Event struct {
	Seq     int64
	Session string
	Kind    string // EventIntent…
	At      time.Time
	Actor   Actor
	// Attempt is an intent's attempt number.
	Attempt int
	// State is an outcome's (pending, failed, outcome unknown) or a
	// status answer's.
	State providers.State
	// Detail is a status detail, a resolution or an audit detail.
	Detail string
	Action string     // an audit entry's
	Error  *ErrorInfo // a failed outcome's
	// Source is where a status (or an outcome: SourceLaunch) came from.
	Source Source
	// Confirmed lists the pending sessions of the same customer an
	// intent's actor saw and launched anyway (Intent.Confirmed).
	Confirmed []string
	// MAC chains the event to the one before it (chain.go).
	MAC string
}

// Query selects sessions.
type Query struct {
	Mode providers.Mode // "" all
	// State keeps sessions in this state only ("" all).
	State providers.State
	// Text keeps sessions whose id, provider, mode, customer, references,
	// state or error code contain every word (case-insensitive).
	Text string
	// Customers also keeps sessions whose customer is one of these: the
	// typed id as a provider records it (CustomerKeys). Only with Text.
	Customers []string
	// Before lists the sessions older than this id (the last one of the
	// previous page).
	Before string
	Limit  int // 0: no limit
	// Desk and Operator, when either is set, keep only the sessions
	// launched at that desk or by that operator: what an operator of a
	// served desk sees (a supervisor's query sets neither).
	Desk, Operator string
}

// Counts are what the home screen shows.
type Counts struct {
	// Pending sessions may still be in progress (see Session.Pending).
	Pending int
	// Unknown sessions need the operator: outcome unknown, not being sent.
	Unknown int
}

// Change is what the change feed reports.
type Change struct {
	IDs []string // sessions with new events, each once
	// Seqs are, when set, each ID's last event as far as the store knows
	// (Session.Seq; 0: not known).
	Seqs []int64
	// Resync says changes may have been missed (the feed reconnected):
	// reload everything shown.
	Resync bool
	// Sender is the PostgreSQL backend that sent the notification (0: not
	// known): the store's watcher sets it and the store itself reads it.
	Sender uint32
}

// SeqOf is IDs[i]'s Seqs entry (0: not known).
func (c Change) SeqOf(i int) int64 {
	if i < len(c.Seqs) {
		return c.Seqs[i]
	}
	return 0
}

// ErrDuplicate is wrapped by the error Intent returns when its guard finds
// a pending session of the same customer.
var ErrDuplicate = errors.New("the customer already has a pending session")

// DuplicateError is Intent's refusal by the duplicate guard.
type DuplicateError struct {
	Pending []*Session // newest first
}

func (e *DuplicateError) Error() string {
	ids := make([]string, 0, len(e.Pending))
	for _, s := range e.Pending {
		ids = append(ids, s.ID)
	}
	return fmt.Sprintf("%v (%s)", ErrDuplicate, strings.Join(ids, ", "))
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// CustomerKeys are the forms a typed customer id is recorded in by the
// providers of reg that desensitise it (Alibaba's keyed MerchantUserId),
// under key (Store.CustomerKey), for Query.Customers; with the form a
// session imported from an earlier release's journal has.
func CustomerKeys(reg providers.Registry, key []byte, typed string) []string {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return nil
	}
	var out []string
	for _, d := range reg {
		if d.CustomerKey == nil {
			continue
		}
		if k := d.CustomerKey(key, typed); k != "" && k != typed {
			out = append(out, k, legacyCustomerOf(key, typed))
		}
	}
	return out
}

// ---- opening ----

// Backend opens one kind of store. target is the file (SQLite; "" for the
// default) or the URL (PostgreSQL).
type Backend func(ctx context.Context, target string, getenv func(string) string) (Store, error)

var (
	backendsMu sync.RWMutex
	backends   = map[string]Backend{}
)

// RegisterBackend makes OpenStore able to open kind ("sqlite",
// "postgres"); session/sqlite and session/postgres register themselves
// when imported.
func RegisterBackend(kind string, b Backend) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	backends[kind] = b
}

var urlScheme = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`) })

// keywordDSN matches a libpq keyword/value connection string.
var keywordDSN = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(^|\s)(host|hostaddr|port|dbname|user|password|sslmode)=`)
})

// StoreKind tells which store a URL names and what the backend gets:
// "" or a file path → "sqlite" (a path, "" for the default one);
// "sqlite:PATH" → "sqlite"; postgres:// or postgresql:// → "postgres".
func StoreKind(u string) (kind, target string, err error) {
	u = strings.TrimSpace(u)
	switch {
	case u == "":
		return "sqlite", "", nil
	case strings.HasPrefix(u, "sqlite:"):
		p := strings.TrimPrefix(u, "sqlite:")
		if strings.HasPrefix(p, "//") {
			p = p[2:] // sqlite:///abs/path, sqlite://rel
		}
		if p == "" {
			return "", "", errors.New("sqlite: names no file")
		}
		return "sqlite", p, nil
	}
	if m := urlScheme().FindStringSubmatch(u); m != nil {
		switch strings.ToLower(m[1]) {
		case "postgres", "postgresql":
			return "postgres", u, nil
		}
		return "", "", fmt.Errorf("%s: unknown kind of store %q (use a file path, sqlite:PATH or postgres://…)", RedactURL(u), m[1])
	}
	if keywordDSN().MatchString(u) {
		// A libpq keyword string (host=… password=…), not a file name:
		// refused before it becomes one, and never echoed.
		return "", "", errors.New("the store looks like a PostgreSQL keyword string (host=… dbname=…): give it as postgres://USER:PASSWORD@HOST:PORT/DB")
	}
	return "sqlite", u, nil
}

// OpenStore opens the store url names (see StoreKind), creating it and
// applying its migrations as needed. getenv supplies XDG_STATE_HOME,
// XDG_CONFIG_HOME, HOME and KYCDESK_STORE_KEY (nil: os.Getenv). An error
// names the file or the URL, without its password.
func OpenStore(url string, getenv func(string) string) (Store, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	kind, target, err := StoreKind(url)
	if err != nil {
		return nil, fmt.Errorf("store %w", err)
	}
	backendsMu.RLock()
	b := backends[kind]
	backendsMu.RUnlock()
	if b == nil {
		return nil, fmt.Errorf("store %s: this program has no %s store (import github.com/kycdesk/kycdesk/session/%s)",
			RedactURL(url), kind, kind)
	}
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	return b(ctx, target, getenv)
}

// openTimeout bounds opening a store (connecting, migrating, importing).
const openTimeout = 2 * time.Minute

// RedactURL is u without its password (user info or password= query
// parameter), for messages.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" {
		if i := strings.Index(u, "@"); i >= 0 && urlScheme().MatchString(u) {
			// Not parseable, but it may hold user:password@: drop it all.
			return u[:strings.Index(u, "://")+3] + "xxxxx" + u[i:]
		}
		return u
	}
	if p.RawQuery != "" {
		q := p.Query()
		changed := false
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
				changed = true
			}
		}
		if changed {
			p.RawQuery = q.Encode()
		}
	}
	return p.Redacted()
}
