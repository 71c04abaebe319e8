package config

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox/token"
)

// squatter is a fake sandbox: it answers the health probe like a kycdesk
// sandbox, records everything it receives, and answers each provider's
// launch with a phishing URL.
type squatter struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
}

func newSquatter(t *testing.T) *squatter {
	s := &squatter{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		var b strings.Builder
		b.WriteString(r.Method + " " + r.URL.String() + "\n")
		for k, vs := range r.Header {
			b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
		b.Write(body)
		s.seen = append(s.seen, b.String())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == token.HealthPath:
			// It cannot know the token; it sends a made-up proof.
			json.NewEncoder(w).Encode(map[string]any{"service": "kycdesk-sandbox", "proof": strings.Repeat("ab", 32)})
		case r.URL.Path == "/api/v2/token":
			w.WriteHeader(201)
			json.NewEncoder(w).Encode(map[string]any{"authToken": "tok123", "scanRef": "scan123",
				"redirectUrl": "https://evil.example/phish", "expiryTime": 3600})
		case r.URL.Path == "/" && r.Method == "POST":
			json.NewEncoder(w).Encode(map[string]any{"RequestId": "r", "Code": "Success",
				"Result": map[string]string{"TransactionId": "tx1", "TransactionUrl": "https://ivs.idenfy.com@evil.example/phish"}})
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *squatter) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.seen, "\n")
}

// TestSquatterGetsNoLiveCredential: live credentials in the environment,
// no --live, and a process answering as the sandbox (with even a token
// file left by an earlier real sandbox): the squatter receives none of the
// environment's credentials, and its URL never becomes a launch's URL.
func TestSquatterGetsNoLiveCredential(t *testing.T) {
	state := t.TempDir()
	sq := newSquatter(t)
	keyFile := filepath.Join(t.TempDir(), "live.pem")
	if err := os.WriteFile(keyFile, []byte("-----BEGIN PRIVATE KEY-----\nTElWRUtFWUxJVkVLRVk=\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	live := map[string]string{
		"IDENFY_API_KEY": "live-idenfy-key-1234", "IDENFY_API_SECRET": "live-idenfy-secret-5678",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIliveAccessKeyId00", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "liveAccessKeySecret0000",
		"DWS_CLIENT_ID": "2188live0000001", "DWS_PRIVATE_KEY_FILE": keyFile,
		"XDG_STATE_HOME": state,
	}
	env := envOf(live)
	// A token file from an earlier run of the real sandbox on that port.
	if err := token.Write(token.Path(token.StateDir(env), sq.srv.URL), token.New()); err != nil {
		t.Fatal(err)
	}
	sb, note := openSandbox(sq.srv.URL, env)
	if sb.Token != "" || !strings.Contains(note, "does not hold") {
		t.Fatalf("token.Open trusted the squatter: token %q, note %q", sb.Token, note)
	}
	for _, d := range catalog.All() {
		r := ResolveAccess(d, providers.ModeSandbox, sb, nil, env)
		if r.Disabled != "" {
			t.Fatalf("%s disabled: %s", d.ID, r.Disabled)
		}
		c, err := d.New(r.Config)
		if err != nil {
			t.Fatalf("%s: %v", d.ID, err)
		}
		v := map[string]providers.Values{
			"idenfy":  {"clientId": {"cust-1"}},
			"alibaba": {"MerchantUserId": {"u1"}, "DocType": {"00000001"}},
			"dws":     {"identityValue": {"+447400123456"}},
		}[d.ID]
		l, err := c.Launch(context.Background(), c.Prepare(v))
		if l != nil && strings.Contains(l.URL, "evil.example") {
			t.Errorf("%s: the squatter's URL became the launch URL %q", d.ID, l.URL)
		}
		if d.ID != "dws" && providers.AsError(err).Code != "UNTRUSTED_URL" {
			t.Errorf("%s: launch error = %v, want UNTRUSTED_URL", d.ID, err)
		}
	}
	got := sq.all()
	if !strings.Contains(got, "/api/v2/token") || !strings.Contains(got, "x-acs-action") && !strings.Contains(got, "X-Acs-Action") {
		t.Fatalf("the squatter saw no launch; the test proves nothing:\n%s", got)
	}
	for name, v := range live {
		if name == "XDG_STATE_HOME" || name == "DWS_PRIVATE_KEY_FILE" {
			continue
		}
		if strings.Contains(got, v) {
			t.Errorf("the squatter received %s", name)
		}
	}
	basic := base64.StdEncoding.EncodeToString([]byte(live["IDENFY_API_KEY"] + ":" + live["IDENFY_API_SECRET"]))
	if strings.Contains(got, basic) || strings.Contains(got, "TElWRUtFWUxJVkVLRVk") {
		t.Error("the squatter received live Basic credentials or key material")
	}
	if strings.Contains(strings.ToLower(got), strings.ToLower(providers.SandboxTokenHeader)) {
		t.Error("the squatter received a sandbox token")
	}
}

// TestOpenSandboxTrustsAProvenToken (token.Open): a sandbox that holds the token gets
// it, and with it the environment's credentials and the token header.
func TestOpenSandboxTrustsAProvenToken(t *testing.T) {
	state := t.TempDir()
	tok := token.New()
	var sawHeader string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if h := r.Header.Get(providers.SandboxTokenHeader); h != "" {
			sawHeader = h
		}
		mu.Unlock()
		if r.URL.Path == token.HealthPath {
			json.NewEncoder(w).Encode(token.Health{Service: "kycdesk-sandbox", Proof: token.Proof(tok, r.URL.Query().Get(token.ProofParam))})
			return
		}
		w.WriteHeader(500)
	}))
	defer srv.Close()
	env := envOf(map[string]string{"XDG_STATE_HOME": state, "IDENFY_API_KEY": "ek", "IDENFY_API_SECRET": "es"})
	if err := token.Write(token.Path(token.StateDir(env), srv.URL), tok); err != nil {
		t.Fatal(err)
	}
	sb, note := openSandbox(srv.URL, env)
	if sb.Token != tok || note != "" {
		t.Fatalf("token.Open = %+v, %q; want the token", sb, note)
	}
	r := ResolveAccess(desc(t, "idenfy"), providers.ModeSandbox, sb, nil, env)
	if r.Config.Credentials["apiKey"] != "ek" {
		t.Fatalf("credentials = %v, want the environment's", r.Config.Credentials)
	}
	c, _ := desc(t, "idenfy").New(r.Config)
	c.Launch(context.Background(), providers.Values{"clientId": {"c1"}})
	mu.Lock()
	defer mu.Unlock()
	if sawHeader != tok {
		t.Fatalf("the launch presented %q, want the token", sawHeader)
	}

	// A token file others can read is not used.
	p := token.Path(token.StateDir(env), srv.URL)
	os.Chmod(p, 0o644)
	if sb, note := openSandbox(srv.URL, env); sb.Token != "" || !strings.Contains(note, "other users") {
		t.Fatalf("world-readable token used: %+v %q", sb, note)
	}
}

