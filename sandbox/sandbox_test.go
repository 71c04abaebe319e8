package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/dws"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// minimal are launch values each provider accepts.
var minimal = map[string]providers.Values{
	"idenfy":  {"clientId": {"sandbox-test"}},
	"alibaba": {"MerchantUserId": {"u1"}, "DocType": {"01000000"}},
	"dws":     {"identityValue": {"+447400123456"}},
}

var (
	otherKeyOnce sync.Once
	otherKeyPEM  string
)

// otherKey is an RSA key the sandbox does not know.
func otherKey(t *testing.T) string {
	t.Helper()
	otherKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		otherKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return otherKeyPEM
}

// wrongCredentials are well-formed credentials the sandbox does not accept.
func wrongCredentials(t *testing.T, id string) map[string]string {
	switch id {
	case "idenfy":
		return map[string]string{"apiKey": "wrong-key", "apiSecret": "wrong-secret"}
	case "alibaba":
		return map[string]string{alibaba.CredAccessKeyID: "LTAI5tWrongWrongWrong000", alibaba.CredAccessKeySecret: "wrongSecretWrongSecret"}
	case "dws":
		return map[string]string{dws.CredClientID: "SANDBOX_NOT_REGISTERED", dws.CredPrivateKeyPEM: otherKey(t)}
	}
	t.Fatalf("no wrong credentials for %s", id)
	return nil
}

// client makes a sandbox-mode client of provider d aimed at base.
func client(t *testing.T, d providers.Descriptor, base string, creds map[string]string) providers.Client {
	t.Helper()
	c, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: base, Credentials: creds, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("%s: New: %v", d.ID, err)
	}
	return c
}

