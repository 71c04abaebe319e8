package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/dws"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/sandbox"
)

// These tests drive the command line through Main() exactly as main does,
// with a private XDG_STATE_HOME / XDG_CONFIG_HOME per test (the real user's
// store and config are never touched) and everything on loopback.

// sandboxSecrets are the secret halves of the fixed sandbox credentials;
// no command may ever print them.
func sandboxSecrets() []string {
	s := []string{idenfy.SandboxAPISecret, alibaba.SandboxAccessKeySecret}
	for _, line := range strings.Split(dws.SandboxClientPrivateKeyPEM, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-----") {
			continue
		}
		s = append(s, line)
	}
	return s
}

// unusedURL is an http URL on a loopback port nothing listens on.
func unusedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// isolate gives the test its own state and config directories, clears
// every provider credential and endpoint variable, and points
// KYCDESK_SANDBOX_URL at a closed port (so an in-process sandbox is used
// unless the test starts one).
func isolate(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("KYCDESK_SANDBOX_URL", unusedURL(t))
	t.Setenv("KYCDESK_STORE", "")
	t.Setenv("KYCDESK_STORE_KEY", "")
	t.Setenv("KYCDESK_STORE_KEY_FILE", "")
	for _, d := range catalog.All() {
		t.Setenv(d.BaseURLEnv, "")
		for _, c := range d.Credentials {
			t.Setenv(c.Env, "")
		}
	}
}

type result struct {
	code     int
	out, err string
}

// cli runs one command line and checks that no sandbox secret (nor any of
// extra) appears in what it printed.
func cli(t *testing.T, extra []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &IO{Out: &out, Err: &errb, Getenv: os.Getenv})
	r := result{code: code, out: out.String(), err: errb.String()}
	for _, s := range append(sandboxSecrets(), extra...) {
		if strings.Contains(r.out, s) || strings.Contains(r.err, s) {
			t.Errorf("kycdesk %s printed the secret %q\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), s, r.out, r.err)
		}
	}
	return r
}

func run0(t *testing.T, args ...string) result {
	t.Helper()
	r := cli(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("kycdesk %s: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r
}

// oneJSON decodes stdout as exactly one JSON object.
func oneJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, s)
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout holds more than one JSON value (%v)\n%s", err, s)
	}
	return m
}

// testSandbox is a sandbox served by the test, counting the requests that
// reach a simulator (anything but the health probe).
type testSandbox struct {
	URL  string
	sent atomic.Int64
}

func startSandbox(t *testing.T, env func(string) string) *testSandbox {
	t.Helper()
	sb := &testSandbox{}
	srv := httptest.NewUnstartedServer(nil)
	sb.URL = "http://" + srv.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: sb.URL, Env: env})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != sandbox.HealthPath {
			sb.sent.Add(1)
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	t.Setenv("KYCDESK_SANDBOX_URL", sb.URL)
	return sb
}

func noEnv(string) string { return "" }

// checkLaunchJSON checks the CLI contract's success object.
func checkLaunchJSON(t *testing.T, m map[string]any, provider string, refs ...string) {
	t.Helper()
	want := []string{"challenge", "expiresAt", "mode", "provider", "references", "session", "status", "url"}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
	if s, _ := m["session"].(string); s == "" {
		t.Errorf("session = %v, want a non-empty id", m["session"])
	}
	if m["provider"] != provider {
		t.Errorf("provider = %v, want %s", m["provider"], provider)
	}
	if m["mode"] != "sandbox" {
		t.Errorf("mode = %v, want sandbox", m["mode"])
	}
	if m["status"] != "pending" {
		t.Errorf("status = %v, want pending", m["status"])
	}
	exp, _ := m["expiresAt"].(string)
	if ts, err := time.Parse(time.RFC3339, exp); err != nil {
		t.Errorf("expiresAt = %v: not RFC 3339: %v", m["expiresAt"], err)
	} else if !ts.After(time.Now()) {
		t.Errorf("expiresAt = %v is not in the future", exp)
	}
	r, ok := m["references"].(map[string]any)
	if !ok {
		t.Fatalf("references = %v, want an object", m["references"])
	}
	for _, name := range refs {
		if s, _ := r[name].(string); s == "" {
			t.Errorf("references.%s = %v, want a non-empty string (references: %v)", name, r[name], r)
		}
	}
}