func TestReadKeyFileRefusesDevicesFIFOsAndLargeFiles(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadKeyFile("/dev/zero")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("/dev/zero: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("/dev/zero allocated %d bytes", grew)
	}

	dir := t.TempDir()
	fifo := filepath.Join(dir, "key.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	// With no writer, a blocking open would never return.
	if _, err := ReadKeyFile(fifo); err == nil || !strings.Contains(err.Error(), "FIFO") {
		t.Fatalf("FIFO: %v", err)
	}
	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxKeyFile+1); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("large file: %v", err)
	}
	ok := filepath.Join(dir, "ok.pem")
	os.WriteFile(ok, []byte("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"), 0o600)
	if b, err := ReadKeyFile(ok); err != nil || !strings.Contains(string(b), "abc") {
		t.Fatalf("regular key file: %q %v", b, err)
	}
	if _, err := ReadKeyFile(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("directory: %v", err)
	}
}

// TestKeyFileValueNeverEchoed: a short base64 value given instead of a path
// is not repeated in the error, nor is any file content.
func TestKeyFileValueNeverEchoed(t *testing.T) {
	d := desc(t, "dws")
	short := "MIIBVgIBADANBgkqhkiG9w0B"
	r := Resolve(d, providers.ModeLive, "", nil, envOf(map[string]string{"DWS_CLIENT_ID": "2188000000000001", "DWS_PRIVATE_KEY_FILE": short}))
	if r.Disabled == "" || strings.Contains(r.Disabled, short) {
		t.Fatalf("Disabled = %q", r.Disabled)
	}
	// A real path is named, so the operator can fix it.
	r = Resolve(d, providers.ModeLive, "", nil, envOf(map[string]string{"DWS_CLIENT_ID": "2188000000000001", "DWS_PRIVATE_KEY_FILE": "/nonexistent/key.pem"}))
	if !strings.Contains(r.Disabled, "/nonexistent/key.pem") {
		t.Fatalf("Disabled = %q, want the path named", r.Disabled)
	}
	// Sandbox mode never reads the environment's key files.
	r = Resolve(d, providers.ModeSandbox, "http://127.0.0.1:8470", nil, envOf(map[string]string{"DWS_CLIENT_ID": "x", "DWS_PRIVATE_KEY_FILE": "/dev/zero"}))
	if r.Disabled != "" {
		t.Fatalf("sandbox mode read DWS_PRIVATE_KEY_FILE: %q", r.Disabled)
	}
}

