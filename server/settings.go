package server

import (
	"bytes"
	"flag"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
)

// StoreEnv names the session store when neither --store nor [serve] store
// does (every command that reads the history honours it).
const StoreEnv = "KYCDESK_STORE"

// Setting is one setting of `kycdesk serve`, listed once: the flags, the
// environment, config.toml's [serve] table and `serve --help` all read
// Settings, so they cannot disagree.
type Setting struct {
	Field string // the Config field it sets
	Flag  string // --flag
	Key   string // key in config.toml's [serve] table
	Env   string // environment variable, read when neither flag nor file sets it ("" none)
	Help  string // what --help says
	// DefaultDoc is the default as --help shows it ("" when Help says it
	// or there is none).
	DefaultDoc string
	// Default is the value a setting left unset takes (nil: none); env
	// finds the configuration directory.
	Default func(env config.Env) any
}

// Settings are the settings of `kycdesk serve` with a flag (DESIGN.md's
// command line). [serve.roles] and [serve.quotas] are file-only tables
// (Config.Roles, Config.Quotas).
var Settings = []Setting{
	{Field: "SSHListen", Flag: "ssh-listen", Key: "ssh_listen",
		Help: "SSH address desks connect to", DefaultDoc: DefaultSSHListen, Default: fixed(DefaultSSHListen)},
	{Field: "HTTPListen", Flag: "http-listen", Key: "http_listen",
		Help:       "HTTP address of callbacks, health, metrics and, in the sandbox, the simulators",
		DefaultDoc: DefaultHTTPListen, Default: fixed(DefaultHTTPListen)},
	{Field: "PublicURL", Flag: "public-url", Key: "public_url",
		Help: "base URL providers' callbacks and customers' phones use, e.g. https://kyc.example.com behind a TLS proxy (default: the HTTP listener's own address)"},
	{Field: "OperatorsFile", Flag: "operators", Key: "operators",
		Help: "authorized_keys file of operators, comment = name", DefaultDoc: "$XDG_CONFIG_HOME/kycdesk/operators",
		Default: func(env config.Env) any { return DefaultOperatorsFile(env) }},
	{Field: "Store", Flag: "store", Key: "store", Env: StoreEnv,
		Help: "the session store: a SQLite file, sqlite:PATH or postgres://… shared by several servers (default: $" + StoreEnv + ", then store in config.toml, then the local SQLite file)"},
	{Field: "HostKeyFile", Flag: "host-key", Key: "host_key",
		Help: "SSH host key, ed25519, made on first start", DefaultDoc: "$XDG_CONFIG_HOME/kycdesk/ssh_host_ed25519_key",
		Default: func(env config.Env) any { return DefaultHostKeyFile(env) }},
	{Field: "TLSCert", Flag: "tls-cert", Key: "tls_cert", Help: "TLS certificate for the HTTP listener"},
	{Field: "TLSKey", Flag: "tls-key", Key: "tls_key", Help: "TLS key for the HTTP listener"},
	{Field: "IdleTimeout", Flag: "idle-timeout", Key: "idle_timeout",
		Help: "end a desk's session after this long without a key", DefaultDoc: "30m", Default: fixed(DefaultIdleTimeout)},
	{Field: "Live", Flag: "live", Key: "live", Help: "send requests to the providers' live endpoints"},
}

func fixed(v any) func(config.Env) any { return func(config.Env) any { return v } }

// Usage is the flag's help line.
func (s Setting) Usage() string {
	if s.DefaultDoc != "" {
		return s.Help + " (default " + s.DefaultDoc + ")"
	}
	return s.Help
}

// in is the setting's field of c.
func (s Setting) in(c *Config) reflect.Value {
	f := reflect.ValueOf(c).Elem().FieldByName(s.Field)
	if !f.IsValid() {
		panic("server: setting " + s.Flag + " names no Config field " + s.Field)
	}
	return f
}

var durationType = reflect.TypeOf(time.Duration(0))

// Flags are the settings' flags on a command's flag set; Load reads them
// with the file and the environment.
type Flags struct {
	fs    *flag.FlagSet
	typed Config // what the command line set
}

// NewFlags adds a flag for every setting to fs.
func NewFlags(fs *flag.FlagSet) *Flags {
	fl := &Flags{fs: fs}
	for _, s := range Settings {
		switch p := s.in(&fl.typed).Addr().Interface().(type) {
		case *string:
			fs.StringVar(p, s.Flag, "", s.Usage())
		case *bool:
			fs.BoolVar(p, s.Flag, false, s.Usage())
		case *time.Duration:
			fs.DurationVar(p, s.Flag, 0, s.Usage())
		default:
			panic("server: setting " + s.Flag + " has a type no flag takes")
		}
	}
	return fl
}

// Load is the configuration of `kycdesk serve`: each setting from its flag
// when typed, else config.toml's [serve] table, else its environment
// variable, else its default; `mode = "live"` in the file means --live.
// The result is checked: an error is invalid input (exit 2) and names the
// flag or the file's key.
func (fl *Flags) Load(f *config.File, getenv func(string) string) (Config, error) {
	cfg, err := decodeServe(f.Serve, f.Path)
	if err != nil {
		return cfg, err
	}
	byFlag := map[string]Setting{}
	for _, s := range Settings {
		byFlag[s.Flag] = s
	}
	fl.fs.Visit(func(x *flag.Flag) {
		if s, ok := byFlag[x.Name]; ok {
			s.in(&cfg).Set(s.in(&fl.typed))
		}
	})
	if f.Mode == providers.ModeLive {
		cfg.Live = true
	}
	cfg.fill(config.Env(getenv))
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return cfg, cfg.Validate()
}

