// Package server is `kycdesk serve`: the console served to desks over SSH
// (wish), an HTTP listener for callbacks, health and metrics, and the
// lifecycle that drains both on shutdown. It knows the console only through
// a ConsoleFactory, so the ui does not know whether it runs over SSH.
package server

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"time"

	"github.com/kycdesk/kycdesk/config"
)

// Defaults from the `kycdesk serve` contract (issue 14).
const (
	DefaultSSHListen   = "127.0.0.1:2222"
	DefaultHTTPListen  = "127.0.0.1:8471"
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultShutdownGrace bounds how long a SIGTERM waits for launches in
	// flight before the listeners are closed for good.
	DefaultShutdownGrace = 10 * time.Second
)

// Config is every setting of `kycdesk serve`. The ones an operator sets
// (flag, config.toml's [serve] table, environment, default, help) are
// listed once, in Settings (settings.go); Flags.Load reads them.
type Config struct {
	SSHListen  string
	HTTPListen string
	// PublicURL is the base providers' callbacks and customers' phones use
	// (e.g. https://kyc.example.com behind a TLS-terminating proxy).
	PublicURL string
	// OperatorsFile is an authorized_keys file; each key's comment is the
	// operator's name.
	OperatorsFile string
	// Store is the session store URL (SQLite path or postgres://…). The
	// server does not open it; cli does, and hands the console factory a store.
	Store       string
	HostKeyFile string
	TLSCert     string
	TLSKey      string
	// IdleTimeout ends an SSH session after this long without a key from
	// the desk (in the file: a duration string such as "30m").
	IdleTimeout time.Duration
	Live        bool
	// Roles names the supervisors ([serve.roles], roles.go).
	Roles Roles
	// Quotas limit launches per desk and operator ([serve.quotas], roles.go).
	Quotas Quotas

	// ShutdownGrace is fixed by the contract (10 s); tests shorten it.
	ShutdownGrace time.Duration
	// OperatorsPoll is how often the operators file is checked for changes.
	OperatorsPoll time.Duration
	// HandshakeTimeout, MaxUnauth and MaxUnauthPerHost bound connections
	// that have not shown an operator's key yet (bounds.go); tests lower
	// them.
	HandshakeTimeout time.Duration
	MaxUnauth        int
	MaxUnauthPerHost int
}

// configDir is $XDG_CONFIG_HOME/kycdesk (fallback ~/.config/kycdesk).
func configDir(env config.Env) string { return config.Dir(env) }

// DefaultOperatorsFile is $XDG_CONFIG_HOME/kycdesk/operators.
func DefaultOperatorsFile(env config.Env) string {
	if d := configDir(env); d != "" {
		return filepath.Join(d, "operators")
	}
	return ""
}

// DefaultHostKeyFile is $XDG_CONFIG_HOME/kycdesk/ssh_host_ed25519_key, next
// to the operators file, so one directory holds the server's identity.
func DefaultHostKeyFile(env config.Env) string {
	if d := configDir(env); d != "" {
		return filepath.Join(d, "ssh_host_ed25519_key")
	}
	return ""
}

// DefaultConfig is the configuration with every default filled in.
func DefaultConfig() Config {
	var c Config
	c.fillDefaults()
	return c
}

// fillDefaults sets every zero setting to its default (the settings'
// from Settings, with the process's environment).
func (c *Config) fillDefaults() {
	for _, s := range Settings {
		if v := s.in(c); v.IsZero() && s.Default != nil {
			v.Set(reflect.ValueOf(s.Default(nil)))
		}
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.OperatorsPoll == 0 {
		c.OperatorsPoll = 2 * time.Second
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.MaxUnauth == 0 {
		c.MaxUnauth = DefaultMaxUnauth
	}
	if c.MaxUnauthPerHost == 0 {
		c.MaxUnauthPerHost = DefaultMaxUnauthPerHost
	}
}

// Validate checks the settings that do not need the file system; each
// problem names its flag.
func (c Config) Validate() error {
	var errs []error
	for _, l := range []struct{ flag, addr string }{{"--ssh-listen", c.SSHListen}, {"--http-listen", c.HTTPListen}} {
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not HOST:PORT", l.flag, l.addr))
		}
	}
	if c.PublicURL != "" {
		if msg := checkPublicURL(c.PublicURL); msg != "" {
			errs = append(errs, fmt.Errorf("--public-url: %s", msg))
		}
	}
	if c.OperatorsFile == "" {
		errs = append(errs, errors.New("--operators: no file given and no config directory to default to"))
	}
	if c.HostKeyFile == "" {
		errs = append(errs, errors.New("--host-key: no file given and no config directory to default to"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if c.IdleTimeout < 0 {
		errs = append(errs, errors.New("--idle-timeout: must be positive"))
	}
	if err := CheckCallbackTransport(c.Live, c.PublicURL, c.TLSCert != ""); err != nil {
		errs = append(errs, err)
	}
	if err := c.Quotas.check(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkPublicURL accepts an absolute http(s) base URL without credentials,
// query or fragment.
func checkPublicURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "must be an absolute http(s) URL such as https://kyc.example.com"
	}
	if u.User != nil {
		return "must not carry a user name or password"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "must be a base URL without query or fragment"
	}
	return ""
}

// CheckCallbackTransport is the rule for where live callbacks may arrive:
// providers send results over the internet, so live mode needs https, either
// served here (tlsServed: --tls-cert/--tls-key) or by a TLS-terminating
// proxy that --public-url names. The sandbox takes plain http.
func CheckCallbackTransport(live bool, publicURL string, tlsServed bool) error {
	if !live {
		return nil
	}
	if publicURL == "" {
		if tlsServed {
			return nil
		}
		return errors.New("--live: callbacks need https; give --tls-cert and --tls-key, or --public-url https://… for a TLS-terminating proxy in front")
	}
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("--live: --public-url must be https (providers send results there), not %q", publicURL)
	}
	return nil
}

// CallbackBaseURL is the base providers call back: --public-url, or this
// listener's own address with the scheme it serves.
func (c Config) CallbackBaseURL(boundHTTP string) string {
	if c.PublicURL != "" {
		u, _ := url.Parse(c.PublicURL)
		u.Path = trimSlash(u.Path)
		return u.String()
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + boundHTTP
}

func trimSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}
