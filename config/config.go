// Package config reads kycdesk's configuration file and environment and
// resolves, for each provider, where requests go and with which
// credentials. It knows providers only through their Descriptor.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"

	"github.com/kycdesk/kycdesk/internal/authfile"
	"github.com/kycdesk/kycdesk/providers"
)

// DefaultSandboxURL is where the console and commands look for a running
// `kycdesk sandbox` (KYCDESK_SANDBOX_URL overrides it).
const DefaultSandboxURL = "http://127.0.0.1:8470"

// File is the parsed config.toml.
//
//	mode = "live"            # or "sandbox" (the default)
//	store = "postgres://…"   # the session store (default: SQLite in XDG_STATE_HOME)
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
	// Store is the session store's URL or file ("" = the default SQLite
	// file); --store and KYCDESK_STORE come first.
	Store string
	// Providers maps a provider id to its table (base_url, options, credentials).
	Providers map[string]map[string]string
	// Profiles are the [profiles.NAME] tables (desk profiles served with
	// the configuration), sorted by name; see Profile.
	Profiles []Profile
	// Serve is the [serve] table, undecoded: `kycdesk serve` decodes it
	// into its settings (server.Config), refusing unknown keys.
	Serve map[string]any
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
	// A device or a FIFO is refused before it is read, and the size is
	// bounded; the owner and mode matter once the file is known to hold
	// a secret (below).
	data, err := authfile.Read(path, authfile.Rules{What: "config file", Max: authfile.MaxConfig, OnlyTypeAndSize: true})
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return nil, fmt.Errorf("%s: %s", path, TOMLError(err))
	}
	for k, v := range raw {
		switch val := v.(type) {
		case string:
			if k == "store" {
				f.Store = strings.TrimSpace(val)
				continue
			}
			if k != "mode" {
				return nil, fmt.Errorf("%s: unknown setting %q (expected mode, store or a [provider] table)", path, k)
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
			if k == "serve" {
				f.Serve = val
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
	if f.holdsSecret(reg) {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if err := authfile.Check(path, st, authfile.Rules{What: "config file (it holds a secret)", Secret: true, Max: authfile.MaxConfig}); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *File) holdsSecret(reg providers.Registry) bool {
	if HasPassword(f.Store) {
		return true
	}
	if s, ok := f.Serve["store"].(string); ok && HasPassword(s) {
		return true // kycdesk serve's [serve] store URL
	}
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

// TOMLError describes a TOML decoding error by its position and key only:
// the parser's own text quotes the offending value, which in a config
// file may be an unquoted secret (api_secret = s3cr3t).
func TOMLError(err error) string {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := fmt.Sprintf("not valid TOML at line %d", pe.Position.Line)
		if pe.LastKey != "" {
			msg += fmt.Sprintf(" (key %q)", pe.LastKey)
		}
		if strings.Contains(pe.Message, "out of range") {
			return msg + ": the number there is too large"
		}
		return msg + ": check the quoting of the value there (strings need \"…\")"
	}
	return "not valid TOML"
}

// HasPassword reports whether a store URL carries a password (in its
// user info or a password query parameter): the file holding it is then
// kept to its owner like one holding an API secret.
func HasPassword(storeURL string) bool {
	u, err := url.Parse(strings.TrimSpace(storeURL))
	if err != nil {
		// Not parseable: treat user info as a password to be safe.
		return strings.Contains(storeURL, "@") && strings.Contains(storeURL, "://")
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	for k, v := range u.Query() {
		if strings.Contains(strings.ToLower(k), "password") && len(v) > 0 && v[0] != "" {
			return true
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

// SandboxAccess is what a client knows about the sandbox it uses.
type SandboxAccess struct {
	URL string
	// Token is the sandbox's per-run token, set only once the sandbox has
	// proved it holds it (token.Open), or for a sandbox this process
	// started itself. Only then may the environment's credentials go there.
	Token string
	// PublicURL is the base of the URLs that sandbox issues (known only
	// from a sandbox that proved its token).
	PublicURL string
}

// Resolve decides, for one provider, the endpoint and credentials in the
// given mode. In sandbox mode requests go to sandboxURL with the fixed
// sandbox credentials only: the environment's live credentials never go to
// whatever answers there (ResolveAccess with a proven token is the one
// exception).
func Resolve(d providers.Descriptor, mode providers.Mode, sandboxURL string, f *File, env Env) Resolved {
	return ResolveAccess(d, mode, SandboxAccess{URL: sandboxURL}, f, env)
}

// ResolveAccess is Resolve with what is known of the sandbox. With a proven
// token (sb.Token) and every credential variable of a provider set, that
// provider sends the environment's credentials (the sandbox, started in the
// same environment, accepts those instead of its fixed ones), except for
// providers whose credentials are key files, which keep the sandbox key
// pair, and never over plain http beyond loopback. Every request presents
// the token.
func ResolveAccess(d providers.Descriptor, mode providers.Mode, sb SandboxAccess, f *File, env Env) Resolved {
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
	cfg := providers.Config{Mode: mode, Options: options, Credentials: map[string]string{},
		AllowedURLHosts: AllowedURLHosts(t)}
	if mode == providers.ModeSandbox {
		cfg.BaseURL = providers.StripUserinfo(strings.TrimRight(sb.URL, "/"))
		cfg.SandboxToken = sb.Token
		if sb.Token != "" {
			cfg.SandboxPublicURL = providers.StripUserinfo(sb.PublicURL)
		}
		useEnv := false
		if sb.Token != "" && envHasAll(d, env) && !usesKeyFiles(d) && providers.CheckEndpoint(cfg.BaseURL) == "" {
			if creds, missing, err := credentials(d, t, env); err == nil && len(missing) == 0 && len(creds) > 0 {
				cfg.Credentials, useEnv = creds, true
			}
		}
		if !useEnv {
			for k, v := range d.SandboxCredentials {
				cfg.Credentials[k] = v
			}
		}
		r.Config = cfg
		return r
	}
	creds, missing, err := credentials(d, t, env)
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
	// A password in an endpoint URL is never shown, sent or stored.
	base = providers.StripUserinfo(base)
	if msg := providers.CheckEndpoint(base); msg != "" {
		r.Disabled = fmt.Sprintf("endpoint %s: %s", providers.SanitizeLine(base), msg)
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

// AllowedURLHostsKey is the provider-table setting that extends the
// provider's documented host family for hosted-flow URLs (comma-separated
// host names; a name admits its subdomains). The banner shows it.
const AllowedURLHostsKey = "allowed_url_hosts"

// AllowedURLHosts reads AllowedURLHostsKey from a provider table.
func AllowedURLHosts(t map[string]string) []string {
	var out []string
	for _, h := range strings.Split(t[AllowedURLHostsKey], ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
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
			b, err := ReadKeyFile(v)
			if err != nil {
				return out, missing, fmt.Errorf("%s: %v", c.Env, err)
			}
			v = string(b)
		}
		out[c.Name] = v
	}
	return out, missing, nil
}

// MaxKeyFile bounds a key file: an RSA-4096 private key in PEM is about
// 3.3 KiB, so anything near this is not a key.
const MaxKeyFile = 64 << 10

// ReadKeyFile reads a key file: a regular file of at most MaxKeyFile bytes
// (ReadBoundedFile).
func ReadKeyFile(path string) ([]byte, error) { return ReadBoundedFile(path, MaxKeyFile, "key") }

// ReadBoundedFile reads a file the user named (a key, a --from values
// file): only a regular file of at most limit bytes. A device (/dev/zero),
// a FIFO or a directory is refused before it is read, and opening never
// blocks (O_NONBLOCK) in case the name was swapped for a FIFO after the
// check. Errors never carry the file's content, and name the path only
// when the value looks like one (a short base64 value given by mistake,
// perhaps key text, is not echoed). what names the content ("key").
func ReadBoundedFile(path string, limit int64, what string) ([]byte, error) {
	st, err := os.Stat(path)
	shown := providers.SanitizeLine(path)
	if err != nil && base64Text(path) {
		shown = "the value (not shown: it may be " + what + " text rather than a path)"
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no file named by %s; it must name a file that contains the %s", shown, what)
		}
		return nil, fmt.Errorf("cannot read %s: %v", shown, errors.Unwrap(err))
	}
	if err := fileShape(st, shown, limit, what); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", shown, errors.Unwrap(err))
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", shown, errors.Unwrap(err))
	}
	if err := fileShape(st, shown, limit, what); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", shown, errors.Unwrap(err))
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d KiB; it is not a %s file", shown, limit>>10, what)
	}
	return b, nil
}

// base64Text reports a value made only of base64 characters: if it names
// no file it may be a key pasted in place of a path, so it is not echoed.
func base64Text(v string) bool {
	for _, r := range v {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
			return false
		}
	}
	return v != ""
}

func fileShape(st fs.FileInfo, shown string, limit int64, what string) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s); name the file that contains the %s", shown, fileKind(st.Mode()), what)
	}
	if st.Size() > limit {
		return fmt.Errorf("%s is larger than %d KiB; it is not a %s file", shown, limit>>10, what)
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a plain file"
}

// SandboxURL is KYCDESK_SANDBOX_URL or the default.
func SandboxURL(env Env) string {
	if env == nil {
		env = os.Getenv
	}
	if u := env("KYCDESK_SANDBOX_URL"); u != "" {
		return strings.TrimRight(providers.StripUserinfo(u), "/") // never shown or stored with a password
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
	if u.User != nil {
		return "must not contain a user name or password (it would be shown in every QR code)"
	}
	return ""
}