func TestLaunchJSONIdenfy(t *testing.T) {
	isolate(t)
	r := run0(t, "launch", "idenfy", "--set", "clientId=x", "--json")
	m := oneJSON(t, r.out)
	checkLaunchJSON(t, m, "idenfy", "scanRef", "authToken")
	u, _ := m["url"].(string)
	if pu, err := url.Parse(u); err != nil || pu.Scheme != "http" || pu.Host == "" {
		t.Errorf("url = %v, want an absolute URL", m["url"])
	}
	if m["challenge"] != nil {
		t.Errorf("challenge = %v, want null", m["challenge"])
	}
	// Launched against an in-process sandbox: the command says how long
	// its URLs live.
	if !strings.Contains(r.err, "in-process sandbox") {
		t.Errorf("stderr does not mention the in-process sandbox:\n%s", r.err)
	}
}

func TestLaunchJSONAlibaba(t *testing.T) {
	isolate(t)
	r := run0(t, "launch", "alibaba", "--set", "MerchantUserId=u1", "--set", "DocType=01000000", "--json")
	m := oneJSON(t, r.out)
	checkLaunchJSON(t, m, "alibaba", "TransactionId", "MerchantBizId")
	if u, _ := m["url"].(string); !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Errorf("url = %v, want the sandbox's URL", m["url"])
	}
	if m["challenge"] != nil {
		t.Errorf("challenge = %v, want null", m["challenge"])
	}
}

func TestLaunchJSONDWS(t *testing.T) {
	isolate(t)
	r := run0(t, "launch", "dws", "--set", "identityValue=+447400123456", "--json")
	m := oneJSON(t, r.out)
	checkLaunchJSON(t, m, "dws", "authenticationId")
	if m["url"] != nil {
		t.Errorf("url = %v, want null for an OTP flow", m["url"])
	}
	ch, ok := m["challenge"].(map[string]any)
	if !ok {
		t.Fatalf("challenge = %v, want an object", m["challenge"])
	}
	masked, _ := ch["challengeRenderValue"].(string)
	if !strings.Contains(masked, "*") || !strings.HasSuffix(masked, "3456") || strings.Contains(masked, "7400123456") {
		t.Errorf("challengeRenderValue = %q, want the masked number (…3456)", masked)
	}
	if strings.Contains(r.out, "7400123456") {
		t.Errorf("stdout holds the unmasked phone number:\n%s", r.out)
	}
}

func TestLaunchText(t *testing.T) {
	isolate(t)
	r := run0(t, "launch", "idenfy", "--set", "clientId=desk-1")
	for _, want := range []string{"session ", "url ", "scanRef", "authToken", "expires "} {
		if !strings.Contains(r.out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.out)
		}
	}
	r = run0(t, "launch", "dws", "--set", "identityValue=+447400123456")
	if !regexp.MustCompile(`(?m)^sandbox +.*\b\d{4,8}\b`).MatchString(r.out) {
		t.Errorf("stdout lacks the sandbox code line:\n%s", r.out)
	}
	if !strings.Contains(r.out, "kycdesk verify ") {
		t.Errorf("stdout does not say how to verify:\n%s", r.out)
	}
}

