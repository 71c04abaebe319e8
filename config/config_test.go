package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/dws"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// envOf is an environment made of m only.
func envOf(m map[string]string) Env { return func(k string) string { return m[k] } }

// writeConfig writes a config file with the given permissions.
func writeConfig(t *testing.T, body string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, body string, perm os.FileMode) (*File, error) {
	t.Helper()
	return Load(writeConfig(t, body, perm), catalog.All())
}

func mustLoad(t *testing.T, body string, perm os.FileMode) *File {
	t.Helper()
	f, err := load(t, body, perm)
	if err != nil {
		t.Fatalf("Load(%q): %v", body, err)
	}
	return f
}

func desc(t *testing.T, id string) providers.Descriptor {
	t.Helper()
	d, ok := catalog.All().Get(id)
	if !ok {
		t.Fatalf("no provider %s", id)
	}
	return d
}

func TestLoadMissingFile(t *testing.T) {
	for _, p := range []string{"", filepath.Join(t.TempDir(), "nope", "config.toml")} {
		f, err := Load(p, catalog.All())
		if err != nil {
			t.Fatalf("Load(%q): %v", p, err)
		}
		if f.Mode != "" || len(f.Providers) != 0 || f.Path != p {
			t.Errorf("Load(%q) = %+v, want an empty config", p, f)
		}
	}
}

func TestLoadMode(t *testing.T) {
	for _, tc := range []struct {
		body    string
		want    providers.Mode
		wantErr string
	}{
		{`mode = "live"`, providers.ModeLive, ""},
		{`mode = "sandbox"`, providers.ModeSandbox, ""},
		{``, "", ""},
		{`mode = "staging"`, "", `mode must be "sandbox" or "live"`},
		{`mode = "LIVE"`, "", `mode must be "sandbox" or "live"`},
		{`mode = 1`, "", "unknown setting"},
		{`colour = "blue"`, "", `unknown setting "colour"`},
		{`mode = "live`, "", "config.toml"}, // a TOML syntax error names the file
	} {
		f, err := load(t, tc.body, 0o600)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Load(%q) error = %v, want one containing %q", tc.body, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Load(%q): %v", tc.body, err)
			continue
		}
		if f.Mode != tc.want {
			t.Errorf("Load(%q).Mode = %q, want %q", tc.body, f.Mode, tc.want)
		}
	}
}

func TestLoadProviderTables(t *testing.T) {
	f := mustLoad(t, "[idenfy]\nbase_url = \"https://example.test\"\n[alibaba]\nregion = \"ap-southeast-1\"\n[dws]\ngateway = \"eu\"\n", 0o644)
	if f.Providers["idenfy"]["base_url"] != "https://example.test" || f.Providers["alibaba"]["region"] != "ap-southeast-1" ||
		f.Providers["dws"]["gateway"] != "eu" {
		t.Errorf("Providers = %v", f.Providers)
	}

	for _, tc := range []struct{ body, want string }{
		{"[onfido]\nbase_url = \"https://x\"\n", "unknown provider table [onfido] (known: idenfy, alibaba, dws)"},
		{"[idenfy]\nbase_url = 3\n", "[idenfy] base_url must be a string"},
		{"[idenfy]\n[idenfy.nested]\nx = \"y\"\n", "[idenfy] nested must be a string"},
	} {
		_, err := load(t, tc.body, 0o600)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) error = %v, want one containing %q", tc.body, err, tc.want)
		}
	}
}

func TestLoadSecretPermissions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		perm    os.FileMode
		refused bool
	}{
		{"secret 0644", "[idenfy]\nIDENFY_API_SECRET = \"s3cret\"\n", 0o644, true},
		{"secret 0640", "[idenfy]\nIDENFY_API_SECRET = \"s3cret\"\n", 0o640, true},
		{"secret 0604", "[idenfy]\nIDENFY_API_SECRET = \"s3cret\"\n", 0o604, true},
		{"secret by Name 0644", "[alibaba]\naccessKeySecret = \"s3cret\"\n", 0o644, true},
		{"secret by snake_case 0644", "[alibaba]\naccess_key_secret = \"s3cret\"\n", 0o644, true},
		{"secret by lower-case env name 0644", "[idenfy]\nidenfy_api_secret = \"s3cret\"\n", 0o644, true},
		{"secret 0600", "[idenfy]\nIDENFY_API_SECRET = \"s3cret\"\n", 0o600, false},
		{"secret 0400", "[idenfy]\nIDENFY_API_SECRET = \"s3cret\"\n", 0o400, false},
		{"no secret 0644", "mode = \"live\"\n[idenfy]\nIDENFY_API_KEY = \"key-id\"\nbase_url = \"https://x.test\"\n", 0o644, false},
		{"empty secret 0644", "[idenfy]\nIDENFY_API_SECRET = \"\"\n", 0o644, false},
		// a key file's path is not the key: the file itself is guarded by its own mode
		{"key file path 0644", "[dws]\nDWS_PRIVATE_KEY_FILE = \"/etc/dws.pem\"\n", 0o644, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, tc.body, tc.perm)
			_, err := Load(p, catalog.All())
			if !tc.refused {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("a config file holding a secret and readable by others was accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, "chmod 600") || !strings.Contains(msg, p) {
				t.Errorf("error = %q, want it to name chmod 600 and the file", msg)
			}
			if strings.Contains(msg, "s3cret") {
				t.Errorf("error = %q shows the secret", msg)
			}
		})
	}
}