// fill gives every setting still unset its environment variable's value,
// else its default.
func (c *Config) fill(env config.Env) {
	for _, s := range Settings {
		v := s.in(c)
		if !v.IsZero() {
			continue
		}
		if s.Env != "" && env != nil {
			if e := strings.TrimSpace(env(s.Env)); e != "" {
				v.SetString(e) // string settings only (a test checks)
				continue
			}
		}
		if s.Default != nil {
			v.Set(reflect.ValueOf(s.Default(env)))
		}
	}
}

// subTables are the [serve] table's own tables, each decoded by its
// type's toml tags into the Config field of the same name.
var subTables = []struct{ Key, Field string }{{"roles", "Roles"}, {"quotas", "Quotas"}}

// decodeServe reads config.toml's [serve] table (left undecoded by
// config.Load) through Settings and subTables. An unknown key is refused
// with the known ones listed.
func decodeServe(table map[string]any, path string) (Config, error) {
	var cfg Config
	known := map[string]bool{}
	var unknown []string
	for _, s := range Settings {
		known[s.Key] = true
		if raw, ok := table[s.Key]; ok {
			if err := setFromFile(s.in(&cfg), raw); err != nil {
				return cfg, fmt.Errorf("%s [serve] %s: %v", path, s.Key, err)
			}
		}
	}
	for _, st := range subTables {
		known[st.Key] = true
		raw, ok := table[st.Key]
		if !ok {
			continue
		}
		m, ok := raw.(map[string]any)
		if !ok {
			return cfg, fmt.Errorf("%s [serve] %s: must be a table ([serve.%s])", path, st.Key, st.Key)
		}
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(m); err != nil {
			return cfg, fmt.Errorf("%s [serve.%s]: %v", path, st.Key, err)
		}
		md, err := toml.Decode(buf.String(), reflect.ValueOf(&cfg).Elem().FieldByName(st.Field).Addr().Interface())
		if err != nil {
			return cfg, subTableError(path, st.Key, err)
		}
		for _, k := range md.Undecoded() {
			unknown = append(unknown, st.Key+"."+k.String())
		}
	}
	for k := range table {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return cfg, fmt.Errorf("%s [serve]: unknown settings %s (known: %s)", path, strings.Join(unknown, ", "), strings.Join(knownKeys(), ", "))
	}
	return cfg, nil
}

// subTableError names the key of a [serve.TABLE] value of the wrong type
// and says what it must be. The table was decoded again from its own
// encoding, so the parser's line number (always 1) is not the file's and
// is left out.
func subTableError(path, table string, err error) error {
	// The decoder's type errors are plain text: toml: line N (last key
	// "K"): incompatible types: … (compiled here, on the error's path
	// only, not at every process's start).
	m := regexp.MustCompile(`^toml: (?:line \d+ )?\(last key "([^"]+)"\): (.*)$`).FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("%s [serve.%s]: %v", path, table, err)
	}
	lastKey := m[1]
	want := "of another type"
	switch m := m[2]; {
	case strings.Contains(m, "destination has type slice"):
		want = `a list of names, such as ["carol", "dave"]`
	case strings.Contains(m, "destination has type int"), strings.Contains(m, "destination has type uint"),
		strings.Contains(m, "out of range"):
		want = "a whole number, unquoted, such as 20"
	case strings.Contains(m, "destination has type string"):
		want = "a quoted string"
	}
	return fmt.Errorf("%s [serve.%s] %s: must be %s", path, table, lastKey, want)
}

// setFromFile sets a setting from its value in the file.
func setFromFile(v reflect.Value, raw any) error {
	switch {
	case v.Type() == durationType:
		if n, ok := raw.(int64); ok {
			// A bare number is nanoseconds, as the file was read before
			// the settings were listed once (a TOML decode into a
			// time.Duration): files written then keep working. One under
			// a second can only be a mistake for seconds.
			if n > 0 && n < int64(time.Second) {
				return fmt.Errorf("%d is %v (a bare number is nanoseconds); write it as a string such as \"30m\"", n, time.Duration(n))
			}
			v.SetInt(n)
			return nil
		}
		s, ok := raw.(string)
		if !ok {
			return fmt.Errorf("%v is not a duration; write it as a string such as \"30m\"", raw)
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as \"30m\"", s)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		s, ok := raw.(string)
		if !ok {
			return fmt.Errorf("%v is not a string; quote it", raw)
		}
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, ok := raw.(bool)
		if !ok {
			return fmt.Errorf("%v is not true or false", raw)
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("cannot be set from the file")
	}
	return nil
}

// knownKeys are the [serve] table's keys: the settings', then the
// sub-tables' (from their types' toml tags).
func knownKeys() []string {
	var keys []string
	for _, s := range Settings {
		keys = append(keys, s.Key)
	}
	ct := reflect.TypeOf(Config{})
	for _, st := range subTables {
		f, _ := ct.FieldByName(st.Field)
		for i := range f.Type.NumField() {
			keys = append(keys, st.Key+"."+f.Type.Field(i).Tag.Get("toml"))
		}
	}
	return keys
}