// problemLine is one stderr line of an invalid command line: NAME: message.
var problemLine = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_.-]*): (.+)$`)

func TestLaunchInvalid(t *testing.T) {
	isolate(t)
	sb := startSandbox(t, noEnv)
	r := cli(t, nil, "launch", "idenfy", "--set", "clientId=x", "--set", "firstName=J0hn",
		"--set", "dateOfBirth=2001-02-30", "--set", "documents=NOT_A_DOCUMENT", "--set", "bogusName=1")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\nstderr:\n%s", r.code, r.err)
	}
	if r.out != "" {
		t.Errorf("stdout = %q, want nothing", r.out)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimRight(r.err, "\n"), "\n") {
		m := problemLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("stderr line %q is not NAME: message", line)
			continue
		}
		names = append(names, m[1])
	}
	sort.Strings(names)
	if want := []string{"bogusName", "dateOfBirth", "documents", "firstName"}; !slices.Equal(names, want) {
		t.Errorf("problems named %v, want one line each for %v\n%s", names, want, r.err)
	}
	// A single-valued name given twice, a boolean that is not true/false,
	// a number that is not one.
	r = cli(t, nil, "launch", "idenfy", "--set", "clientId=x", "--set", "clientId=y",
		"--set", "showInstructions=yes", "--set", "sessionLength=abc")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\nstderr:\n%s", r.code, r.err)
	}
	names = nil
	for _, line := range strings.Split(strings.TrimRight(r.err, "\n"), "\n") {
		if m := problemLine.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		} else {
			t.Errorf("stderr line %q is not NAME: message", line)
		}
	}
	sort.Strings(names)
	if want := []string{"clientId", "sessionLength", "showInstructions"}; !slices.Equal(names, want) {
		t.Errorf("problems named %v, want %v\n%s", names, want, r.err)
	}
	if n := sb.sent.Load(); n != 0 {
		t.Errorf("%d request(s) reached the sandbox; invalid input must send nothing", n)
	}
	if s := sessionsJSON(t); len(s) != 0 {
		t.Errorf("invalid input recorded %d session(s)", len(s))
	}
}

func TestLaunchInvalidJSON(t *testing.T) {
	isolate(t)
	sb := startSandbox(t, noEnv)
	for _, tc := range []struct {
		args  []string
		field string
	}{
		{[]string{"launch", "idenfy", "--set", "clientId=x", "--set", "firstName=J0hn", "--json"}, "firstName"},
		{[]string{"launch", "idenfy", "--set", "clientId=x", "--set", "dateOfBirth=2001-02-30", "--json"}, "dateOfBirth"},
		{[]string{"launch", "idenfy", "--set", "clientId=x", "--set", "documents=NOT_A_DOCUMENT", "--json"}, "documents"},
		{[]string{"launch", "idenfy", "--set", "clientId=x", "--set", "bogusName=1", "--json"}, "bogusName"},
		{[]string{"launch", "nosuch", "--set", "clientId=x", "--json"}, "PROVIDER"},
		{[]string{"launch", "--json"}, "PROVIDER"},
	} {
		r := cli(t, nil, tc.args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", tc.args, r.code, r.err)
			continue
		}
		m := oneJSON(t, r.out)
		e, ok := m["error"].(map[string]any)
		if !ok || len(m) != 1 {
			t.Errorf("%v: stdout = %v, want {\"error\": {…}}", tc.args, m)
			continue
		}
		if e["kind"] != "invalid" || e["field"] != tc.field {
			t.Errorf("%v: error = %v, want kind invalid, field %s", tc.args, e, tc.field)
		}
		if msg, _ := e["message"].(string); msg == "" {
			t.Errorf("%v: error has no message: %v", tc.args, e)
		}
		if !strings.HasPrefix(r.err, tc.field+": ") {
			t.Errorf("%v: stderr = %q, want a %s: line", tc.args, r.err, tc.field)
		}
	}
	if n := sb.sent.Load(); n != 0 {
		t.Errorf("%d request(s) reached the sandbox; invalid input must send nothing", n)
	}
}

func TestLaunchBadCommandLine(t *testing.T) {
	isolate(t)
	from := filepath.Join(t.TempDir(), "list.json")
	if err := os.WriteFile(from, []byte(`["not", "an", "object"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"launch"},
		{"launch", "nosuch"},
		{"launch", "idenfy", "dws", "--set", "clientId=x"},
		{"launch", "idenfy", "--set", "clientId"},
		{"launch", "idenfy", "--set", "=x"},
		{"launch", "idenfy", "--from", filepath.Join(t.TempDir(), "missing.json")},
		{"launch", "idenfy", "--from", from},
		{"launch", "idenfy", "--no-such-flag"},
		{"status"},
		{"status", "nosuchsession"},
		{"verify", "nosuchsession"},
		{"verify", "nosuchsession", "--code", "123456"},
		{"params"},
		{"params", "nosuch"},
		{"sessions", "--no-such-flag"},
		{"frobnicate"},
	} {
		r := cli(t, nil, args...)
		if r.code != 2 {
			t.Errorf("kycdesk %s: exit %d, want 2\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.out, r.err)
		}
		if strings.TrimSpace(r.err) == "" {
			t.Errorf("kycdesk %s: nothing on stderr", strings.Join(args, " "))
		}
	}
	if s := sessionsJSON(t); len(s) != 0 {
		t.Errorf("bad command lines recorded %d session(s)", len(s))
	}
}

// dryRun runs launch --dry-run --json and returns the request it shows.
func dryRun(t *testing.T, args ...string) (req map[string]any, body map[string]any) {
	t.Helper()
	r := run0(t, append(append([]string{"launch"}, args...), "--dry-run", "--json")...)
	m := oneJSON(t, r.out)
	if m["dryRun"] != true {
		t.Errorf("dryRun = %v, want true", m["dryRun"])
	}
	req, ok := m["request"].(map[string]any)
	if !ok {
		t.Fatalf("request = %v, want an object", m["request"])
	}
	if s, _ := req["body"].(string); s != "" && strings.HasPrefix(strings.TrimSpace(s), "{") {
		if err := json.Unmarshal([]byte(s), &body); err != nil {
			t.Fatalf("request body is not JSON: %v\n%s", err, s)
		}
	}
	return req, body
}

func TestRepeatedSetBuildsList(t *testing.T) {
	isolate(t)
	_, body := dryRun(t, "idenfy", "--set", "clientId=x", "--set", "documents=PASSPORT", "--set", "documents=ID_CARD")
	docs, _ := body["documents"].([]any)
	if fmt.Sprint(docs) != "[PASSPORT ID_CARD]" {
		t.Errorf("documents = %v, want [PASSPORT ID_CARD]", body["documents"])
	}
}

