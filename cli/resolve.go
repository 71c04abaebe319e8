package cli

import (
	"net/http"
	"strings"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// resolver makes the providers a desk uses, by one rule for the local
// console, the commands and the server's desks.
type resolver struct {
	file   *config.File
	getenv func(string) string
	sb     config.SandboxAccess // the sandbox in use and what it proved
	// transport is this process's own connection pool: closing it with
	// the app means no later command in the process (tests, a served
	// desk) reuses a connection to a sandbox that is gone and reads EOF.
	transport *http.Transport
	// callback is this process's callback receiver (nil: none); clients
	// of providers that call back point their sessions at it.
	callback *providers.CallbackTarget
	// customerKey desensitises typed customer ids sent to a provider: the
	// session store's (session.Store.CustomerKey), so that what is sent,
	// what is recorded and a search agree.
	customerKey []byte
}

func newResolver(getenv func(string) string) resolver {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Every desk of a serve talks to the same few provider hosts: with
	// net/http's default of 2 idle connections a host, 50 desks launching
	// together opened (and, for TLS, handshook) about 48 new connections
	// at each burst, and closed them after (issue 18).
	t.MaxIdleConnsPerHost = maxIdleConnsPerProvider
	return resolver{getenv: getenv, transport: t}
}

// maxIdleConnsPerProvider bounds the connections kept open to one provider
// host between launches: a serve's desks launching at the same moment.
const maxIdleConnsPerProvider = 64

// deskOptions are what every desk of this process starts from, the
// console's and each served desk's, built here only so that the two front
// ends cannot drift: the registry and mode, the sandbox, the history, the
// providers (resolve) and the desk profiles. Each front end adds only its
// own: the console its sandbox note, a served desk its operator, roles,
// quotas, relay and metrics.
func (rs *resolver) deskOptions(reg providers.Registry, mode providers.Mode, sandboxURL string, store session.Store) desk.Options {
	return desk.Options{
		Registry: reg, Mode: mode, SandboxURL: sandboxURL,
		Store:    store,
		Resolve:  rs.resolve,
		Profiles: desk.ProfileDir{Dir: config.ProfilesDir(rs.getenv), Config: rs.file.Profiles},
	}
}

// resolve makes a provider for a mode; endpoint, when set, is where a
// recorded session was launched, and requests go there (in sandbox mode
// it is the sandbox whose credentials rule applies).
func (rs *resolver) resolve(d providers.Descriptor, mode providers.Mode, endpoint string) *desk.Provider {
	sb := rs.sb
	if endpoint != "" && mode == providers.ModeSandbox && strings.TrimRight(endpoint, "/") != strings.TrimRight(sb.URL, "/") {
		// An older sandbox: neither this run's token nor the
		// environment's credentials go there.
		sb = config.SandboxAccess{URL: endpoint}
	}
	r := config.ResolveAccess(d, mode, sb, rs.file, rs.getenv)
	if endpoint != "" {
		r.Config.BaseURL = endpoint
	}
	r.Config.CustomerKey = rs.customerKey
	r.Config.HTTP = &http.Client{Transport: rs.transport, Timeout: r.Config.Timeout}
	if r.Config.HTTP.Timeout == 0 {
		r.Config.HTTP.Timeout = providers.DefaultTimeout
	}
	p := &desk.Provider{Desc: d, Endpoint: r.Config.BaseURL, SecretEnv: r.SecretEnv, Disabled: providers.SanitizeLine(r.Disabled),
		AllowedURLHosts: r.Config.AllowedURLHosts}
	// Live providers call back only over https (CheckCallbackURL): a
	// loopback receiver serves the sandbox only.
	if rs.callback != nil && d.FollowPolicy().Callbacks && providers.CheckCallbackURL(rs.callback.URL(d.ID), mode) == "" {
		r.Config.Callback = rs.callback
		p.CallbackURL = rs.callback.URL(d.ID)
	}
	if p.Disabled == "" {
		c, err := d.New(r.Config)
		if err != nil {
			p.Disabled = providers.SanitizeLine(providers.MaskSecrets(err.Error(), r.Config.Secrets(secretNames(d)...)))
		} else {
			// Whatever a provider echoes back, no secret reaches a screen.
			p.Client = providers.Masked(c)
		}
	}
	return p
}

// secretNames are the names of a provider's secret credentials.
func secretNames(d providers.Descriptor) []string {
	var out []string
	for _, c := range d.Credentials {
		if c.Secret {
			out = append(out, c.Name)
		}
	}
	return out
}
