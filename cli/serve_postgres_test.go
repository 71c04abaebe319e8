//go:build unix

package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// testPostgresEnv names the PostgreSQL server the shared-store tests run
// against (scripts/postgres.sh starts a throwaway one; .ci/run does).
const testPostgresEnv = "KYCDESK_TEST_POSTGRES"

// Several `kycdesk serve` processes on one PostgreSQL store (issue 14,
// "Shared history"): real separate processes of the built binary, each
// with its own configuration, state, host key and listeners, sharing only
// the store's URL and its fingerprint key (KYCDESK_STORE_KEY).
func TestServeProcessesShareAPostgresStore(t *testing.T) {
	base := os.Getenv(testPostgresEnv)
	if base == "" {
		t.Skipf("%s is not set: two `kycdesk serve` processes sharing a PostgreSQL store need a server (scripts/postgres.sh start FILE starts one and writes %s=postgres://… to FILE)",
			testPostgresEnv, testPostgresEnv)
	}
	bin := filepath.Join(t.TempDir(), "kycdesk")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kycdesk/kycdesk").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	t.Run("sandbox: an approval at one server reaches a desk of the other", func(t *testing.T) {
		testServeSandboxAcrossServers(t, bin, freshSchemaURL(t, base))
	})
	t.Run("live: the duplicate guard and the receiver span servers", func(t *testing.T) {
		testServeLiveAcrossServers(t, bin, freshSchemaURL(t, base))
	})
}

// freshSchemaURL is base in a new schema, dropped when the test ends.
func freshSchemaURL(t *testing.T, base string) string {
	return storetest.FreshPostgresSchema(t, base, "kycdesk_serve_")
}

// serveProc is one `kycdesk serve` process.
type serveProc struct {
	cmd       *exec.Cmd
	env       []string
	out, errb *lockedBuffer
	sshAddr   string
	httpAddr  string
	exited    chan error
}