func TestFromFile(t *testing.T) {
	isolate(t)
	from := filepath.Join(t.TempDir(), "values.json")
	src := `{
		"clientId": "from-file",
		"expiryTime": 3600,
		"showInstructions": false,
		"documents": ["PASSPORT", "ID_CARD"],
		"additionalSteps": {"ALL": {"ALL": {"UTILITY_BILL": {"type": "UPLOAD"}}}},
		"levenshteinTextMatchRatio": 0.5,
		"firstName": null
	}`
	if err := os.WriteFile(from, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	_, body := dryRun(t, "idenfy", "--from", from, "--set", "clientId=from-set")
	if body["clientId"] != "from-set" {
		t.Errorf("clientId = %v, want from-set (--set overrides --from)", body["clientId"])
	}
	if body["expiryTime"] != float64(3600) {
		t.Errorf("expiryTime = %#v, want the number 3600", body["expiryTime"])
	}
	if body["showInstructions"] != false {
		t.Errorf("showInstructions = %#v, want the boolean false", body["showInstructions"])
	}
	if docs, _ := body["documents"].([]any); fmt.Sprint(docs) != "[PASSPORT ID_CARD]" {
		t.Errorf("documents = %v, want [PASSPORT ID_CARD]", body["documents"])
	}
	steps, _ := json.Marshal(body["additionalSteps"])
	if string(steps) != `{"ALL":{"ALL":{"UTILITY_BILL":{"type":"UPLOAD"}}}}` {
		t.Errorf("additionalSteps = %s, want the object from the file", steps)
	}
	if body["levenshteinTextMatchRatio"] != 0.5 {
		t.Errorf("levenshteinTextMatchRatio = %#v, want 0.5", body["levenshteinTextMatchRatio"])
	}
	if _, ok := body["firstName"]; ok {
		t.Errorf("firstName (null in the file) was sent: %v", body["firstName"])
	}

	// A --set of a list name replaces the whole list from the file.
	_, body = dryRun(t, "idenfy", "--from", from, "--set", "documents=VISA")
	if docs, _ := body["documents"].([]any); fmt.Sprint(docs) != "[VISA]" {
		t.Errorf("documents = %v, want [VISA] (--set replaces the file's list)", body["documents"])
	}
	if body["clientId"] != "from-file" {
		t.Errorf("clientId = %v, want from-file", body["clientId"])
	}
}

func TestDryRunSendsNothingAndMasksSecrets(t *testing.T) {
	isolate(t)
	sb := startSandbox(t, noEnv)
	for _, args := range [][]string{
		{"launch", "idenfy", "--set", "clientId=x", "--dry-run"},
		{"launch", "idenfy", "--set", "clientId=x", "--dry-run", "--json"},
		{"launch", "alibaba", "--set", "MerchantUserId=u1", "--set", "DocType=01000000", "--dry-run"},
		{"launch", "alibaba", "--set", "MerchantUserId=u1", "--set", "DocType=01000000", "--dry-run", "--json"},
		{"launch", "dws", "--set", "identityValue=+447400123456", "--dry-run"},
		{"launch", "dws", "--set", "identityValue=+447400123456", "--dry-run", "--json"},
	} {
		r := run0(t, args...) // cli() checks that no sandbox secret was printed
		if !strings.Contains(r.out, "POST") || !strings.Contains(r.out, sb.URL[len("http://"):]) {
			t.Errorf("%v: the dry run does not show the request to the sandbox:\n%s", args, r.out)
		}
	}
	// The idenfy request carries HTTP Basic credentials: shown masked.
	req, _ := dryRun(t, "idenfy", "--set", "clientId=x")
	h, _ := req["headers"].(map[string]any)
	auth, _ := h["Authorization"].(string)
	if !strings.HasPrefix(auth, "Basic ") || strings.Contains(auth, idenfy.SandboxAPISecret) {
		t.Errorf("Authorization = %q, want Basic with the secret masked", auth)
	}
	if n := sb.sent.Load(); n != 0 {
		t.Errorf("%d request(s) reached the sandbox; a dry run sends nothing", n)
	}
	if s := sessionsJSON(t); len(s) != 0 {
		t.Errorf("a dry run recorded %d session(s): %v", len(s), s)
	}
}

func sessionsJSON(t *testing.T) []map[string]any {
	t.Helper()
	r := run0(t, "sessions", "--json")
	var v struct {
		Sessions []map[string]any `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(r.out), &v); err != nil {
		t.Fatalf("sessions --json: %v\n%s", err, r.out)
	}
	if v.Sessions == nil {
		t.Fatalf("sessions --json has no sessions array:\n%s", r.out)
	}
	return v.Sessions
}

func TestProviderRefusalExit3(t *testing.T) {
	isolate(t)
	// A sandbox started in an environment with iDenfy credentials accepts
	// only those; this command line has other ones.
	good := map[string]string{"IDENFY_API_KEY": "the-right-key", "IDENFY_API_SECRET": "the-right-secret"}
	startSandbox(t, func(k string) string { return good[k] })
	t.Setenv("IDENFY_API_KEY", "a-wrong-key")
	t.Setenv("IDENFY_API_SECRET", "a-wrong-secret")
	secrets := []string{"the-right-secret", "a-wrong-secret"}

	r := cli(t, secrets, "launch", "idenfy", "--set", "clientId=x")
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (refused)\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if !strings.HasPrefix(r.err, "kycdesk: ") || !strings.Contains(r.err, "\nwhat to do: ") {
		t.Errorf("stderr lacks the provider's message and what to do:\n%s", r.err)
	}

	r = cli(t, secrets, "launch", "idenfy", "--set", "clientId=x", "--json")
	if r.code != 3 {
		t.Fatalf("--json: exit %d, want 3\n%s", r.code, r.err)
	}
	e, _ := oneJSON(t, r.out)["error"].(map[string]any)
	if e["kind"] != "rejected" {
		t.Errorf("error.kind = %v, want rejected", e["kind"])
	}
	for _, k := range []string{"code", "message", "action"} {
		if s, _ := e[k].(string); s == "" {
			t.Errorf("error.%s is empty: %v", k, e)
		}
	}
	list := sessionsJSON(t)
	if len(list) != 2 {
		t.Fatalf("the store has %d sessions, want 2", len(list))
	}
	for _, s := range list {
		if s["status"] != "failed" {
			t.Errorf("refused session status = %v, want failed", s["status"])
		}
	}
}

// fakeSandbox answers the health probe like a sandbox and every API path
// with the given handler.
func fakeSandbox(t *testing.T, api http.HandlerFunc) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == sandbox.HealthPath {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"service":"kycdesk-sandbox","providers":["idenfy","alibaba","dws"]}`)
			return
		}
		api(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("KYCDESK_SANDBOX_URL", srv.URL)
}

func TestOutcomeUnknownExit4(t *testing.T) {
	isolate(t)
	fakeSandbox(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"message":"temporarily unavailable"}`)
	})
	r := cli(t, nil, "launch", "idenfy", "--set", "clientId=x")
	if r.code != 4 {
		t.Fatalf("exit %d, want 4 (outcome unknown)\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.err, "outcome unknown") {
		t.Errorf("stderr does not say the outcome is unknown:\n%s", r.err)
	}
	list := sessionsJSON(t)
	if len(list) != 1 {
		t.Fatalf("the store has %d sessions, want the intent of 1", len(list))
	}
	s := list[0]
	if s["provider"] != "idenfy" || s["status"] != "outcome unknown" {
		t.Errorf("recorded session = %v, want idenfy, outcome unknown", s)
	}
	id, _ := s["session"].(string)
	if id == "" || !strings.Contains(r.err, id) {
		t.Errorf("stderr does not name the session %q:\n%s", id, r.err)
	}
	// status of an unresolved intent keeps exit 4.
	st := cli(t, nil, "status", id, "--json")
	if st.code != 4 {
		t.Errorf("status %s: exit %d, want 4\n%s", id, st.code, st.err)
	}
	if m := oneJSON(t, st.out); m["status"] != "outcome unknown" {
		t.Errorf("status %s --json: status = %v, want outcome unknown", id, m["status"])
	}

	// --json gives the error object with kind unknown.
	r = cli(t, nil, "launch", "idenfy", "--set", "clientId=y", "--json")
	if r.code != 4 {
		t.Fatalf("--json: exit %d, want 4\n%s", r.code, r.err)
	}
	if e, _ := oneJSON(t, r.out)["error"].(map[string]any); e["kind"] != "unknown" {
		t.Errorf("error = %v, want kind unknown", e)
	}
}

// form is one HTML form of a customer page.
type form struct {
	action string
	fields url.Values // hidden inputs
	button url.Values // name=value of each named button
}

var (
	formRe   = regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	inputRe  = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`)
	buttonRe = regexp.MustCompile(`<button[^>]*>`)
	attrRe   = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(tag, -1) {
		m[a[1]] = htmlUnescape(a[2])
	}
	return m
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

func parseForms(page string) []form {
	var out []form
	for _, f := range formRe.FindAllStringSubmatch(page, -1) {
		fm := form{action: htmlUnescape(f[1]), fields: url.Values{}, button: url.Values{}}
		for _, in := range inputRe.FindAllString(f[2], -1) {
			a := attrs(in)
			fm.fields.Add(a["name"], a["value"])
		}
		for _, b := range buttonRe.FindAllString(f[2], -1) {
			if a := attrs(b); a["name"] != "" {
				fm.button.Add(a["name"], a["value"])
			}
		}
		out = append(out, fm)
	}
	return out
}

// approveOnCustomerPage opens the hosted-flow URL as the customer's phone
// would and submits the page's "approve" form.
func approveOnCustomerPage(t *testing.T, pageURL string) {
	t.Helper()
	resp, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", pageURL, resp.Status, b)
	}
	base, _ := url.Parse(pageURL)
	for _, f := range parseForms(string(b)) {
		data := url.Values{}
		for k, v := range f.fields {
			data[k] = v
		}
		switch {
		case strings.HasSuffix(f.action, "/approve"):
		case slices.Contains(f.button["action"], "approve"):
			data.Set("action", "approve")
		default:
			continue
		}
		target, err := base.Parse(f.action)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.PostForm(target.String(), data)
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %s\n%s", target, resp.Status, rb)
		}
		return
	}
	t.Fatalf("no approve form on the customer page %s:\n%s", pageURL, b)
}

