package providers

import (
	"context"
	"net/http"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock"
)

// Mode says where requests go.
type Mode string

const (
	ModeSandbox Mode = "sandbox"
	ModeLive    Mode = "live"
)

// Config is what a client needs: where to send, with which credentials.
type Config struct {
	Mode    Mode
	BaseURL string // endpoint root, e.g. https://ivs.idenfy.com (no trailing slash)
	// Credentials by the provider's own names (apiKey, apiSecret,
	// accessKeyId, accessKeySecret, clientId, privateKeyPEM, …).
	Credentials map[string]string
	// Options are non-secret provider settings (region, endpoint type…).
	Options map[string]string
	HTTP    *http.Client  // nil: a client with Timeout
	Timeout time.Duration // per request; 0 = 20s
	Now     clock.Func    // nil: the system clock
	// CustomerKey desensitises typed customer ids the provider is sent
	// (Descriptor.CustomerKey): the session store's customer key, so that
	// the id sent, the one recorded and a search agree.
	CustomerKey []byte
	// Callback is a reachable callback receiver, or nil. Providers whose
	// callback URL is per session (Alibaba) point launches at it.
	Callback *CallbackTarget
	// AllowedURLHosts extend the provider's documented host family for the
	// hosted-flow URLs it returns (config allowed_url_hosts). Only an
	// explicit setting fills it, and the banner shows it.
	AllowedURLHosts []string
	// SandboxToken is the per-run token of a `kycdesk sandbox` that proved
	// it holds it; every request carries it in SandboxTokenHeader. Empty
	// outside sandbox mode.
	SandboxToken string
	// SandboxPublicURL is the base of the URLs a sandbox that proved its
	// token issues (its --public-url, e.g. a LAN address); hosted-flow URLs
	// under it are accepted in sandbox mode.
	SandboxPublicURL string
}

// SandboxTokenHeader carries a sandbox's per-run token from the console.
const SandboxTokenHeader = "X-Kycdesk-Sandbox-Token"

// Clock returns Now or time.Now.
func (c Config) Clock() time.Time { return c.Now.Now() }

// DefaultTimeout bounds one provider request when Config.Timeout is 0.
const DefaultTimeout = 20 * time.Second

// Client returns the HTTP client to use, bounded by Timeout. It never
// follows redirects (Do refuses them too), and in sandbox mode with a
// SandboxToken it presents the token on every request.
func (c Config) Client() *http.Client {
	var hc http.Client
	if c.HTTP != nil {
		hc = *c.HTTP
	} else {
		hc.Timeout = c.Timeout
		if hc.Timeout == 0 {
			hc.Timeout = DefaultTimeout
		}
	}
	hc.CheckRedirect = refuseRedirect
	if c.Mode == ModeSandbox && c.SandboxToken != "" {
		base := hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		hc.Transport = tokenTransport{base: base, token: c.SandboxToken}
	}
	return &hc
}

// tokenTransport adds the sandbox token at send time, so it never shows in
// a reviewed or dry-run request.
type tokenTransport struct {
	base  http.RoundTripper
	token string
}

func (t tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(SandboxTokenHeader, t.token)
	return t.base.RoundTrip(r)
}

// Secrets lists credential values that must never be shown; Dump masks them.
// Key ids (apiKey, accessKeyId, clientId) are not secret.
func (c Config) Secrets(names ...string) []string {
	var out []string
	for _, n := range names {
		if s := c.Credentials[n]; s != "" {
			out = append(out, s)
		}
	}
	return out
}

// State is a session's state as the console shows it.
type State string

const (
	StatePending   State = "pending"
	StateApproved  State = "approved"
	StateDenied    State = "denied"
	StateSuspected State = "suspected"
	StateExpired   State = "expired"
	StateUnknown   State = "unknown"
)

// Final reports whether no further change is expected.
func (s State) Final() bool {
	return s == StateApproved || s == StateDenied || s == StateSuspected || s == StateExpired
}

// ExtraCodeSentAt is the Launch.Extra key where a challenge keeps when its
// last code was sent (RFC 3339): the history stores it with the session,
// so a screen reopened later says how long ago the code went.
const ExtraCodeSentAt = "codeSentAt"

// CodeSentAt is when l's last code was sent, or zero when unknown.
func CodeSentAt(l *Launch) time.Time {
	if l == nil || l.Extra == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, l.Extra[ExtraCodeSentAt])
	if err != nil {
		return time.Time{}
	}
	return t
}

// Challenge is an OTP (or similar) step the operator completes (DWS).
type Challenge struct {
	Type        string `json:"challengeType,omitempty"`        // e.g. SMS
	RenderValue string `json:"challengeRenderValue,omitempty"` // masked phone number
	ChallengeID string `json:"challengeId,omitempty"`
	Triggered   bool   `json:"triggered"`
	// SandboxCode is the code the simulator "sent"; only set in sandbox
	// mode and shown marked as such. Never set in live mode.
	SandboxCode string    `json:"sandboxCode,omitempty"`
	CodeExpires time.Time `json:"codeExpiresAt,omitzero"`
}