// send builds the provider's own signed request and sends it as is.
func send(t *testing.T, c providers.Client, v providers.Values) (int, string) {
	t.Helper()
	v = c.Prepare(v.Clone())
	req, err := c.Request(context.Background(), v)
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHandlerMountsEverySimulator: each provider's own request, signed with
// credentials the sandbox does not know, reaches its simulator and gets
// the provider's authentication error (not the mux's 404 page).
func TestHandlerMountsEverySimulator(t *testing.T) {
	srv := httptest.NewServer(Handler(catalog.All(), Options{}))
	defer srv.Close()

	for _, d := range catalog.All() {
		t.Run(d.ID, func(t *testing.T) {
			status, body := send(t, client(t, d, srv.URL, wrongCredentials(t, d.ID)), minimal[d.ID])
			if strings.Contains(body, "404 page not found") {
				t.Fatalf("the simulator is not mounted: %d %s", status, body)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatalf("answer is not the provider's JSON: %d %s", status, body)
			}
			switch d.ID {
			case "idenfy":
				if status != http.StatusUnauthorized || m["message"] == nil {
					t.Errorf("idenfy: %d %s, want 401 with a message", status, body)
				}
			case "alibaba":
				code, _ := m["Code"].(string)
				if !strings.HasPrefix(code, "InvalidAccessKeyId") || m["RequestId"] == nil {
					t.Errorf("alibaba: %d %s, want Code InvalidAccessKeyId… with a RequestId", status, body)
				}
			case "dws":
				r, _ := m["result"].(map[string]any)
				if r["resultStatus"] != "F" || r["resultCode"] != "INVALID_CLIENT" {
					t.Errorf("dws: %d %s, want resultStatus F, INVALID_CLIENT", status, body)
				}
			}

			// The fixed sandbox credentials are accepted, end to end.
			l, err := client(t, d, srv.URL, d.SandboxCredentials).Launch(context.Background(), minimal[d.ID])
			if err != nil {
				t.Fatalf("launch with the sandbox credentials: %v", err)
			}
			if len(l.References) == 0 {
				t.Errorf("launch returned no references: %+v", l)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	srv := httptest.NewServer(Handler(catalog.All(), Options{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Service   string   `json:"service"`
		Providers []string `json:"providers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("health: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if h.Service != "kycdesk-sandbox" || !slices.Equal(h.Providers, catalog.All().IDs()) {
		t.Errorf("health = %+v", h)
	}
	resp2, err := http.Post(srv.URL+HealthPath, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST health: %s, want 405", resp2.Status)
	}
}

func TestProbe(t *testing.T) {
	s, err := Start(catalog.All(), "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !Probe(s.URL, time.Second) || !Probe(s.URL+"/", time.Second) {
		t.Errorf("Probe(%s) = false for a running sandbox", s.URL)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if Probe(closed, 2*time.Second) {
		t.Errorf("Probe(%s) = true for a closed port", closed)
	}

	for name, h := range map[string]http.HandlerFunc{
		"404": http.NotFound,
		"other service": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"service":"something-else"}`)
		},
		"not JSON": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "kycdesk-sandbox") },
		"500 with the right body": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			io.WriteString(w, `{"service":"kycdesk-sandbox"}`)
		},
		"too slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
			io.WriteString(w, `{"service":"kycdesk-sandbox"}`)
		},
	} {
		srv := httptest.NewServer(h)
		if Probe(srv.URL, 200*time.Millisecond) {
			t.Errorf("Probe = true for a server that is not a sandbox (%s)", name)
		}
		srv.Close()
	}
}

func TestStartPublicURLAndClose(t *testing.T) {
	s, err := Start(catalog.All(), "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q", s.URL)
	}
	// Without PublicURL, the URLs issued start with the listening URL.
	d, _ := catalog.All().Get("idenfy")
	l, err := client(t, d, s.URL, d.SandboxCredentials).Launch(context.Background(), minimal["idenfy"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.URL, s.URL+"/") {
		t.Errorf("launch URL = %q, want it under %s", l.URL, s.URL)
	}
	// The same address cannot be taken twice.
	if _, err := Start(catalog.All(), strings.TrimPrefix(s.URL, "http://"), Options{}); err == nil {
		t.Error("a second Start on the same address succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if Probe(s.URL, 200*time.Millisecond) {
		t.Error("the sandbox still answers after Close")
	}

	// With PublicURL, issued URLs use it (a phone on the LAN opens them).
	s2, err := Start(catalog.All(), "127.0.0.1:0", Options{PublicURL: "http://192.168.1.20:8470/"})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	// A console trusts that public URL once the sandbox proved its token
	// (token.Open gives SandboxPublicURL).
	c2, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: s2.URL, Credentials: d.SandboxCredentials,
		SandboxToken: s2.Token, SandboxPublicURL: "http://192.168.1.20:8470"})
	if err != nil {
		t.Fatal(err)
	}
	l, err = c2.Launch(context.Background(), minimal["idenfy"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.URL, "http://192.168.1.20:8470/") || strings.Contains(l.URL, "8470//") {
		t.Errorf("launch URL = %q, want it under the public URL", l.URL)
	}
}

func TestAcceptedCredentials(t *testing.T) {
	reg := catalog.All()
	idf, _ := reg.Get("idenfy")
	ali, _ := reg.Get("alibaba")
	dw, _ := reg.Get("dws")

	if got := AcceptedCredentials(idf, nil); got != nil {
		t.Errorf("nil env: %v, want nil (the sandbox credentials)", got)
	}
	if got := AcceptedCredentials(idf, envOf(nil)); got != nil {
		t.Errorf("empty env: %v, want nil", got)
	}
	if got := AcceptedCredentials(idf, envOf(map[string]string{"IDENFY_API_KEY": "k"})); got != nil {
		t.Errorf("one of two set: %v, want nil", got)
	}
	got := AcceptedCredentials(idf, envOf(map[string]string{"IDENFY_API_KEY": "k", "IDENFY_API_SECRET": "s"}))
	if got["apiKey"] != "k" || got["apiSecret"] != "s" || len(got) != 2 {
		t.Errorf("both set: %v", got)
	}
	got = AcceptedCredentials(ali, envOf(map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "sec"}))
	if got[alibaba.CredAccessKeyID] != "id" || got[alibaba.CredAccessKeySecret] != "sec" {
		t.Errorf("alibaba: %v", got)
	}
	// DWS's credentials are key files: the sandbox keeps its own key pair.
	dwsEnv := envOf(map[string]string{"DWS_CLIENT_ID": "2188000000000001", "DWS_PRIVATE_KEY_FILE": "/k.pem", "DWS_PUBLIC_KEY_FILE": "/p.pem"})
	if got := AcceptedCredentials(dw, dwsEnv); got != nil {
		t.Errorf("dws with key files set: %v, want nil (the sandbox key pair)", got)
	}
}

// A sandbox started where a provider's variables are set accepts those,
// and only those.
func TestSandboxAcceptsEnvironmentCredentials(t *testing.T) {
	env := envOf(map[string]string{"IDENFY_API_KEY": "env-key", "IDENFY_API_SECRET": "env-secret"})
	srv := httptest.NewServer(Handler(catalog.All(), Options{Env: env}))
	defer srv.Close()
	d, _ := catalog.All().Get("idenfy")

	if _, err := client(t, d, srv.URL, map[string]string{"apiKey": "env-key", "apiSecret": "env-secret"}).Launch(context.Background(), minimal["idenfy"]); err != nil {
		t.Errorf("environment credentials refused: %v", err)
	}
	_, err := client(t, d, srv.URL, d.SandboxCredentials).Launch(context.Background(), minimal["idenfy"])
	if pe := providers.AsError(err); pe == nil || pe.Kind != providers.KindRejected {
		t.Errorf("the fixed sandbox credentials: err = %v, want a refusal", err)
	}
	// Alibaba's variables are not set: its fixed credentials still work.
	a, _ := catalog.All().Get("alibaba")
	if _, err := client(t, a, srv.URL, a.SandboxCredentials).Launch(context.Background(), minimal["alibaba"]); err != nil {
		t.Errorf("alibaba with its sandbox credentials: %v", err)
	}
}