func TestStatusAfterCustomerApproves(t *testing.T) {
	for _, tc := range []struct {
		provider string
		args     []string
	}{
		{"idenfy", []string{"--set", "clientId=desk-1"}},
		{"alibaba", []string{"--set", "MerchantUserId=u1", "--set", "DocType=01000000", "--set", "SecurityLevel=01"}}, // under 02 a preset is a device risk
	} {
		t.Run(tc.provider, func(t *testing.T) {
			isolate(t)
			startSandbox(t, noEnv)
			r := run0(t, append(append([]string{"launch", tc.provider}, tc.args...), "--json")...)
			if strings.Contains(r.err, "in-process sandbox") {
				t.Errorf("a running sandbox answered, yet the command started its own:\n%s", r.err)
			}
			l := oneJSON(t, r.out)
			id, _ := l["session"].(string)
			pageURL, _ := l["url"].(string)

			st := oneJSON(t, run0(t, "status", id, "--json").out)
			if st["status"] != "pending" || st["session"] != id || st["provider"] != tc.provider {
				t.Errorf("status before the customer acts = %v, want %s pending", st, id)
			}

			approveOnCustomerPage(t, pageURL)

			st = oneJSON(t, run0(t, "status", id, "--json").out)
			if st["status"] != "approved" {
				t.Errorf("status after approval = %v, want approved", st["status"])
			}
			txt := run0(t, "status", id)
			if !regexp.MustCompile(`(?m)^status +approved$`).MatchString(txt.out) {
				t.Errorf("status (text) lacks 'status approved':\n%s", txt.out)
			}
			list := sessionsJSON(t)
			if len(list) != 1 || list[0]["status"] != "approved" {
				t.Errorf("sessions --json = %v, want the one session approved", list)
			}
		})
	}
}