// Launch is what a successful launch returns.
type Launch struct {
	Provider string `json:"provider"`
	// References are the provider's ids by their wire names (scanRef,
	// authToken, TransactionId, MerchantBizId, authenticationId, …).
	References map[string]string `json:"references"`
	URL        string            `json:"url,omitempty"` // hosted-flow URL for the QR; "" for OTP flows
	ExpiresAt  time.Time         `json:"expiresAt"`
	SingleUse  bool              `json:"singleUse,omitempty"`
	Challenge  *Challenge        `json:"challenge,omitempty"`
	// Extra are other values worth showing (digitString, Protocol); not secret.
	Extra map[string]string `json:"extra,omitempty"`
	// Notes are short provider facts for the result screen ("the URL works
	// once and for 30 minutes").
	Notes []string `json:"notes,omitempty"`
	// Customer is the customer id as the provider sent it (clientId, the
	// MerchantUserId hash) or a masked phone number, for the provider's own
	// use; who the customer is for the history is providers.Customer.
	Customer string `json:"customer,omitempty"`
}

// Status is a session's state and the provider's detail.
type Status struct {
	State  State             `json:"status"`
	Detail string            `json:"detail,omitempty"` // one line, sanitized
	Fields map[string]string `json:"fields,omitempty"` // provider fields worth showing (SubCode, fraudTags…), sanitized
	At     time.Time         `json:"at"`
}

// Client is one configured provider.
type Client interface {
	// Prepare fills the values that must stay the same from review through
	// every retry (generated ids such as MerchantBizId or
	// authenticationRequestId, documented defaults that are sent). It does
	// not validate.
	Prepare(v Values) Values
	// Validate returns field and cross-field problems, warnings included.
	Validate(v Values) []FieldError
	// Request builds the exact, signed HTTP request a launch sends. It sends
	// nothing. Callers show it with Dump, which masks secrets.
	Request(ctx context.Context, v Values) (*http.Request, error)
	// Launch validates, sends and decodes. Errors are *Error.
	Launch(ctx context.Context, v Values) (*Launch, error)
	// Status asks the provider for the state of a launched session.
	Status(ctx context.Context, l *Launch) (*Status, error)
	// Secrets are the configured secret values, for masking.
	Secrets() []string
}

// Challenger is implemented by clients whose sessions end in a code the
// operator types (DWS OTP).
type Challenger interface {
	// Trigger sends (or resends) the code. It returns the updated challenge.
	Trigger(ctx context.Context, l *Launch) (*Challenge, error)
	// Verify submits the code and returns the resulting status.
	Verify(ctx context.Context, l *Launch, code string) (*Status, error)
}

// SimOptions configure a simulator.
type SimOptions struct {
	// PublicURL is the base of URLs the simulator issues (the customer pages
	// behind the QR), e.g. http://127.0.0.1:8470.
	PublicURL string
	// Credentials the simulator accepts, by the provider's own names; nil
	// means the provider's fixed sandbox credentials.
	Credentials map[string]string
	Now         clock.Func                    // nil: the system clock
	Logf        func(format string, a ...any) // sandbox log (DWS codes go here)
	// MaxSessions caps the sessions a simulator keeps at once (0 =
	// DefaultSimCapacity); when full it refuses new ones with the
	// provider's documented throttling error.
	MaxSessions int
	// WebhookURL is the account-level webhook URL a provider's dashboard
	// would hold (iDenfy); "" sends none. Per-session callback URLs
	// (Alibaba's CallbackUrl) come with each request instead.
	WebhookURL string
	// WebhookSigningKey signs account-level webhooks (iDenfy's
	// Idenfy-Signature); "" sends them unsigned, as iDenfy does when no
	// key is configured.
	WebhookSigningKey string
	// Callbacks sends the simulators' callbacks; nil: each simulator
	// makes its own Deliverer.
	Callbacks *Deliverer
}

// Deliverer returns Callbacks, or a new Deliverer logging to Logf.
func (o SimOptions) Deliverer() *Deliverer {
	if o.Callbacks != nil {
		return o.Callbacks
	}
	return &Deliverer{Logf: o.Logf}
}

// Clock returns Now or time.Now.
func (o SimOptions) Clock() time.Time { return o.Now.Now() }

// Simulator is a provider's sandbox: it registers its routes (the same
// paths as the real API, plus its customer page) on a shared mux.
type Simulator interface {
	Register(mux *http.ServeMux)
}