// TestEndpointUserinfoIsStripped: a password in an endpoint URL reaches
// neither the resolved config nor a request.
func TestEndpointUserinfoIsStripped(t *testing.T) {
	env := map[string]string{"IDENFY_API_KEY": "ek", "IDENFY_API_SECRET": "es", "KYCDESK_IDENFY_URL": "http://user:pw-secret@127.0.0.1:9"}
	for _, r := range []Resolved{
		Resolve(desc(t, "idenfy"), providers.ModeLive, "", nil, envOf(env)),
		Resolve(desc(t, "idenfy"), providers.ModeSandbox, "http://user:pw-secret@127.0.0.1:9", nil, envOf(nil)),
	} {
		if strings.Contains(r.Config.BaseURL, "pw-secret") || strings.Contains(r.Disabled, "pw-secret") || r.Config.BaseURL != "http://127.0.0.1:9" {
			t.Fatalf("BaseURL %q, Disabled %q", r.Config.BaseURL, r.Disabled)
		}
		c, err := r.Descriptor.New(r.Config)
		if err != nil {
			t.Fatal(err)
		}
		req, err := c.Request(context.Background(), providers.Values{"clientId": {"c"}})
		if err != nil {
			t.Fatal(err)
		}
		if v := providers.View(req, c.Secrets()); strings.Contains(v.Text(), "pw-secret") {
			t.Fatalf("dry run shows the password:\n%s", v.Text())
		}
	}
}

func TestAllowedURLHostsSetting(t *testing.T) {
	f := mustLoad(t, "[idenfy]\nallowed_url_hosts = \"verify.example.com, other.example\"\n", 0o600)
	r := Resolve(desc(t, "idenfy"), providers.ModeLive, "", f, envOf(map[string]string{"IDENFY_API_KEY": "k", "IDENFY_API_SECRET": "s"}))
	if got := strings.Join(r.Config.AllowedURLHosts, "|"); got != "verify.example.com|other.example" {
		t.Fatalf("AllowedURLHosts = %q", got)
	}
	if why := providers.CheckHostedURL("https://a.verify.example.com/x", []string{"idenfy.com"}, r.Config); why != "" {
		t.Fatalf("allowed host refused: %s", why)
	}
	r = Resolve(desc(t, "idenfy"), providers.ModeLive, "", nil, envOf(nil))
	if len(r.Config.AllowedURLHosts) != 0 {
		t.Fatalf("AllowedURLHosts without a setting: %v", r.Config.AllowedURLHosts)
	}
}

func TestSandboxURLAndPublicURLCarryNoPassword(t *testing.T) {
	if got := SandboxURL(envOf(map[string]string{"KYCDESK_SANDBOX_URL": "http://u:pw@127.0.0.1:8470/"})); got != "http://127.0.0.1:8470" {
		t.Errorf("SandboxURL = %q", got)
	}
	if msg := CheckURLShape("http://u:pw@192.168.1.20:8470"); msg == "" || strings.Contains(msg, "pw") {
		t.Errorf("CheckURLShape with userinfo: %q", msg)
	}
}

// A [serve] store URL with a password makes config.toml a file that holds
// a secret, as a top-level store URL does.
func TestServeStorePasswordIsASecret(t *testing.T) {
	path := writeConfig(t, "[serve]\nstore = \"postgres://u:PGsecretServe@127.0.0.1:1/x\"\n", 0o644)
	if _, err := Load(path, catalog.All()); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("Load = %v, want the file refused as readable by others", err)
	}
}

// A TOML syntax error names the line and key but never quotes the value,
// which may be an unquoted secret.
func TestTOMLErrorDoesNotEchoTheValue(t *testing.T) {
	path := writeConfig(t, "[idenfy]\napi_secret = SECRETunq\n", 0o600)
	_, err := Load(path, catalog.All())
	if err == nil || strings.Contains(err.Error(), "SECRETunq") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Load = %v, want the line named and the value not shown", err)
	}
}

// A number too large for its setting is said to be that, not a quoting
// problem, and not quoted back.
func TestTOMLErrorNamesANumberOutOfRange(t *testing.T) {
	path := writeConfig(t, "[serve.quotas]\ndesk_per_hour = 99999999999999999999\n", 0o600)
	_, err := Load(path, catalog.All())
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "too large") ||
		strings.Contains(err.Error(), "quoting") || strings.Contains(err.Error(), "99999") {
		t.Fatalf("Load = %v, want the line named and the number said to be too large", err)
	}
}

// openSandbox is what the console does with token.Open's answer.
func openSandbox(url string, env Env) (SandboxAccess, string) {
	tok, public, note := token.Open(context.Background(), url, env, nil)
	return SandboxAccess{URL: strings.TrimRight(url, "/"), Token: tok, PublicURL: public}, note
}