func TestCredentialLines(t *testing.T) {
	reg := catalog.All()
	lines := CredentialLines(reg, envOf(nil))
	if len(lines) != len(reg) {
		t.Fatalf("%d lines for %d providers: %q", len(lines), len(reg), lines)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		"IDENFY_API_KEY=" + idenfy.SandboxAPIKey, "IDENFY_API_SECRET=" + idenfy.SandboxAPISecret,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + alibaba.SandboxAccessKeyID,
		"DWS_CLIENT_ID=" + dws.SandboxClientID, "DWS_PRIVATE_KEY_FILE=(built-in sandbox key)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("lines lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "PRIVATE KEY-----") {
		t.Errorf("a PEM key is printed:\n%s", all)
	}

	// Credentials from the environment are never printed, only named.
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.pem")
	if err := os.WriteFile(keyFile, []byte(otherKey(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	envVals := map[string]string{
		"IDENFY_API_KEY": "env-idenfy-key-value", "IDENFY_API_SECRET": "env-idenfy-secret-value",
		"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-alibaba-id-value", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-alibaba-secret-value",
		"DWS_CLIENT_ID": "env-dws-client-value", "DWS_PRIVATE_KEY_FILE": keyFile,
	}
	for _, partial := range []bool{false, true} {
		env := envVals
		if partial { // only the secrets set: the fixed credentials are printed, not the secrets
			env = map[string]string{"IDENFY_API_SECRET": envVals["IDENFY_API_SECRET"], "ALIBABA_CLOUD_ACCESS_KEY_SECRET": envVals["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]}
		}
		lines := CredentialLines(reg, envOf(env))
		all := strings.Join(lines, "\n")
		for name, v := range env {
			if name == "DWS_PRIVATE_KEY_FILE" {
				continue
			}
			if strings.Contains(all, v) {
				t.Errorf("partial=%v: the value of %s is printed:\n%s", partial, name, all)
			}
		}
		if strings.Contains(all, "PRIVATE KEY") || strings.Contains(all, strings.Split(otherKey(t), "\n")[1]) {
			t.Errorf("partial=%v: a key is printed:\n%s", partial, all)
		}
		if !partial && (!strings.Contains(all, "idenfy   accepts the credentials set in this environment") ||
			!strings.Contains(all, "IDENFY_API_SECRET")) {
			t.Errorf("lines do not say which variables are accepted:\n%s", all)
		}
	}
}

func TestIndexPageEscapes(t *testing.T) {
	reg := providers.Registry{{
		ID:      "evil",
		Name:    `<script>alert("name")</script>`,
		Summary: `a & b <img src=x onerror=alert(1)>`,
		Credentials: []providers.Credential{
			{Name: "key", Env: "EVIL_KEY"},
		},
		SandboxCredentials: map[string]string{"key": `"><script>alert("cred")</script>`},
	}}
	srv := httptest.NewServer(Handler(reg, Options{PublicURL: `http://x.test/"><script>alert(2)</script>`}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/sandbox/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("index: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, raw := range []string{"<script>", "<img", `"><script>`} {
		if strings.Contains(page, raw) {
			t.Errorf("index page holds unescaped %q:\n%s", raw, page)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;") || !strings.Contains(page, "a &amp; b") {
		t.Errorf("index page does not show the escaped text:\n%s", page)
	}

	// The real registry's index lists every provider.
	srv2 := httptest.NewServer(Handler(catalog.All(), Options{PublicURL: "http://127.0.0.1:8470"}))
	defer srv2.Close()
	resp, err = http.Get(srv2.URL + "/sandbox/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, d := range catalog.All() {
		if !strings.Contains(string(b), "<code>"+d.ID+"</code>") {
			t.Errorf("index lacks %s", d.ID)
		}
	}
}

// TestLogSummary: requests are summarised when the server closes (and
// every SummaryEvery), not logged one line each.
func TestLogSummary(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	logf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf(format, a...))
	}
	srv, err := Start(catalog.All(), "127.0.0.1:0", Options{Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{HealthPath, HealthPath, "/no/such/path"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(logs, "\n")
	if len(logs) != 1 || !strings.Contains(all, "3 requests") || !strings.Contains(all, "2xx 2") || !strings.Contains(all, "4xx 1") {
		t.Errorf("log = %q, want one summary of 3 requests", all)
	}
}

// Every request counts once in the summary's total, whatever its status.
func TestSummaryCountsEveryStatus(t *testing.T) {
	st := &stats{}
	h := st.count(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, _ := strconv.Atoi(r.URL.Query().Get("code")); code != 0 {
			w.WriteHeader(code)
		}
	}))
	for _, code := range []string{"", "204", "302", "404", "503", "600"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/?code="+code, nil))
	}
	s := &Server{stats: st, log: newRateLog(nil, 1), limits: DefaultLimits}
	if got, want := s.summaryLine(time.Minute), "6 requests in the last 1m0s (2xx 2, 3xx 1, 4xx 1, 5xx 1)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if got := s.summaryLine(time.Minute); got != "" {
		t.Errorf("a second summary with nothing new: %q", got)
	}
}

func TestLANAddresses(t *testing.T) {
	for _, a := range LANAddresses() {
		ip := net.ParseIP(a)
		if ip == nil || ip.IsLoopback() || ip.To4() == nil {
			t.Errorf("LANAddresses() holds %q", a)
		}
	}
}