// startServeProc runs `kycdesk serve` with its own directories, the
// given operators, desk profiles (name → TOML) and extra environment (the
// shared store's URL and key among it), on free loopback ports, and waits
// for its readiness lines.
func startServeProc(t *testing.T, bin string, extraEnv []string, ops []operator, profiles map[string]string, args ...string) *serveProc {
	t.Helper()
	dir := t.TempDir()
	if len(profiles) > 0 {
		pdir := filepath.Join(dir, "config", "kycdesk", "profiles")
		if err := os.MkdirAll(pdir, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, text := range profiles {
			if err := os.WriteFile(filepath.Join(pdir, name+".toml"), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	var lines []string
	for _, o := range ops {
		lines = append(lines, o.line())
	}
	opsFile := filepath.Join(dir, "operators")
	if err := os.WriteFile(opsFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// These tests follow sessions across desks and processes: every
	// operator is a supervisor, who sees every desk's sessions.
	var names []string
	for _, o := range ops {
		names = append(names, strconv.Quote(o.name))
	}
	if err := os.MkdirAll(filepath.Join(dir, "config", "kycdesk"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config", "kycdesk", "config.toml"),
		[]byte("[serve.roles]\nsupervisors = ["+strings.Join(names, ", ")+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A whole environment: nothing of the caller's (credentials, a store)
	// leaks in.
	env := append([]string{
		"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"PATH=" + os.Getenv("PATH"),
	}, extraEnv...)
	p := &serveProc{env: env, out: newLockedBuffer(), errb: newLockedBuffer(), exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{"serve", "--ssh-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
		"--operators", opsFile, "--host-key", filepath.Join(dir, "host_key")}, args...)...)
	p.cmd.Env = env
	p.cmd.Stderr = p.errb
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		closed := false
		for sc.Scan() {
			l := sc.Text()
			p.out.Write([]byte(l + "\n"))
			if a, ok := strings.CutPrefix(l, "ssh listening on "); ok {
				p.sshAddr = a
			}
			if a, ok := strings.CutPrefix(l, "http listening on "); ok {
				p.httpAddr = a
			}
			if l == "ready" && !closed {
				closed = true
				close(ready)
			}
		}
		io.Copy(io.Discard, stdout)
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(serveWait):
			p.cmd.Process.Kill()
			<-p.exited
			t.Errorf("serve (pid %d) did not stop on SIGTERM", p.cmd.Process.Pid)
		}
	})
	select {
	case <-ready:
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("serve ended before it was ready: %v\n%s\n%s", err, p.out.String(), p.errb.String())
	case <-time.After(serveWait):
		t.Fatalf("serve was not ready:\n%s\n%s", p.out.String(), p.errb.String())
	}
	if p.sshAddr == "" || p.httpAddr == "" {
		t.Fatalf("serve printed no listener lines:\n%s", p.out.String())
	}
	return p
}

// stop is SIGTERM; it returns how the process ended.
func (p *serveProc) stop(t *testing.T) error {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		return err
	case <-time.After(serveWait):
		t.Fatal("serve did not stop on SIGTERM")
		return nil
	}
}

func (p *serveProc) url() string { return "http://" + p.httpAddr }

// sharedStoreEnv is what every process of one shared store is given: its
// URL and the one fingerprint key.
func sharedStoreEnv(storeURL string) []string {
	b := make([]byte, 32)
	rand.Read(b)
	return []string{StoreEnv + "=" + storeURL, session.KeyEnv + "=" + hex.EncodeToString(b)}
}

// openShared opens the shared store as another process would.
func openShared(t *testing.T, env []string) session.Store {
	t.Helper()
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	st, err := session.OpenStore(m[StoreEnv], func(k string) string { return m[k] })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Two servers in sandbox mode: desk A (alice, server 1) launches iDenfy,
// the customer approves on server 1's page, server 1's receiver records
// the sandbox's webhook, and desk B (bob, server 2), showing its sessions
// list, shows it APPROVED with alice's name, no key pressed at B: the
// result crossed processes through the store's change feed.
func testServeSandboxAcrossServers(t *testing.T, bin, storeURL string) {
	alice, bob := newOperator(t, "alice"), newOperator(t, "bob")
	shared := sharedStoreEnv(storeURL)
	s1 := startServeProc(t, bin, shared, []operator{alice, bob}, nil)
	s2 := startServeProc(t, bin, shared, []operator{alice, bob}, nil)
	a := openDeskTerm(t, s1.sshAddr, "desk-1", alice, 140, 30)
	b := openDeskTerm(t, s2.sshAddr, "desk-2", bob, 140, 30)
	a.waitFor(t, `alice@desk-1 .*SANDBOX`)
	b.waitFor(t, `bob@desk-2 .*SANDBOX`)
	b.keys("s")
	b.waitFor(t, `Sessions \(`)
	b.from()

	a.launchIdenfy(t, "pg-serve-1")
	st := openShared(t, shared)
	s := newestSession(t, st, "idenfy")
	if s.Operator != "alice" || s.Desk != "desk-1" {
		t.Fatalf("launch recorded by %q at %q", s.Operator, s.Desk)
	}
	if !strings.HasPrefix(s.URL, s1.url()) {
		t.Fatalf("the session's page %s is not on server 1 (%s)", s.URL, s1.url())
	}
	// B's list learns of the new session from the feed too.
	b.waitFor(t, s.ID+`.*pending.*alice@desk-1`)
	b.from()
	sent := time.Now()
	approve(t, s.URL)
	line, at, ok := b.await(s.ID + `.*approved.*alice@desk-1`)
	if !ok {
		t.Fatalf("desk B (server 2) never showed %s approved by alice; last lines:\n%s", s.ID, strings.Join(tail(b.lines(), 30), "\n"))
	}
	t.Logf("desk B on server 2 shows %q %v after the customer's approval at server 1 (the sandbox's webhook, server 1's receiver, NOTIFY, server 2's desk)",
		strings.TrimSpace(line), at.Sub(sent).Round(time.Millisecond))
	a.waitFor(t, `(?i)approved`)
	if got := get(t, st, s.ID); got.State != "approved" {
		t.Errorf("the store says %s", got.State)
	}
	// Both servers stop on SIGTERM with exit 0.
	for i, p := range []*serveProc{s1, s2} {
		if err := p.stop(t); err != nil {
			t.Errorf("server %d ended with %v on SIGTERM, want exit 0\n%s", i+1, err, p.errb.String())
		}
	}
}

// Two servers in live mode behind one TLS-terminating proxy (their
// shared --public-url; here it forwards to server 2 only), against
// loopback providers (the simulators with live credentials):
//   - the duplicate guard: desk B at server 2 is warned of the session
//     desk A launched at server 1 for the same clientId, before anything
//     is sent;
//   - the receiver: a signed iDenfy webhook for server 1's session, sent to
//     server 2, is recorded and reaches desk A at server 1 (the figure: how
//     long after the webhook was sent the desks' screens showed it);
//   - an Alibaba session launched at server 1: the customer completes it,
//     the provider's callback reaches server 2 through the proxy, whose
//     receiver checks server 1's CallbackToken, asks CheckResult, and desk
//     A at server 1 shows the result.
func testServeLiveAcrossServers(t *testing.T, bin, storeURL string) {
	const apiKey, apiSecret, signingKey = "live-key", "live-secret-value", "pg-serve-webhook-signing-key"
	const akID, akSecret = "LTAI-pg-serve", "pg-serve-access-key-secret"
	var server2 atomic.Pointer[url.URL]
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := server2.Load()
		if u == nil {
			http.Error(w, "no server behind the proxy yet", http.StatusBadGateway)
			return
		}
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	// The providers (simulators with the live credentials), whose
	// callbacks go out through the proxy as the internet's would.
	creds := envOf(map[string]string{"IDENFY_API_KEY": apiKey, "IDENFY_API_SECRET": apiSecret,
		"ALIBABA_CLOUD_ACCESS_KEY_ID": akID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": akSecret})
	sb := &testSandbox{}
	sim := httptest.NewUnstartedServer(nil)
	sb.URL = "http://" + sim.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: sb.URL, Env: creds,
		Callbacks: &providers.Deliverer{HTTP: proxy.Client(), Backoff: 200 * time.Millisecond}})
	sim.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != sandbox.HealthPath {
			sb.sent.Add(1)
		}
		h.ServeHTTP(w, r)
	})
	sim.Start()
	t.Cleanup(sim.Close)

	alice, bob := newOperator(t, "alice"), newOperator(t, "bob")
	shared := append(sharedStoreEnv(storeURL),
		"IDENFY_API_KEY="+apiKey, "IDENFY_API_SECRET="+apiSecret, "KYCDESK_IDENFY_URL="+sb.URL,
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+akID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+akSecret, "KYCDESK_ALIBABA_URL="+sb.URL,
		IdenfyWebhookKeyEnv+"="+signingKey)
	// Server 1 has a desk profile for Alibaba walk-ins (one screen, one
	// asked field).
	s1 := startServeProc(t, bin, shared, []operator{alice, bob},
		map[string]string{"walkin": "provider = \"alibaba\"\nasked = [\"MerchantUserId\"]\naccepted = []\n[values]\nDocType = \"00000001\"\n"},
		"--live", "--public-url", proxy.URL)
	s2 := startServeProc(t, bin, shared, []operator{alice, bob}, nil, "--live", "--public-url", proxy.URL)
	u2, _ := url.Parse(s2.url())
	server2.Store(u2)
	a := openDeskTerm(t, s1.sshAddr, "desk-1", alice, 140, 30)
	b := openDeskTerm(t, s2.sshAddr, "desk-2", bob, 140, 30)
	a.waitFor(t, `alice@desk-1 .*LIVE`)
	b.waitFor(t, `bob@desk-2 .*LIVE`)

	a.launchIdenfy(t, "pg-live-1")
	st := openShared(t, shared)
	s := newestSession(t, st, "idenfy")
	if s.Mode != "live" || s.Operator != "alice" {
		t.Fatalf("launch recorded as %s by %q", s.Mode, s.Operator)
	}

	// The duplicate guard at the other server.
	sentBefore := sb.sent.Load()
	b.reviewIdenfy(t, "pg-live-1")
	b.from()
	b.keys("\r")
	b.waitFor(t, `already has a pending live session`)
	if !b.shows(regexp.QuoteMeta(s.ID[:8])) {
		t.Errorf("the warning does not name %s:\n%s", s.ID, strings.Join(tail(b.lines(), 20), "\n"))
	}
	if n := sb.sent.Load(); n != sentBefore {
		t.Errorf("%d request(s) sent to iDenfy before the operator confirmed", n-sentBefore)
	}

	// A webhook for server 1's session arrives at server 2.
	a.from()
	sent := time.Now()
	postIdenfyWebhook(t, s2.url(), signingKey, s.References()["scanRef"], "pg-live-1")
	line, at, ok := a.await(`(?i)approved`)
	if !ok {
		t.Fatalf("desk A (server 1) never showed the result server 2 received; last lines:\n%s", strings.Join(tail(a.lines(), 30), "\n"))
	}
	t.Logf("desk A on server 1 (result screen) shows %q %v after the webhook was sent to server 2", strings.TrimSpace(line), at.Sub(sent).Round(time.Millisecond))
	if got := get(t, st, s.ID); got.State != "approved" {
		t.Errorf("the store says %s after server 2's receiver", got.State)
	}
	if m := metricsText(t, s2.url()); !strings.Contains(m, `kycdesk_callbacks_accepted_total{provider="idenfy"} 1`) {
		t.Errorf("server 2 did not count the callback:\n%s", grepLines(m, "callbacks"))
	}

	// The figure (issue 14: a callback reaches every other desk's screen
	// within 1 s of the provider sending it): sessions launched by a third
	// process (`kycdesk launch --live`), their webhooks sent to server 2,
	// timed to a sessions list at server 1 (the store's feed) and one at
	// server 2 (the receiver's own process). A generous wait, no threshold:
	// the latencies are logged.
	a2 := openDeskTerm(t, s1.sshAddr, "desk-3", alice, 140, 30)
	b2 := openDeskTerm(t, s2.sshAddr, "desk-4", bob, 140, 30)
	for _, d := range []*deskTerm{a2, b2} {
		d.waitFor(t, "Start a verification session")
		d.keys("s")
		d.waitFor(t, `Sessions \(`)
	}
	cliEnv := append(slices.Clone(shared), "HOME="+t.TempDir(), "PATH="+os.Getenv("PATH"))
	var far, near []time.Duration
	for i := range 5 {
		client := fmt.Sprintf("pg-live-fig-%d", i)
		out, err := runBin(bin, cliEnv, "launch", "idenfy", "--live", "--set", "clientId="+client, "--json")
		var o struct {
			Session    string
			References map[string]string
		}
		if err != nil || json.Unmarshal(out, &o) != nil || o.Session == "" {
			t.Fatalf("launch: %v\n%s", err, out)
		}
		for _, d := range []*deskTerm{a2, b2} {
			d.waitFor(t, o.Session+`.*pending`)
			d.from()
		}
		sent := time.Now()
		postIdenfyWebhook(t, s2.url(), signingKey, o.References["scanRef"], client)
		for _, d := range []*deskTerm{a2, b2} {
			_, at, ok := d.await(o.Session + `.*approved`)
			if !ok {
				t.Fatalf("a desk never showed %s approved; last lines:\n%s", o.Session, strings.Join(tail(d.lines(), 30), "\n"))
			}
			if d == a2 {
				far = append(far, at.Sub(sent))
			} else {
				near = append(near, at.Sub(sent))
			}
		}
	}
	t.Logf("webhook sent to server 2 -> sessions list drawn: at server 1 (store feed) %s; at server 2 %s", latencies(far), latencies(near))

	// Alibaba: launched at server 1 through its desk profile, its
	// callback (the token server 1 derived) taken by server 2.
	c := openDeskTerm(t, s1.sshAddr, "desk-5", alice, 140, 30)
	c.keys(c.homeKey(t, "walkin"))
	c.waitFor(t, "MerchantUserId|Merchant user id")
	c.keys("pg-walk-in-1")
	c.from()
	c.keys("\r")
	// The profile accepts no warnings: the review shows them, and enter
	// (again, to confirm) launches.
	c.waitFor(t, "Review: the exact request")
	c.from()
	c.keys("\r")
	// A public URL: the QR is a relay link, and Alibaba is asked only
	// when the customer's phone posts its MetaInfo (relay_browser_test.go
	// does it in a browser). Relay links live in the server that issued
	// them, so the phone's post goes to server 1 (the proxy forwards to
	// server 2 only).
	l := c.waitFor(t, "/relay/|Press enter again")
	if strings.Contains(l, "Press enter again") {
		c.from()
		c.keys("\r") // the warnings, confirmed
		l = c.waitFor(t, "/relay/")
	}
	relayPath := regexp.MustCompile(`/relay/[A-Za-z0-9_-]+`).FindString(l)
	txURL := phonePost(t, s1.url()+relayPath, phoneMetaInfo(t, sb.URL))
	ali := newestSession(t, st, "alibaba")
	if ali.Mode != "live" || ali.Operator != "alice" || ali.Desk != "desk-5" || !strings.HasPrefix(txURL, sb.URL) {
		t.Fatalf("alibaba launch recorded as %s by %q at %q (TransactionUrl %s)", ali.Mode, ali.Operator, ali.Desk, txURL)
	}
	c.from()
	customerAct(t, txURL, "approve")
	if _, _, ok := c.await(`(?i)approved`); !ok {
		t.Fatalf("desk C (server 1) never showed the Alibaba result; server 2's log:\n%s\nlast lines:\n%s",
			s2.errb.String(), strings.Join(tail(c.lines(), 30), "\n"))
	}
	if got := get(t, st, ali.ID); got.State != "approved" {
		t.Errorf("the store says %s", got.State)
	}
	// The CheckResult's answer is counted after it is recorded, so the
	// desk may show it before the count: waited for (a hang guard, not a
	// measurement).
	for guard := time.Now().Add(serveWait); ; time.Sleep(20 * time.Millisecond) {
		m := metricsText(t, s2.url())
		if strings.Contains(m, `kycdesk_callbacks_accepted_total{provider="alibaba"} 2`) {
			break
		}
		if time.Now().After(guard) {
			t.Errorf("server 2 did not take the Alibaba callback and its CheckResult:\n%s", grepLines(m, "callbacks"))
			break
		}
	}
}

// postIdenfyWebhook sends, as iDenfy does, a signed final APPROVED
// webhook for scanRef to the server at base; the server must accept it.
func postIdenfyWebhook(t *testing.T, base, signingKey, scanRef, clientID string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"final": true, "platform": "MOBILE", "scanRef": scanRef, "clientId": clientID,
		"status": map[string]any{"overall": "APPROVED", "fraudTags": []string{}, "mismatchTags": []string{}},
	})
	req, _ := http.NewRequest("POST", base+"/callbacks/idenfy", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(idenfy.SignatureHeader, idenfy.SignWebhook([]byte(signingKey), body))
	req.Header.Set(idenfy.EventTypeHeader, idenfy.EventAutoFinished)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s answered the webhook for %s with %s: %s", base, scanRef, resp.Status, answer)
	}
}

