// Package config reads kycdesk's configuration file and environment and
// resolves, for each provider, where requests go and with which
// credentials. It knows providers only through their Descriptor.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/kycdesk/kycdesk/providers"
)

// DefaultSandboxURL is where the console and commands look for a running
// `kycdesk sandbox` (KYCDESK_SANDBOX_URL overrides it).
const DefaultSandboxURL = "http://127.0.0.1:8470"

// File is the parsed config.toml.
//
//	mode = "live"            # or "sandbox" (the default)
//	[profiles.passport-lt]   # a desk profile, same keys as a profile file
//	provider = "idenfy"
//	[idenfy]
//	base_url = "https://ivs.idenfy.com"
//	IDENFY_API_KEY = "…"     # a credential, by its environment variable name
//	[alibaba]
//	region = "ap-southeast-1"
type File struct {
	Path string
	Mode providers.Mode
	// Providers maps a provider id to its table (base_url, options, credentials).
	Providers map[string]map[string]string
	// Profiles are the [profiles.NAME] tables (desk profiles served with
	// the configuration), sorted by name; see Profile.
	Profiles []Profile
}

// DefaultPath is $XDG_CONFIG_HOME/kycdesk/config.toml (fallback
// ~/.config), read from env (nil: the process's environment); "" when
// there is no configuration directory.
func DefaultPath(env Env) string {
	d := Dir(env)
	if d == "" {
		return ""
	}
	return filepath.Join(d, "config.toml")
}