func TestVerifyRefusesNonChallengeSession(t *testing.T) {
	isolate(t)
	startSandbox(t, noEnv)
	id, _ := oneJSON(t, run0(t, "launch", "idenfy", "--set", "clientId=x", "--json").out)["session"].(string)
	r := cli(t, nil, "verify", id, "--code", "123456")
	if r.code != 2 || !strings.Contains(r.err, "challenge") {
		t.Errorf("verify of an iDenfy session: exit %d, want 2 with a word about the challenge\n%s", r.code, r.err)
	}
	r = cli(t, nil, "verify", id)
	if r.code != 2 || !strings.HasPrefix(r.err, "--code: ") {
		t.Errorf("verify without --code: exit %d, want 2 and a --code: line\n%s", r.code, r.err)
	}
}

func TestSessionsList(t *testing.T) {
	isolate(t)
	if s := sessionsJSON(t); len(s) != 0 {
		t.Fatalf("a new store has %d sessions", len(s))
	}
	r := run0(t, "sessions")
	if !strings.HasPrefix(r.out, "SESSION") || strings.Count(r.out, "\n") != 1 {
		t.Errorf("sessions on an empty store = %q, want the header only", r.out)
	}
	startSandbox(t, noEnv)
	a, _ := oneJSON(t, run0(t, "launch", "idenfy", "--set", "clientId=desk-7", "--json").out)["session"].(string)
	b, _ := oneJSON(t, run0(t, "launch", "dws", "--set", "identityValue=+447400123456", "--json").out)["session"].(string)

	r = run0(t, "sessions")
	for _, id := range []string{a, b, "desk-7", "idenfy", "dws", "pending"} {
		if !strings.Contains(r.out, id) {
			t.Errorf("sessions lacks %q:\n%s", id, r.out)
		}
	}
	if strings.Contains(r.out, "7400123456") {
		t.Errorf("sessions shows the unmasked phone number:\n%s", r.out)
	}
	list := sessionsJSON(t)
	ids := map[string]map[string]any{}
	for _, s := range list {
		id, _ := s["session"].(string)
		ids[id] = s
	}
	if len(list) != 2 || ids[a] == nil || ids[b] == nil {
		t.Fatalf("sessions --json = %v, want %s and %s", list, a, b)
	}
	if ids[a]["provider"] != "idenfy" || ids[a]["customer"] != "desk-7" || ids[a]["mode"] != "sandbox" {
		t.Errorf("idenfy session = %v", ids[a])
	}
	if c, _ := ids[b]["customer"].(string); strings.Contains(c, "7400123456") {
		t.Errorf("dws customer = %q, want it masked", c)
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(ids[a]["createdAt"])); err != nil {
		t.Errorf("createdAt = %v: %v", ids[a]["createdAt"], err)
	}
}