// OperatorPages is implemented by simulators with pages meant for the
// operator rather than the customer (the DWS SMS inbox). The sandbox serves
// paths under these prefixes only to its own machine, or to a client that
// presents the run's token.
type OperatorPages interface {
	OperatorPaths() []string
}

// Credential describes one credential a provider needs.
type Credential struct {
	Name   string // key in Config.Credentials (apiKey)
	Env    string // environment variable (IDENFY_API_KEY)
	Secret bool   // never shown
	File   bool   // the environment variable names a file whose content is the value
	Doc    string
	// Optional credentials may be missing (DWS platform public key).
	Optional bool
}

// Descriptor is the registry entry of a provider: everything the home
// screen, the CLI and the sandbox need without knowing the provider.
// DeviceFromPhone is the source of a device value the relay got from the
// customer's phone (Descriptor.DeviceMark); ExtraDeviceSource and
// ExtraDeviceType are the Launch.Extra members that keep where a launch's
// device value came from and the device type it names.
const (
	DeviceFromPhone   = "phone"
	ExtraDeviceSource = "metaInfoSource"
	ExtraDeviceType   = "deviceType"
)

type Descriptor struct {
	ID string // idenfy, alibaba, dws
	// DeviceParam names the parameter that must come from the customer's
	// own browser (Alibaba's MetaInfo, from getMetaInfo()): where a relay
	// can reach the phone, the desk's QR opens the relay, which fills it
	// and only then launches; "" for providers without one.
	DeviceParam string
	// DeviceScript is the script the relay page loads for DeviceParam in
	// live mode; the sandbox serves a stand-in at the same path.
	DeviceScript string
	// DeviceMark records in a launch where its DeviceParam came from
	// (DeviceFromPhone through the relay).
	DeviceMark func(l *Launch, source, value string)
	// DeviceNote is what to say of a DeviceParam value a launch without
	// a relay sends ("preset …: … may refuse or flag it"), or "".
	DeviceNote func(value string) string
	Name       string // iDenfy KYC token
	Summary    string // one line for the home screen
	// LiveURL is the default live endpoint; BaseURLEnv overrides it.
	LiveURL    string
	BaseURLEnv string
	// Credentials the provider needs in live mode.
	Credentials []Credential
	// SandboxCredentials are the fixed credentials the sandbox accepts.
	SandboxCredentials map[string]string
	// Spec is the full parameter list (static, for params/forms).
	Spec func() Spec
	// New makes a client.
	New func(Config) (Client, error)
	// NewSimulator makes the simulator.
	NewSimulator func(SimOptions) Simulator
	// ResolveBaseURL turns options (region, endpoint type) into the live
	// base URL when BaseURL is not overridden; nil means LiveURL.
	ResolveBaseURL func(options map[string]string) string
	// OptionsDoc documents Config.Options keys (region…), for README/params.
	OptionsDoc map[string]string
	// CustomerParam is the parameter that identifies the customer on the
	// operator's side (clientId, MerchantUserId); see Customer, the rule.
	CustomerParam string
	// BillsEachLaunch: every live launch costs money (iDenfy tokens), so
	// the desk asks before a second one for a customer with one pending.
	BillsEachLaunch bool
	// MainReference is the reference lists show (scanRef, TransactionId…).
	MainReference string
	// CustomerKey maps a customer id as the operator types it to the one
	// the provider is sent and the session store records, under key
	// (Config.CustomerKey): Alibaba's MerchantUserId is desensitised as
	// its documentation recommends, with a keyed HMAC (KeyedID), so a
	// search by the typed id finds the session and nothing gives the typed
	// value back without the key; nil: the same.
	CustomerKey func(key []byte, typed string) string
	// Follow is how results may be followed (callbacks, polling, manual
	// refresh); read it with FollowPolicy(), which has a safe default.
	Follow *FollowPolicy
}

// Reference picks the reference a list shows: the provider's main one, or
// the first by name.
func (d Descriptor) Reference(refs map[string]string) string {
	if r := refs[d.MainReference]; r != "" {
		return r
	}
	best := ""
	for k, v := range refs {
		if v != "" && (best == "" || k < best) {
			best = k
		}
	}
	return refs[best]
}

// Registry is the ordered list of providers.
type Registry []Descriptor

// Get finds a provider by id.
func (r Registry) Get(id string) (Descriptor, bool) {
	for _, d := range r {
		if d.ID == id {
			return d, true
		}
	}
	return Descriptor{}, false
}

// IDs lists provider ids in order.
func (r Registry) IDs() []string {
	out := make([]string, len(r))
	for i, d := range r {
		out[i] = d.ID
	}
	return out
}

// Constructor adapts a provider's New, which returns its own client type,
// to Descriptor.New: a failed New gives a nil Client, never a typed nil.
func Constructor[C Client](newClient func(Config) (C, error)) func(Config) (Client, error) {
	return func(cfg Config) (Client, error) {
		c, err := newClient(cfg)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