// Load reads the file at path. A missing file is an empty config. A file
// that holds a secret and is readable by group or others is refused.
func Load(path string, reg providers.Registry) (*File, error) {
	f := &File{Path: path, Providers: map[string]map[string]string{}}
	if path == "" {
		return f, nil
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for k, v := range raw {
		switch val := v.(type) {
		case string:
			if k != "mode" {
				return nil, fmt.Errorf("%s: unknown setting %q (expected mode or a [provider] table)", path, k)
			}
			switch providers.Mode(val) {
			case providers.ModeLive, providers.ModeSandbox:
				f.Mode = providers.Mode(val)
			default:
				return nil, fmt.Errorf("%s: mode must be \"sandbox\" or \"live\", not %q", path, val)
			}
		case map[string]any:
			if k == "profiles" {
				ps, err := profilesFromConfig(path, val)
				if err != nil {
					return nil, err
				}
				f.Profiles = ps
				continue
			}
			if _, ok := reg.Get(k); !ok {
				return nil, fmt.Errorf("%s: unknown provider table [%s] (known: %s)", path, k, strings.Join(reg.IDs(), ", "))
			}
			t := map[string]string{}
			for kk, vv := range val {
				s, ok := vv.(string)
				if !ok {
					return nil, fmt.Errorf("%s: [%s] %s must be a string", path, k, kk)
				}
				t[kk] = s
			}
			f.Providers[k] = t
		default:
			return nil, fmt.Errorf("%s: unknown setting %q", path, k)
		}
	}
	if st.Mode().Perm()&0o077 != 0 && f.holdsSecret(reg) {
		return nil, fmt.Errorf("%s holds a secret and is readable by others (mode %04o); run: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return f, nil
}

func (f *File) holdsSecret(reg providers.Registry) bool {
	for id, t := range f.Providers {
		d, _ := reg.Get(id)
		for _, c := range d.Credentials {
			v := lookup(t, c)
			if c.Secret && v != "" && (!c.File || looksLikeKey(v)) {
				return true
			}
		}
	}
	return false
}

// lookup finds a credential in a table by its environment name (any case),
// its Name, or its Name in snake_case.
func lookup(t map[string]string, c providers.Credential) string {
	for k, v := range t {
		if strings.EqualFold(k, c.Env) || k == c.Name || k == snake(c.Name) {
			return v
		}
	}
	return ""
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && !(s[i-1] >= 'A' && s[i-1] <= 'Z') {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Env abstracts the environment for tests.
type Env func(string) string

// Resolved is one provider's resolved configuration.
type Resolved struct {
	Descriptor providers.Descriptor
	Config     providers.Config
	// Disabled says why the provider cannot be used ("" = usable).
	Disabled string
	// SecretEnv names the variable holding the main secret (for curl output).
	SecretEnv string
}

// Resolve decides, for one provider, the endpoint and credentials in the
// given mode. In sandbox mode requests go to sandboxURL with the fixed
// sandbox credentials (or, when every credential variable is set, those —
// a `kycdesk sandbox` started in the same environment accepts them).
func Resolve(d providers.Descriptor, mode providers.Mode, sandboxURL string, f *File, env Env) Resolved {
	if env == nil {
		env = os.Getenv
	}
	if f == nil {
		f = &File{}
	}
	t := f.Providers[d.ID]
	r := Resolved{Descriptor: d}
	for _, c := range d.Credentials {
		if c.Secret && !c.File {
			r.SecretEnv = c.Env
			break
		}
	}
	options := map[string]string{}
	for k, v := range t {
		if _, isDoc := d.OptionsDoc[k]; isDoc {
			options[k] = v
		}
	}
	cfg := providers.Config{Mode: mode, Options: options, Credentials: map[string]string{}}
	creds, missing, err := credentials(d, t, env)
	if mode == providers.ModeSandbox {
		cfg.BaseURL = strings.TrimRight(sandboxURL, "/")
		// The same rule as the sandbox's (sandbox.AcceptedCredentials): the
		// environment's credentials when all are set, except for providers
		// whose credentials are key files, which keep the sandbox key pair,
		// and never to a sandbox reached over plain http beyond loopback
		// (live credentials would cross the network in clear).
		if err == nil && len(missing) == 0 && len(creds) > 0 && envHasAll(d, env) && !usesKeyFiles(d) && providers.CheckEndpoint(sandboxURL) == "" {
			cfg.Credentials = creds
		} else {
			for k, v := range d.SandboxCredentials {
				cfg.Credentials[k] = v
			}
		}
		r.Config = cfg
		return r
	}
	base := env(d.BaseURLEnv)
	if base == "" {
		base = t["base_url"]
	}
	if base == "" && d.ResolveBaseURL != nil {
		base = d.ResolveBaseURL(options)
	}
	if base == "" {
		base = d.LiveURL
	}
	if msg := providers.CheckEndpoint(base); msg != "" {
		r.Disabled = fmt.Sprintf("endpoint %s: %s", base, msg)
	}
	cfg.BaseURL = strings.TrimRight(base, "/")
	cfg.Credentials = creds
	if err != nil && r.Disabled == "" {
		r.Disabled = err.Error()
	}
	if len(missing) > 0 && r.Disabled == "" {
		r.Disabled = "no live credentials: set " + strings.Join(missing, ", ") + " (or put them in " + displayPath(f.Path) + ")"
	}
	r.Config = cfg
	return r
}

func displayPath(p string) string {
	if p == "" {
		return "config.toml"
	}
	return p
}

// looksLikeKey reports whether a value meant to be a file path is key
// material (PEM text, or a long base64 run).
func looksLikeKey(v string) bool {
	return strings.Contains(v, "-----BEGIN") || strings.Contains(v, "PRIVATE KEY") || (len(v) > 200 && !strings.ContainsAny(v, "/\\"))
}

func usesKeyFiles(d providers.Descriptor) bool {
	for _, c := range d.Credentials {
		if c.File && !c.Optional {
			return true
		}
	}
	return false
}

func envHasAll(d providers.Descriptor, env Env) bool {
	for _, c := range d.Credentials {
		if !c.Optional && env(c.Env) == "" {
			return false
		}
	}
	return true
}

// credentials reads each credential from the environment, then the file;
// File credentials name a file whose content is the value.
func credentials(d providers.Descriptor, t map[string]string, env Env) (map[string]string, []string, error) {
	out := map[string]string{}
	var missing []string
	for _, c := range d.Credentials {
		v := env(c.Env)
		if v == "" {
			v = lookup(t, c)
		}
		if v == "" {
			if !c.Optional {
				missing = append(missing, c.Env)
			}
			continue
		}
		if c.File {
			if looksLikeKey(v) {
				// Never echo it: it is the key itself, not a path.
				return out, missing, fmt.Errorf("%s holds key text; it must name a file that contains the key", c.Env)
			}
			b, err := os.ReadFile(v)
			if err != nil {
				return out, missing, fmt.Errorf("%s: cannot read %s: %v", c.Env, v, errors.Unwrap(err))
			}
			v = string(b)
		}
		out[c.Name] = v
	}
	return out, missing, nil
}

// SandboxURL is KYCDESK_SANDBOX_URL or the default.
func SandboxURL(env Env) string {
	if env == nil {
		env = os.Getenv
	}
	if u := env("KYCDESK_SANDBOX_URL"); u != "" {
		return strings.TrimRight(u, "/")
	}
	return DefaultSandboxURL
}

// CheckURLShape accepts an absolute http(s) URL (for --public-url, where a
// LAN address over plain http is the point).
func CheckURLShape(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "must be an absolute http(s) URL such as http://192.168.1.20:8470"
	}
	return ""
}
