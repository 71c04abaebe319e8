package server

import (
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
)

// Every Config field an operator can set is in Settings (or is a [serve]
// sub-table); the rest are named here as set by code only. A new field
// fails this test until it is listed.
func TestEverySettingIsListedOnce(t *testing.T) {
	codeOnly := map[string]bool{"ShutdownGrace": true, "OperatorsPoll": true, "HandshakeTimeout": true, "MaxUnauth": true, "MaxUnauthPerHost": true}
	listed := map[string]int{}
	flags, keys := map[string]bool{}, map[string]bool{}
	for _, s := range Settings {
		listed[s.Field]++
		if s.Flag == "" || s.Key == "" || s.Help == "" || flags[s.Flag] || keys[s.Key] {
			t.Errorf("setting %s: flag %q key %q help %q (each present and unique)", s.Field, s.Flag, s.Key, s.Help)
		}
		flags[s.Flag], keys[s.Key] = true, true
		if s.Env != "" && s.in(&Config{}).Kind() != reflect.String {
			t.Errorf("setting %s: an environment variable sets string settings only", s.Field)
		}
	}
	for _, st := range subTables {
		listed[st.Field]++
	}
	ct := reflect.TypeOf(Config{})
	for i := range ct.NumField() {
		name := ct.Field(i).Name
		if n := listed[name]; n != 1 && !codeOnly[name] {
			t.Errorf("Config.%s is listed %d times in Settings/subTables", name, n)
		}
	}
}

func load(t *testing.T, args []string, file string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl := NewFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	var f struct {
		Mode  string         `toml:"mode"`
		Serve map[string]any `toml:"serve"`
	}
	if _, err := toml.Decode(file, &f); err != nil {
		t.Fatal(err)
	}
	cf := &config.File{Path: "config.toml", Serve: f.Serve, Mode: providers.Mode(f.Mode)}
	return fl.Load(cf, func(k string) string { return env[k] })
}

// Each setting comes from its flag, else the file, else its environment
// variable, else its default.
func TestLoadPrecedence(t *testing.T) {
	env := map[string]string{"XDG_CONFIG_HOME": "/cfg", StoreEnv: "/env/kycdesk.db"}
	c, err := load(t, nil, "", env)
	if err != nil {
		t.Fatal(err)
	}
	if c.SSHListen != DefaultSSHListen || c.HTTPListen != DefaultHTTPListen || c.IdleTimeout != DefaultIdleTimeout ||
		c.OperatorsFile != "/cfg/kycdesk/operators" || c.HostKeyFile != "/cfg/kycdesk/ssh_host_ed25519_key" || c.Store != "/env/kycdesk.db" || c.Live {
		t.Fatalf("defaults and environment: %+v", c)
	}
	file := "[serve]\nssh_listen = \"0.0.0.0:2200\"\nstore = \"/file/kycdesk.db\"\nidle_timeout = \"5m\"\npublic_url = \"https://kyc.example.com/\"\n"
	if c, err = load(t, nil, file, env); err != nil {
		t.Fatal(err)
	}
	if c.SSHListen != "0.0.0.0:2200" || c.Store != "/file/kycdesk.db" || c.IdleTimeout != 5*time.Minute || c.PublicURL != "https://kyc.example.com" {
		t.Fatalf("the file over the environment: %+v", c)
	}
	c, err = load(t, []string{"--ssh-listen", "127.0.0.1:2201", "--store", "/flag/kycdesk.db", "--idle-timeout", "1m", "--live", "--public-url", "https://kyc.example.com"}, file, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.SSHListen != "127.0.0.1:2201" || c.Store != "/flag/kycdesk.db" || c.IdleTimeout != time.Minute || !c.Live {
		t.Fatalf("flags over the file: %+v", c)
	}
	// mode = "live" at the top of the file means --live.
	if c, err = load(t, nil, "mode = \"live\"\n[serve]\npublic_url = \"https://kyc.example.com\"\n", env); err != nil || !c.Live {
		t.Fatalf("mode live: %+v %v", c, err)
	}
}

// A duration written as a bare number is nanoseconds, as files were read
// before the settings were listed once: those files keep working.
func TestLoadDurationAsNanoseconds(t *testing.T) {
	env := map[string]string{"XDG_CONFIG_HOME": "/cfg"}
	c, err := load(t, nil, "[serve]\nidle_timeout = 1800000000000\n", env)
	if err != nil || c.IdleTimeout != 30*time.Minute {
		t.Fatalf("idle_timeout = 1800000000000: %v, %v; want 30m", c.IdleTimeout, err)
	}
}

// The file's mistakes name the key; flags' name the flag.
func TestLoadRefusals(t *testing.T) {
	env := map[string]string{"XDG_CONFIG_HOME": "/cfg"}
	for file, want := range map[string]string{
		"[serve]\nidle_timeout = 30\n":                                    "config.toml [serve] idle_timeout: 30 is 30ns (a bare number is nanoseconds)",
		"[serve]\nidle_timeout = 1.5\n":                                   "config.toml [serve] idle_timeout: 1.5 is not a duration",
		"[serve]\nidle_timeout = \"soon\"\n":                              `config.toml [serve] idle_timeout: "soon" is not a duration`,
		"[serve]\nlive = \"yes\"\n":                                       "config.toml [serve] live: yes is not true or false",
		"[serve]\nssh_listen = 2222\n":                                    "config.toml [serve] ssh_listen: 2222 is not a string",
		"[serve]\nroles = 1\n":                                            "config.toml [serve] roles: must be a table",
		"[serve.roles]\nsupervisors = \"carol\"\n":                        `config.toml [serve.roles] supervisors: must be a list of names, such as ["carol", "dave"]`,
		"[serve.quotas]\ndesk_per_hour = \"5\"\n":                         "config.toml [serve.quotas] desk_per_hour: must be a whole number, unquoted, such as 20",
		"[serve.quotas]\ndesk_per_hour = 2.5\n":                           "config.toml [serve.quotas] desk_per_hour: must be a whole number, unquoted, such as 20",
		"[serve]\nssh_listen = \"2222\"\n":                                `--ssh-listen: "2222" is not HOST:PORT`,
		"[serve]\nsshlisten = \"x\"\n[serve.quotas]\ndesk_per_week = 1\n": "config.toml [serve]: unknown settings quotas.desk_per_week, sshlisten (known: ssh_listen, http_listen, public_url, operators, store, host_key, tls_cert, tls_key, idle_timeout, live, roles.supervisors, quotas.desk_per_hour, quotas.desk_per_day, quotas.operator_per_hour, quotas.operator_per_day)",
	} {
		_, err := load(t, nil, file, env)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", file, err, want)
		}
	}
}

// --help shows each setting's help and default, from Settings.
func TestFlagsCarryTheSettingsHelp(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	NewFlags(fs)
	for _, s := range Settings {
		f := fs.Lookup(s.Flag)
		if f == nil || f.Usage != s.Usage() {
			t.Fatalf("--%s: %+v", s.Flag, f)
		}
	}
	if got := fs.Lookup("ssh-listen").Usage; got != "SSH address desks connect to (default 127.0.0.1:2222)" {
		t.Errorf("--ssh-listen help %q", got)
	}
}