func TestParams(t *testing.T) {
	isolate(t)
	for _, d := range catalog.All() {
		r := run0(t, "params", d.ID)
		for _, p := range d.Spec() {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(p.Name) + `  `).MatchString(r.out) {
				t.Errorf("params %s does not list %s", d.ID, p.Name)
			}
		}

		r = run0(t, "params", d.ID, "--json")
		var v struct {
			Provider   string `json:"provider"`
			Parameters []struct {
				Name     string `json:"name"`
				Type     string `json:"type"`
				Required bool   `json:"required"`
			} `json:"parameters"`
		}
		if err := json.Unmarshal([]byte(r.out), &v); err != nil {
			t.Fatalf("params %s --json: %v", d.ID, err)
		}
		if v.Provider != d.ID {
			t.Errorf("params %s --json: provider = %q", d.ID, v.Provider)
		}
		spec := d.Spec()
		if len(v.Parameters) != len(spec) {
			t.Errorf("params %s --json: %d parameters, spec has %d", d.ID, len(v.Parameters), len(spec))
			continue
		}
		for i, p := range spec {
			got := v.Parameters[i]
			if got.Name != p.Name || got.Type == "" || got.Required != p.Required {
				t.Errorf("params %s --json [%d] = %+v, want %s (required %v)", d.ID, i, got, p.Name, p.Required)
			}
		}
	}
	// params is static: it writes nothing to the store.
	if s := sessionsJSON(t); len(s) != 0 {
		t.Errorf("params recorded %d sessions", len(s))
	}
}

