// Package desk is the launch workflow every front end calls (the console,
// the command line, the accessible console; later a served desk): which
// providers are offered, a Draft (prepare and validate once, build the
// request once), Launch and Retry (duplicate guard, an OTP code sent and
// recorded on launch), and Follow (status, verify, keep-final, at the
// session's own endpoint and mode). A Desk holds no globals: one can be
// built per SSH session.
package desk

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Provider is one provider as a desk offers it.
type Provider struct {
	Desc providers.Descriptor
	// Client is nil when Disabled; it masks its secrets in all it returns.
	Client providers.Client
	// Endpoint is where its requests go (the base URL).
	Endpoint string
	// SecretEnv names the variable a copied curl reads the secret from.
	SecretEnv string
	Disabled  string // why it cannot be used ("" = usable)
	// CallbackURL is where this process's callback receiver takes the
	// provider's results ("" = none reaches it): the client puts it in
	// each request when the URL is per session (Alibaba's CallbackUrl,
	// iDenfy's callbackUrl in the sandbox), or the account's webhook
	// points there.
	CallbackURL string
	// AllowedURLHosts are hosted-flow hosts the configuration allows
	// beyond the provider's documented family (allowed_url_hosts): an
	// explicit setting, so the banner shows it.
	AllowedURLHosts []string
}

// Resolver makes a provider for a mode and an endpoint ("" = the one
// configured for the mode). The command line builds it from the config.
type Resolver func(d providers.Descriptor, mode providers.Mode, endpoint string) *Provider

// Options configure a desk.
type Options struct {
	Registry providers.Registry
	Mode     providers.Mode
	// SandboxURL is where sandbox requests go; SandboxNote says how long
	// its URLs live (an in-process sandbox), or "".
	SandboxURL, SandboxNote string
	// Store is the session history (session.Store: SQLite on a desk,
	// PostgreSQL shared by many); every read and write of the desk goes
	// through it (history.go).
	Store   session.Store
	Resolve Resolver
	Now     clock.Func // nil: the system clock
	// After waits for the follower (nil: time.After); tests advance it.
	After func(time.Duration) <-chan time.Time
	// Operator and Desk name who works here (a served desk); "" locally.
	// Every history write of the desk records them (audit.go).
	Operator, Desk string
	// Supervisor: the operator sees every desk's sessions; otherwise a
	// served desk sees only its own (roles.go).
	Supervisor bool
	// Network tells the board what the server knows of its connected
	// desks (nil: no server, as kycdesk board).
	Network func() Network
	// Quotas limit the launches of this desk and its operator ([serve.quotas]).
	Quotas session.Quotas
	// Metrics hears about launches (nil: none); Track registers each
	// launch with a server's shutdown (nil: none).
	Metrics Metrics
	Track   Tracker
	// Announce hears every change this desk records (Changed), with its
	// event when known (ChangedTo), so that a server tells its other desks
	// (their NotifyTo); nil: none.
	Announce func(id string, seq int64)
	// Relay issues relay links where a customer's phone can reach this
	// process (kycdesk serve --public-url): a provider with a
	// DeviceParam is then launched from the phone (relay.go); nil: its
	// preset is used. RelaySandbox is the sandbox's public root, whose
	// stand-in script the relay page loads in sandbox mode.
	Relay        Relayer
	RelaySandbox string
	// Profiles keeps the desk profiles (nil: none offered).
	Profiles ProfileStore
}

// Desk is one operator's desk.
type Desk struct {
	o         Options
	providers []*Provider
	changes   chan Change
	pending   pending // changes not yet taken from changes (changes.go)

	mu sync.Mutex
	// checked is when each session was last asked about (the manual
	// refresh limit, "checked at").
	checked map[string]time.Time
	// follow is the background follower's context (nil: not following);
	// watched are the sessions it follows.
	follow  context.Context
	stop    context.CancelFunc
	watched map[string]bool
	closed  chan struct{}
	// unreachable holds the sessions whose endpoint did not answer the
	// last status query (closeout.go).
	unreachable sync.Map
	// subscribed is closed once the store's change feed is listened to
	// (or could not be), after StartFollowing.
	subscribed     chan struct{}
	subscribedOnce sync.Once
	// relay holds the phases of the sessions launched through the relay.
	relay relayPhases
	// act is what the desk's screen shows, for the board (board.go).
	act activity
	// profMemo is the last Profiles worked out, and what from.
	profMu   sync.Mutex
	profMemo *profilesMemo
}

// New resolves every provider of the registry for the desk's mode.
func New(o Options) *Desk {
	d := &Desk{o: o, changes: make(chan Change, changeBuffer), checked: map[string]time.Time{}, watched: map[string]bool{},
		closed: make(chan struct{}), subscribed: make(chan struct{})}
	for _, desc := range o.Registry {
		d.providers = append(d.providers, o.Resolve(desc, o.Mode, ""))
	}
	d.instrument()
	return d
}

// Mode says where requests go.
func (d *Desk) Mode() providers.Mode { return d.o.Mode }

// SandboxURL is the sandbox requests go to in sandbox mode.
func (d *Desk) SandboxURL() string { return d.o.SandboxURL }

// SandboxNote says how long sandbox URLs live, or "".
func (d *Desk) SandboxNote() string { return d.o.SandboxNote }

// Operator and DeskName name who works at this desk ("" locally).
func (d *Desk) Operator() string { return d.o.Operator }
func (d *Desk) DeskName() string { return d.o.Desk }

// Now is the desk's clock.
func (d *Desk) Now() time.Time {
	return d.o.Now.Now()
}

// Providers lists every provider, usable or not, in registry order.
func (d *Desk) Providers() []*Provider { return d.providers }

// Lookup finds a provider by id (nil: unknown).
func (d *Desk) Lookup(id string) *Provider {
	for _, p := range d.providers {
		if p.Desc.ID == id {
			return p
		}
	}
	return nil
}

// Provider finds a usable provider by id, or says why there is none.
func (d *Desk) Provider(id string) (*Provider, error) {
	p := d.Lookup(id)
	if p == nil {
		return nil, fmt.Errorf("unknown provider %q (one of: %s)", id, strings.Join(d.o.Registry.IDs(), ", "))
	}
	if p.Disabled != "" {
		return nil, fmt.Errorf("%s is unavailable: %s", id, p.Disabled)
	}
	return p, nil
}

// Customer is who a launch is for, as the history records it and the
// duplicate guard compares: the one rule, providers.Customer, under the
// store's customer key (a typed id a provider is sent desensitised is
// recorded the same way).
func (d *Desk) Customer(desc providers.Descriptor, v providers.Values) string {
	return providers.Customer(desc, v, d.o.Store.CustomerKey())
}