// latencies is "min/median/max of n".
func latencies(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	r := func(x time.Duration) time.Duration { return x.Round(100 * time.Microsecond) }
	return fmt.Sprintf("min %v, median %v, max %v of %d", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]), len(s))
}

// get reads a session from the store.
func get(t *testing.T, st session.Store, id string) *session.Session {
	t.Helper()
	s, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const testPhoneUA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"

// phoneMetaInfo is what getMetaInfo() of the simulator's stand-in script
// returns on a phone (the script is fetched as the phone fetches it).
func phoneMetaInfo(t *testing.T, sandboxURL string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, sandboxURL+"/cdn/jsvm_all.js", nil)
	req.Header.Set("User-Agent", testPhoneUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`var apdidToken = "([0-9a-f]+)";`).FindSubmatch(js)
	if m == nil {
		t.Fatalf("no device token in the stand-in script:\n%s", js)
	}
	b, _ := json.Marshal(map[string]string{"apdidToken": string(m[1]), "appName": "kycdesk-sandbox-jsvm",
		"bioMetaInfo": "4.1.0:2916352,0", "deviceType": "h5", "ua": testPhoneUA})
	return string(b)
}

// phonePost is the relay page's post: MetaInfo as getMetaInfo() gave it;
// it returns the TransactionUrl the page would go to.
func phonePost(t *testing.T, relayURL, meta string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"metaInfo": meta})
	req, _ := http.NewRequest(http.MethodPost, relayURL, bytes.NewReader(body))
	req.Header.Set("User-Agent", testPhoneUA)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct{ URL, Error string }
	json.NewDecoder(resp.Body).Decode(&a)
	if resp.StatusCode != 200 || a.URL == "" {
		t.Fatalf("relay post to %s: %s %s", relayURL, resp.Status, a.Error)
	}
	return a.URL
}