func TestVersionHelpUnknownCommand(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := run0(t, args...)
		if !strings.HasPrefix(r.out, "kycdesk "+Version+" (commit ") || strings.Count(r.out, "\n") != 1 {
			t.Errorf("%v = %q, want kycdesk %s (commit …)", args, r.out, Version)
		}
	}
	r := run0(t, "help")
	if !strings.Contains(r.out, "kycdesk launch PROVIDER") || !strings.Contains(r.out, "Exit codes") {
		t.Errorf("help lacks the usage:\n%s", r.out)
	}
	r = cli(t, nil, "frobnicate")
	if r.code != 2 || !strings.Contains(r.err, `unknown command "frobnicate"`) || r.out != "" {
		t.Errorf("unknown command: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}

// Every command, run one after another in one store against one
// sandbox: no output ever holds a sandbox secret (cli checks each).
func TestNoSecretInAnyOutput(t *testing.T) {
	isolate(t)
	startSandbox(t, noEnv)
	var ids []string
	for _, args := range [][]string{
		{"launch", "idenfy", "--set", "clientId=x"},
		{"launch", "alibaba", "--set", "MerchantUserId=u1", "--set", "DocType=01000000"},
		{"launch", "dws", "--set", "identityValue=+447400123456"},
	} {
		run0(t, args...)
		r := run0(t, append(args, "--json")...)
		id, _ := oneJSON(t, r.out)["session"].(string)
		ids = append(ids, id)
	}
	for _, id := range ids {
		run0(t, "status", id)
		run0(t, "status", id, "--json")
	}
	run0(t, "sessions")
	run0(t, "sessions", "--json")
	for _, d := range catalog.All() {
		run0(t, "params", d.ID)
		run0(t, "params", d.ID, "--json")
	}
	cli(t, nil, "verify", ids[2], "--code", "000000")
}

func TestLiveModeAgainstLoopbackEndpoint(t *testing.T) {
	isolate(t)
	// No live credentials: the provider is unavailable, nothing is sent.
	r := cli(t, nil, "launch", "idenfy", "--live", "--set", "clientId=x")
	if r.code != 2 || !strings.Contains(r.err, "IDENFY_API_KEY") || !strings.Contains(r.err, "IDENFY_API_SECRET") {
		t.Errorf("--live without credentials: exit %d, want 2 naming the variables\n%s", r.code, r.err)
	}
	t.Setenv("IDENFY_API_KEY", "live-key")
	t.Setenv("IDENFY_API_SECRET", "live-secret-value")
	secrets := []string{"live-secret-value"}

	// Plain http to a non-loopback host is refused before anything is sent.
	t.Setenv("KYCDESK_IDENFY_URL", "http://192.0.2.10:8470")
	r = cli(t, secrets, "launch", "idenfy", "--live", "--set", "clientId=x")
	if r.code != 2 || !strings.Contains(r.err, "plain http") {
		t.Errorf("--live to plain http on a LAN host: exit %d, want 2 with the reason\n%s", r.code, r.err)
	}

	// A loopback endpoint (a local proxy or simulator) is allowed; the
	// sandbox here was started with the same credentials.
	sb := startSandbox(t, envOf(map[string]string{"IDENFY_API_KEY": "live-key", "IDENFY_API_SECRET": "live-secret-value"}))
	t.Setenv("KYCDESK_IDENFY_URL", sb.URL)
	r = cli(t, secrets, "launch", "idenfy", "--live", "--set", "clientId=desk-9", "--json")
	if r.code != 0 {
		t.Fatalf("--live to a loopback endpoint: exit %d\n%s", r.code, r.err)
	}
	m := oneJSON(t, r.out)
	if m["mode"] != "live" {
		t.Errorf("mode = %v, want live", m["mode"])
	}
	// The duplicate guard: a second live token for the same clientId is
	// refused in the store's transaction (exit 2, nothing sent), unless
	// the operator confirms it.
	r = cli(t, secrets, "launch", "idenfy", "--live", "--set", "clientId=desk-9", "--json")
	if e := oneJSON(t, r.out); r.code != 2 || !strings.Contains(r.out, m["session"].(string)) ||
		e["error"].(map[string]any)["code"] != "DUPLICATE" || !strings.Contains(r.out, "--confirm-duplicate") {
		t.Errorf("second live launch: exit %d, want 2 DUPLICATE naming %v\n%s\n%s", r.code, m["session"], r.out, r.err)
	}
	r = cli(t, secrets, "launch", "idenfy", "--live", "--set", "clientId=desk-9", "--json", "--confirm-duplicate")
	if r.code != 0 || !strings.Contains(r.err, "launched anyway") {
		t.Errorf("a confirmed second live launch: exit %d\n%s", r.code, r.err)
	}
	// dry run in live mode masks the live secret too.
	run0(t, "launch", "idenfy", "--live", "--set", "clientId=desk-9", "--dry-run")
	// status follows the session to its endpoint, in its mode.
	st := oneJSON(t, run0(t, "status", m["session"].(string), "--json").out)
	if st["status"] != "pending" || st["mode"] != "live" {
		t.Errorf("status = %v, want live pending", st)
	}
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// A session launched against an in-process sandbox cannot be followed once
// that process is gone; status says so instead of hanging or lying.
func TestStatusAfterInProcessSandboxIsGone(t *testing.T) {
	isolate(t)
	id, _ := oneJSON(t, run0(t, "launch", "idenfy", "--set", "clientId=x", "--json").out)["session"].(string)
	r := cli(t, nil, "status", id)
	if r.code != 1 {
		t.Errorf("status: exit %d, want 1\n%s", r.code, r.err)
	}
	if !strings.Contains(r.err, "kycdesk sandbox") {
		t.Errorf("status does not say how to keep sandbox sessions:\n%s", r.err)
	}
}

func TestSandboxCommandErrors(t *testing.T) {
	isolate(t)
	r := cli(t, nil, "sandbox", "--public-url", "192.168.1.20:8470")
	if r.code != 2 || !strings.HasPrefix(r.err, "--public-url: ") {
		t.Errorf("sandbox --public-url without scheme: exit %d, want 2\n%s", r.code, r.err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r = cli(t, nil, "sandbox", "--listen", ln.Addr().String())
	if r.code != 1 || !strings.Contains(r.err, "another sandbox may be running") {
		t.Errorf("sandbox on a taken port: exit %d, want 1 with advice\n%s", r.code, r.err)
	}
	r = cli(t, nil, "sandbox", "--no-such-flag")
	if r.code != 2 {
		t.Errorf("sandbox --no-such-flag: exit %d, want 2", r.code)
	}
}