func TestCredentialLookupNames(t *testing.T) {
	d := desc(t, "alibaba")
	for _, key := range []string{
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET", // environment variable name
		"alibaba_cloud_access_key_secret", // … in any case
		"accessKeySecret",                 // Name
		"access_key_secret",               // Name in snake_case
	} {
		f := mustLoad(t, "[alibaba]\nALIBABA_CLOUD_ACCESS_KEY_ID = \"id-1\"\n"+key+" = \"sec-1\"\n", 0o600)
		r := Resolve(d, providers.ModeLive, "", f, envOf(nil))
		if r.Disabled != "" {
			t.Errorf("%s: Disabled = %q", key, r.Disabled)
		}
		if got := r.Config.Credentials[alibaba.CredAccessKeySecret]; got != "sec-1" {
			t.Errorf("%s: accessKeySecret = %q, want sec-1", key, got)
		}
		if got := r.Config.Credentials[alibaba.CredAccessKeyID]; got != "id-1" {
			t.Errorf("%s: accessKeyId = %q, want id-1", key, got)
		}
	}
	// Not a credential name: ignored.
	f := mustLoad(t, "[alibaba]\nAccessKeySecret2 = \"x\"\n", 0o600)
	r := Resolve(d, providers.ModeLive, "", f, envOf(nil))
	if _, ok := r.Config.Credentials[alibaba.CredAccessKeySecret]; ok {
		t.Errorf("an unrelated key was taken as the secret: %v", r.Config.Credentials)
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"apiKey":               "api_key",
		"accessKeyId":          "access_key_id",
		"privateKeyPEM":        "private_key_pem",
		"platformPublicKeyPEM": "platform_public_key_pem",
		"clientId":             "client_id",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolveSandbox(t *testing.T) {
	const sb = "http://127.0.0.1:8470/"
	for _, d := range catalog.All() {
		t.Run(d.ID, func(t *testing.T) {
			r := Resolve(d, providers.ModeSandbox, sb, nil, envOf(nil))
			if r.Disabled != "" {
				t.Errorf("Disabled = %q, want usable", r.Disabled)
			}
			if r.Config.BaseURL != "http://127.0.0.1:8470" || r.Config.Mode != providers.ModeSandbox {
				t.Errorf("Config = %s %s, want sandbox at the sandbox URL", r.Config.Mode, r.Config.BaseURL)
			}
			for k, v := range d.SandboxCredentials {
				if r.Config.Credentials[k] != v {
					t.Errorf("credential %s is not the sandbox one", k)
				}
			}
			if _, err := d.New(r.Config); err != nil {
				t.Errorf("New: %v", err)
			}
		})
	}

	d := desc(t, "idenfy")
	// Only some variables set: the sandbox credentials.
	r := Resolve(d, providers.ModeSandbox, sb, nil, envOf(map[string]string{"IDENFY_API_KEY": "k"}))
	if r.Config.Credentials["apiKey"] != idenfy.SandboxAPIKey || r.Config.Credentials["apiSecret"] != idenfy.SandboxAPISecret {
		t.Errorf("with one variable set: credentials = %v, want the sandbox ones", r.Config.Credentials)
	}
	// Credentials in the file but not the environment: still the sandbox ones
	// (a sandbox accepts environment credentials only).
	f := mustLoad(t, "[idenfy]\nIDENFY_API_KEY = \"fk\"\nIDENFY_API_SECRET = \"fs\"\n", 0o600)
	r = Resolve(d, providers.ModeSandbox, sb, f, envOf(nil))
	if r.Config.Credentials["apiKey"] != idenfy.SandboxAPIKey {
		t.Errorf("file credentials used in sandbox mode: %v", r.Config.Credentials)
	}
	// Every variable set but no proven sandbox token: still the sandbox
	// ones (whatever answers on the sandbox port gets no live credential).
	both := envOf(map[string]string{"IDENFY_API_KEY": "ek", "IDENFY_API_SECRET": "es"})
	r = Resolve(d, providers.ModeSandbox, sb, f, both)
	if r.Config.Credentials["apiKey"] != idenfy.SandboxAPIKey || r.Config.Credentials["apiSecret"] != idenfy.SandboxAPISecret || r.Config.SandboxToken != "" {
		t.Errorf("with every variable set and no token: credentials = %v, want the sandbox ones", r.Config.Credentials)
	}
	// With a proven token: the environment's (a `kycdesk sandbox` in the
	// same environment accepts them), and the token goes with them.
	r = ResolveAccess(d, providers.ModeSandbox, SandboxAccess{URL: sb, Token: "tok"}, f, both)
	if r.Config.Credentials["apiKey"] != "ek" || r.Config.Credentials["apiSecret"] != "es" || r.Config.SandboxToken != "tok" {
		t.Errorf("with every variable set and a token: credentials = %v, want the environment's", r.Config.Credentials)
	}
	// Never over plain http beyond loopback, token or not.
	r = ResolveAccess(d, providers.ModeSandbox, SandboxAccess{URL: "http://192.168.1.20:8470", Token: "tok"}, f, both)
	if r.Config.Credentials["apiKey"] != idenfy.SandboxAPIKey {
		t.Errorf("live credentials to a LAN sandbox over http: %v", r.Config.Credentials)
	}
	// The endpoint override is for live mode only.
	r = Resolve(d, providers.ModeSandbox, sb, nil, envOf(map[string]string{"KYCDESK_IDENFY_URL": "https://elsewhere.test"}))
	if r.Config.BaseURL != "http://127.0.0.1:8470" {
		t.Errorf("sandbox BaseURL = %q, want the sandbox URL", r.Config.BaseURL)
	}
}

func TestResolveLive(t *testing.T) {
	d := desc(t, "idenfy")
	both := map[string]string{"IDENFY_API_KEY": "ek", "IDENFY_API_SECRET": "es"}

	r := Resolve(d, providers.ModeLive, "http://127.0.0.1:8470", nil, envOf(both))
	if r.Disabled != "" || r.Config.BaseURL != idenfy.LiveURL || r.Config.Mode != providers.ModeLive {
		t.Errorf("live = %+v, want usable at %s", r, idenfy.LiveURL)
	}
	if r.SecretEnv != "IDENFY_API_SECRET" {
		t.Errorf("SecretEnv = %q", r.SecretEnv)
	}

	// The environment beats the file, variable by variable.
	f := mustLoad(t, "[idenfy]\nIDENFY_API_KEY = \"fk\"\nIDENFY_API_SECRET = \"fs\"\nbase_url = \"https://file.test/\"\n", 0o600)
	r = Resolve(d, providers.ModeLive, "", f, envOf(map[string]string{"IDENFY_API_SECRET": "es"}))
	if r.Config.Credentials["apiKey"] != "fk" || r.Config.Credentials["apiSecret"] != "es" {
		t.Errorf("credentials = %v, want apiKey from the file and apiSecret from the environment", r.Config.Credentials)
	}
	if r.Config.BaseURL != "https://file.test" {
		t.Errorf("BaseURL = %q, want base_url from the file (no trailing slash)", r.Config.BaseURL)
	}
	// KYCDESK_IDENFY_URL beats base_url.
	env := map[string]string{"KYCDESK_IDENFY_URL": "https://env.test", "IDENFY_API_KEY": "ek", "IDENFY_API_SECRET": "es"}
	r = Resolve(d, providers.ModeLive, "", f, envOf(env))
	if r.Config.BaseURL != "https://env.test" || r.Disabled != "" {
		t.Errorf("BaseURL = %q (%q), want KYCDESK_IDENFY_URL", r.Config.BaseURL, r.Disabled)
	}
	if r.Config.Credentials["apiKey"] != "ek" {
		t.Errorf("apiKey = %q, want the environment's", r.Config.Credentials["apiKey"])
	}

	// Plain http: refused unless loopback.
	for _, tc := range []struct {
		url, disabled string
	}{
		{"http://api.example.com", "plain http"},
		{"http://192.168.1.20:8470", "plain http"},
		{"ftp://api.example.com", "https"},
		{"not a url", "absolute"},
		{"http://127.0.0.1:9999", ""},
		{"http://localhost:9999", ""},
		{"http://[::1]:9999", ""},
		{"https://api.example.com", ""},
	} {
		env := map[string]string{"KYCDESK_IDENFY_URL": tc.url, "IDENFY_API_KEY": "ek", "IDENFY_API_SECRET": "es"}
		r := Resolve(d, providers.ModeLive, "", nil, envOf(env))
		if tc.disabled == "" {
			if r.Disabled != "" {
				t.Errorf("%s: Disabled = %q, want usable", tc.url, r.Disabled)
			}
			continue
		}
		if !strings.Contains(r.Disabled, tc.disabled) || !strings.Contains(r.Disabled, tc.url) {
			t.Errorf("%s: Disabled = %q, want a reason naming the endpoint (%q)", tc.url, r.Disabled, tc.disabled)
		}
	}

	// Missing credentials: disabled, naming the variables.
	r = Resolve(d, providers.ModeLive, "", nil, envOf(nil))
	if !strings.Contains(r.Disabled, "IDENFY_API_KEY") || !strings.Contains(r.Disabled, "IDENFY_API_SECRET") {
		t.Errorf("Disabled = %q, want it to name both variables", r.Disabled)
	}
	r = Resolve(d, providers.ModeLive, "", nil, envOf(map[string]string{"IDENFY_API_KEY": "ek"}))
	if !strings.Contains(r.Disabled, "IDENFY_API_SECRET") || strings.Contains(r.Disabled, "IDENFY_API_KEY,") {
		t.Errorf("Disabled = %q, want it to name IDENFY_API_SECRET only", r.Disabled)
	}
	r = Resolve(d, providers.ModeLive, "", f, envOf(nil))
	if r.Disabled != "" {
		t.Errorf("credentials in the file: Disabled = %q", r.Disabled)
	}
	// A reason never shows a secret.
	r = Resolve(d, providers.ModeLive, "", nil, envOf(map[string]string{"KYCDESK_IDENFY_URL": "http://x.test", "IDENFY_API_SECRET": "es-secret"}))
	if strings.Contains(r.Disabled, "es-secret") {
		t.Errorf("Disabled = %q shows the secret", r.Disabled)
	}
}

func TestResolveLiveOptions(t *testing.T) {
	d := desc(t, "alibaba")
	creds := map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sec"}
	f := mustLoad(t, "[alibaba]\nregion = \"ap-southeast-1\"\nnot_an_option = \"x\"\n", 0o600)
	r := Resolve(d, providers.ModeLive, "", f, envOf(creds))
	if r.Config.BaseURL != "https://cloudauth-intl.ap-southeast-1.aliyuncs.com" {
		t.Errorf("BaseURL = %q, want the Singapore endpoint from region", r.Config.BaseURL)
	}
	if r.Config.Options["region"] != "ap-southeast-1" {
		t.Errorf("Options = %v, want region", r.Config.Options)
	}
	if _, ok := r.Config.Options["not_an_option"]; ok {
		t.Errorf("Options = %v: an undocumented key was passed on", r.Config.Options)
	}
	r = Resolve(d, providers.ModeLive, "", nil, envOf(creds))
	if r.Config.BaseURL != alibaba.LiveURL {
		t.Errorf("BaseURL = %q, want %s", r.Config.BaseURL, alibaba.LiveURL)
	}
	// base_url beats the region.
	f = mustLoad(t, "[alibaba]\nregion = \"ap-southeast-1\"\nbase_url = \"https://proxy.test\"\n", 0o600)
	if r := Resolve(d, providers.ModeLive, "", f, envOf(creds)); r.Config.BaseURL != "https://proxy.test" {
		t.Errorf("BaseURL = %q, want base_url", r.Config.BaseURL)
	}
}

func TestResolveFileCredentials(t *testing.T) {
	d := desc(t, "dws")
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "private.pem")
	if err := os.WriteFile(keyPath, []byte(dws.SandboxClientPrivateKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "platform.pem")
	if err := os.WriteFile(pubPath, []byte(dws.SandboxPlatformPublicKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}

	r := Resolve(d, providers.ModeLive, "", nil, envOf(map[string]string{"DWS_CLIENT_ID": "2188000000000001", "DWS_PRIVATE_KEY_FILE": keyPath}))
	if r.Disabled != "" {
		t.Fatalf("Disabled = %q", r.Disabled)
	}
	if r.Config.Credentials[dws.CredPrivateKeyPEM] != dws.SandboxClientPrivateKeyPEM {
		t.Errorf("privateKeyPEM is not the content of %s", keyPath)
	}
	if _, ok := r.Config.Credentials[dws.CredPlatformPublicKey]; ok {
		t.Errorf("the optional public key is set though no file was named")
	}
	if r.Config.BaseURL != dws.GatewaySingapore {
		t.Errorf("BaseURL = %q", r.Config.BaseURL)
	}
	if _, err := d.New(r.Config); err != nil {
		t.Errorf("New: %v", err)
	}

	// The key file named in the config file.
	f := mustLoad(t, "[dws]\nclient_id = \"2188000000000001\"\nDWS_PRIVATE_KEY_FILE = \""+keyPath+"\"\nDWS_PUBLIC_KEY_FILE = \""+pubPath+"\"\n", 0o644)
	r = Resolve(d, providers.ModeLive, "", f, envOf(nil))
	if r.Disabled != "" {
		t.Fatalf("Disabled = %q", r.Disabled)
	}
	if r.Config.Credentials[dws.CredPrivateKeyPEM] != dws.SandboxClientPrivateKeyPEM ||
		r.Config.Credentials[dws.CredPlatformPublicKey] != dws.SandboxPlatformPublicKeyPEM ||
		r.Config.Credentials[dws.CredClientID] != "2188000000000001" {
		t.Errorf("credentials from the file's paths are wrong (clientId %q)", r.Config.Credentials[dws.CredClientID])
	}

	// An unreadable key file: disabled, naming the variable and the path.
	missing := filepath.Join(dir, "absent.pem")
	r = Resolve(d, providers.ModeLive, "", nil, envOf(map[string]string{"DWS_CLIENT_ID": "2188000000000001", "DWS_PRIVATE_KEY_FILE": missing}))
	if !strings.Contains(r.Disabled, "DWS_PRIVATE_KEY_FILE") || !strings.Contains(r.Disabled, missing) {
		t.Errorf("Disabled = %q, want it to name DWS_PRIVATE_KEY_FILE and %s", r.Disabled, missing)
	}
	if os.Geteuid() != 0 {
		locked := filepath.Join(dir, "locked.pem")
		if err := os.WriteFile(locked, []byte("x"), 0o000); err != nil {
			t.Fatal(err)
		}
		r = Resolve(d, providers.ModeLive, "", nil, envOf(map[string]string{"DWS_CLIENT_ID": "2188000000000001", "DWS_PRIVATE_KEY_FILE": locked}))
		if !strings.Contains(r.Disabled, "DWS_PRIVATE_KEY_FILE") {
			t.Errorf("unreadable key: Disabled = %q", r.Disabled)
		}
	}

	// Missing: names the required variables, not the optional one.
	r = Resolve(d, providers.ModeLive, "", nil, envOf(nil))
	if !strings.Contains(r.Disabled, "DWS_CLIENT_ID") || !strings.Contains(r.Disabled, "DWS_PRIVATE_KEY_FILE") ||
		strings.Contains(r.Disabled, "DWS_PUBLIC_KEY_FILE") {
		t.Errorf("Disabled = %q, want DWS_CLIENT_ID and DWS_PRIVATE_KEY_FILE only", r.Disabled)
	}
}

func TestSandboxURLAndDefaultPath(t *testing.T) {
	if got := SandboxURL(envOf(nil)); got != DefaultSandboxURL {
		t.Errorf("SandboxURL() = %q, want %q", got, DefaultSandboxURL)
	}
	if got := SandboxURL(envOf(map[string]string{"KYCDESK_SANDBOX_URL": "http://10.0.0.2:9000/"})); got != "http://10.0.0.2:9000" {
		t.Errorf("SandboxURL(env) = %q", got)
	}
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	if got := DefaultPath(nil); got != filepath.Join(dir, "kycdesk", "config.toml") {
		t.Errorf("DefaultPath(nil) = %q", got)
	}
	t.Setenv("KYCDESK_SANDBOX_URL", "http://127.0.0.1:1234")
	if got := SandboxURL(nil); got != "http://127.0.0.1:1234" {
		t.Errorf("SandboxURL(nil) = %q, want the process environment's", got)
	}
}

func TestCheckURLShape(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://192.168.1.20:8470": true,
		"https://kyc.example.com":  true,
		"192.168.1.20:8470":        false,
		"ftp://x":                  false,
		"":                         false,
	} {
		if got := CheckURLShape(raw) == ""; got != ok {
			t.Errorf("CheckURLShape(%q) ok = %v, want %v", raw, got, ok)
		}
	}
}
