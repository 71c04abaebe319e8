package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/server"
	"github.com/kycdesk/kycdesk/session"
)

// serveWait bounds every wait of these tests: generous, so that a busy
// machine cannot fail them; they fail only when the thing never happens.
const serveWait = 30 * time.Second

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	// grew is signalled (without blocking) after each write; last is when
	// the last write came.
	grew chan struct{}
	last time.Time
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{grew: make(chan struct{}, 1)} }

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	n, err := l.b.Write(p)
	l.last = time.Now()
	l.mu.Unlock()
	if l.grew != nil {
		select {
		case l.grew <- struct{}{}:
		default:
		}
	}
	return n, err
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// since is what was written after offset off (a copy of that part only),
// and when the last write came.
func (l *lockedBuffer) since(off int) (string, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if off >= l.b.Len() {
		return "", l.last
	}
	return string(l.b.Bytes()[off:]), l.last
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

type operator struct {
	name   string
	signer gossh.Signer
}

func newOperator(t testing.TB, name string) operator {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return operator{name: name, signer: s}
}

func (o operator) line() string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(o.signer.PublicKey()))) + " " + o.name
}

// testServe is `kycdesk serve` running in this process on loopback ports,
// in sandbox mode, with its own config and state directories.
type testServe struct {
	*served
	env    map[string]string
	out    *lockedBuffer
	errb   *lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

func startTestServe(t testing.TB, grace time.Duration, ops ...operator) *testServe {
	t.Helper()
	return startTestServeWith(t, grace, nil, ops...)
}

// startTestServeWith is startTestServe with setup changing the
// environment and the configuration first (a live serve, its endpoints).
func startTestServeWith(t testing.TB, grace time.Duration, setup func(env map[string]string, cfg *server.Config), ops ...operator) *testServe {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"HOME": dir,
	}
	if err := os.MkdirAll(filepath.Join(dir, "config", "kycdesk"), 0o700); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, o := range ops {
		lines = append(lines, o.line())
	}
	getenv := func(k string) string { return env[k] }
	if err := os.WriteFile(server.DefaultOperatorsFile(getenv), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := &testServe{env: env, out: newLockedBuffer(), errb: newLockedBuffer(), done: make(chan error, 1)}
	io := &IO{Out: ts.out, Err: ts.errb, Getenv: getenv}
	f, err := config.Load(config.DefaultPath(getenv), nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, err := server.NewFlags(fs).Load(f, getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SSHListen, cfg.HTTPListen, cfg.ShutdownGrace = "127.0.0.1:0", "127.0.0.1:0", grace
	if setup != nil {
		setup(env, &cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	s, err := startServe(ctx, cfg, f, io)
	if err != nil {
		cancel()
		t.Fatalf("serve: %v\n%s", err, ts.errb.String())
	}
	ts.served = s
	go func() { ts.done <- s.wait() }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ts.done:
		case <-time.After(serveWait):
			t.Error("serve did not stop")
		}
	})
	return ts
}

// stop is what SIGTERM does (the signal cancels Run's context); it
// returns the command's result.
func (ts *testServe) stop(t testing.TB) error {
	ts.cancel()
	select {
	case err := <-ts.done:
		ts.done <- err
		return err
	case <-time.After(serveWait):
		t.Fatal("serve did not stop")
		return nil
	}
}

func (ts *testServe) httpURL() string { return "http://" + ts.srv.HTTPAddr() }

// deskTerm is an SSH client with a PTY, answering the terminal queries a
// real terminal answers.
type deskTerm struct {
	conn  *gossh.Client
	sess  *gossh.Session
	stdin io.WriteCloser
	out   *lockedBuffer
	mark  int // waitFor looks at the output after this offset
}

func dialDesk(t testing.TB, addr, user string, o operator) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(o.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: serveWait})
}

func openDeskTerm(t testing.TB, addr, user string, o operator, w, h int) *deskTerm {
	t.Helper()
	conn, err := dialDesk(t, addr, user, o)
	if err != nil {
		t.Fatalf("dial as %s: %v", o.name, err)
	}
	t.Cleanup(func() { conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	stdin, _ := sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	d := &deskTerm{conn: conn, sess: sess, stdin: stdin, out: newLockedBuffer()}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := stdout.Read(buf)
			if n > 0 {
				chunk := string(buf[:n])
				d.out.Write(buf[:n])
				if strings.Contains(chunk, "\x1b]11;?") {
					io.WriteString(stdin, "\x1b]11;rgb:0000/0000/0000\x07")
				}
				if strings.Contains(chunk, "\x1b[c") {
					io.WriteString(stdin, "\x1b[?62;22c")
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return d
}

// cursorMoves are the renderer's cursor movements: each starts a line.
var cursorMoves = regexp.MustCompile(`\x1b\[[0-9;?]*[HfABCDGJKd]`)

// textLines is terminal output as text lines (escape sequences removed;
// the renderer writes each changed line whole).
func textLines(s string) []string {
	s = cursorMoves.ReplaceAllString(s, "\n")
	return strings.FieldsFunc(ansi.Strip(s), func(r rune) bool { return r == '\n' || r == '\r' })
}

// lines is the output after the mark as text lines.
func (d *deskTerm) lines() []string {
	s, _ := d.out.since(d.mark)
	return textLines(s)
}

// await waits, up to serveWait, until a line shown after the mark matches
// re; it returns the line and when the output that showed it arrived.
func (d *deskTerm) await(re string) (line string, at time.Time, ok bool) {
	rx := regexp.MustCompile(re)
	timeout := time.NewTimer(serveWait)
	defer timeout.Stop()
	for {
		s, last := d.out.since(d.mark)
		for _, l := range textLines(s) {
			if rx.MatchString(l) {
				return l, last, true
			}
		}
		select {
		case <-d.out.grew:
		case <-timeout.C:
			return "", time.Time{}, false
		}
	}
}

// waitFor waits until a line shown after the mark matches re.
func (d *deskTerm) waitFor(t testing.TB, re string) string {
	t.Helper()
	l, _, ok := d.await(re)
	if !ok {
		t.Fatalf("the desk never showed /%s/; last lines:\n%s", re, strings.Join(tail(d.lines(), 30), "\n"))
	}
	return l
}

func (d *deskTerm) shows(re string) bool {
	rx := regexp.MustCompile(re)
	for _, l := range d.lines() {
		if rx.MatchString(l) {
			return true
		}
	}
	return false
}

func tail(l []string, n int) []string {
	if len(l) > n {
		return l[len(l)-n:]
	}
	return l
}

// from makes later waits look only at what is drawn from now on.
func (d *deskTerm) from() { d.mark = d.out.Len() }

func (d *deskTerm) keys(s string) {
	io.WriteString(d.stdin, s)
	time.Sleep(60 * time.Millisecond) // a key at a time, as a person types
}

// launchIdenfy drives a desk from home to the QR of an iDenfy session.
func (d *deskTerm) launchIdenfy(t testing.TB, clientID string) {
	t.Helper()
	d.reviewIdenfy(t, clientID)
	d.from()
	d.keys("\r")
	d.waitFor(t, "scanRef")
}

// reviewIdenfy drives a desk from home to the review of an iDenfy launch
// for clientID (nothing sent yet).
func (d *deskTerm) reviewIdenfy(t testing.TB, clientID string) {
	t.Helper()
	d.keys(d.homeKey(t, "iDenfy"))
	d.waitFor(t, "iDenfy — essentials")
	steps := idenfyFormSteps()
	d.keys(clientID)
	d.from()
	d.keys("\r")
	d.waitFor(t, steps[0])
	d.keys("John")
	// One enter per field, each after the next field is drawn: an enter
	// that raced ahead would land on review, where enter launches.
	for _, want := range steps[1:] {
		d.from()
		d.keys("\r")
		d.waitFor(t, want)
	}
}

// idenfyFormSteps are what each enter on iDenfy's essentials form brings
// up, from the second field on: the next field's label, then the
// Advanced question, then review.
func idenfyFormSteps() []string {
	spec := idenfy.Spec()
	var steps []string
	for _, n := range forms.New("iDenfy", spec, nil, false).Essentials[1:] {
		p, _ := spec.Lookup(n)
		steps = append(steps, regexp.QuoteMeta(forms.Label(p)))
	}
	return append(steps, "Advanced parameters", "Review: the exact request")
}

// homeKey waits for home and returns the number key of the entry (a
// profile or a provider) whose name starts with name.
func (d *deskTerm) homeKey(t testing.TB, name string) string {
	t.Helper()
	d.waitFor(t, "Start a verification session")
	l := d.waitFor(t, `\d  `+regexp.QuoteMeta(name))
	m := regexp.MustCompile(`(\d)  ` + regexp.QuoteMeta(name)).FindStringSubmatch(l)
	d.from()
	return m[1]
}

// approve acts as the customer: the approve button of the iDenfy page
// behind the session's URL.
func approve(t testing.TB, pageURL string) {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"authToken": {u.Query().Get("authToken")}}
	act := *u
	act.RawQuery = ""
	act.Path += "/approve"
	resp, err := http.PostForm(act.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("approve: %s", resp.Status)
	}
}

func newestSession(t testing.TB, j session.Store, provider string) *session.Session {
	t.Helper()
	list, err := j.List(context.Background(), session.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Provider == provider {
			return s
		}
	}
	t.Fatalf("no %s session", provider)
	return nil
}

func metricsText(t testing.TB, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Two operators at two desks: desk A launches iDenfy on the sandbox
// through the console, the customer approves on the page behind the QR,
// and desk B's sessions list shows it APPROVED with operator A's name,
// with no key pressed at B (the receiver's result reaches every desk).
// The store, `sessions --json`, /healthz and /metrics say the same.
func TestServeTwoDesksShareResults(t *testing.T) {
	alice, bob := newOperator(t, "alice"), newOperator(t, "bob")
	// bob supervises: he sees every desk's sessions (roles_test.go).
	ts := startServeWith(t, "[serve.roles]\nsupervisors = [\"bob\"]\n", alice, bob)
	addr := ts.srv.SSHAddr()
	a := openDeskTerm(t, addr, "desk-1", alice, 100, 30)
	b := openDeskTerm(t, addr, "desk-2", bob, 100, 30)
	a.waitFor(t, `alice@desk-1 .*SANDBOX`)
	b.waitFor(t, `bob@desk-2 .*SANDBOX`)

	a.launchIdenfy(t, "serve-two-1")
	s := newestSession(t, ts.store, "idenfy")
	if s.Operator != "alice" || s.Desk != "desk-1" {
		t.Fatalf("launch recorded by %q at %q", s.Operator, s.Desk)
	}
	b.keys("s")
	b.waitFor(t, `Sessions \(`)
	b.from()
	approve(t, s.URL)
	line := b.waitFor(t, s.ID+`.*approved.*alice@desk-1`)
	t.Logf("desk B shows: %s", strings.TrimSpace(line))
	a.waitFor(t, `(?i)approved`)

	r := runEnv(t, ts.env, "sessions", "--json")
	if !strings.Contains(r.out, `"operator": "alice"`) || !strings.Contains(r.out, `"desk": "desk-1"`) {
		t.Errorf("sessions --json lacks the operator and desk:\n%s", r.out)
	}
	resp, err := http.Get(ts.httpURL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"store","ok":true`) {
		t.Errorf("/healthz: %s %s", resp.Status, body)
	}
	m := metricsText(t, ts.httpURL())
	for _, want := range []string{
		`kycdesk_launches_started_total{provider="idenfy"} 1`,
		`kycdesk_launches_finished_total{outcome="launched",provider="idenfy"} 1`,
		`kycdesk_callbacks_accepted_total{provider="idenfy"} 1`,
		`kycdesk_ssh_sessions_active 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// runEnv runs a command line with env as its whole environment.
func runEnv(t testing.TB, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &IO{Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }})
	return result{code: code, out: out.String(), err: errb.String()}
}

// A key that is not in the operators file is refused at the handshake
// and counted.
func TestServeRefusesUnlistedKey(t *testing.T) {
	alice, mallory := newOperator(t, "alice"), newOperator(t, "mallory")
	ts := startTestServe(t, 0, alice)
	if c, err := dialDesk(t, ts.srv.SSHAddr(), "desk-1", mallory); err == nil {
		c.Close()
		t.Fatal("an unlisted key got in")
	}
	if m := metricsText(t, ts.httpURL()); !strings.Contains(m, "kycdesk_ssh_auth_refused_total 1") {
		t.Errorf("refusal not counted:\n%s", grepLines(m, "refused"))
	}
	if !strings.Contains(ts.errb.String(), "ssh key refused") {
		t.Errorf("refusal not logged:\n%s", ts.errb.String())
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A webhook with a bad signature, and an Alibaba callback whose token was
// already used, are refused and counted in /metrics.
func TestServeRefusedCallbacksCounted(t *testing.T) {
	ts := startTestServe(t, 0, newOperator(t, "alice"))
	base := ts.httpURL()

	req, _ := http.NewRequest("POST", base+"/callbacks/idenfy", strings.NewReader(`{"final":true,"status":{"overall":"APPROVED"},"scanRef":"x"}`))
	req.Header.Set("Idenfy-Signature", strings.Repeat("0", 64))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Answered 200 (iDenfy shows the customer a failure page otherwise),
	// counted, and never recorded from its body.
	if resp.StatusCode != http.StatusOK {
		t.Errorf("bad signature answered %s", resp.Status)
	}

	// An Alibaba session launched at a desk, completed by the customer:
	// the simulator's callback is accepted and confirmed once.
	d := ts.newDesk("alice", "desk-1", false)
	defer d.Close()
	p, err := d.Provider("alibaba")
	if err != nil {
		t.Fatal(err)
	}
	o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"MerchantUserId": {"cb-user"}, "DocType": {"00000001"}}))
	if err != nil {
		t.Fatal(err)
	}
	customerAct(t, o.Launch.URL, "approve")
	ts.receiver.Wait()
	deadline := time.Now().Add(serveWait)
	for time.Now().Before(deadline) && !strings.Contains(metricsText(t, base), `kycdesk_callbacks_accepted_total{provider="alibaba"} 2`) {
		time.Sleep(50 * time.Millisecond)
		ts.receiver.Wait()
	}
	// The same callback again after the result: Alibaba's one answer,
	// counted as replayed, nothing asked.
	q := url.Values{"transactionId": {o.Launch.References["TransactionId"]},
		"callbackToken": {alibaba.CallbackToken(ts.callback.Key, o.Launch.References["MerchantBizId"])}, "passed": {"T"}}
	resp, err = http.Get(base + "/callbacks/alibaba?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != alibaba.CallbackAnswerStatus {
		t.Errorf("a reused token answered %s", resp.Status)
	}
	m := metricsText(t, base)
	for _, want := range []string{
		`kycdesk_callbacks_refused_total{provider="idenfy",reason="bad_signature"} 1`,
		`kycdesk_callbacks_refused_total{provider="alibaba",reason="replayed"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(m, "callbacks"))
		}
	}
}

// customerAct presses the button for action on the customer page at
// pageURL (a form per action, or one form whose field names it), as the
// end-to-end script does.
func customerAct(t testing.TB, pageURL, action string) {
	t.Helper()
	resp, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	forms := regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`).FindAllStringSubmatch(string(page), -1)
	if len(forms) == 0 {
		t.Fatalf("no form on %s:\n%s", pageURL, page)
	}
	var target []string
	fields := url.Values{}
	for _, f := range forms {
		if strings.HasSuffix(strings.TrimRight(html.UnescapeString(f[1]), "/"), "/"+action) {
			target = f
		}
	}
	if target == nil {
		target = forms[0]
		fields.Set("action", action)
	}
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(target[2], -1) {
		n := regexp.MustCompile(`name="([^"]*)"`).FindStringSubmatch(tag)
		v := regexp.MustCompile(`value="([^"]*)"`).FindStringSubmatch(tag)
		if n != nil && strings.Contains(tag, `type="hidden"`) {
			val := ""
			if v != nil {
				val = html.UnescapeString(v[1])
			}
			fields.Set(html.UnescapeString(n[1]), val)
		}
	}
	base, _ := url.Parse(pageURL)
	dest, _ := base.Parse(html.UnescapeString(target[1]))
	resp, err = http.PostForm(dest.String(), fields)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("customer %s on %s: %s", action, pageURL, resp.Status)
	}
}

// SIGTERM during a launch: the server stops taking desks, the launch in
// flight (a slow sandbox endpoint) finishes and is recorded, and the
// command ends with exit 0. A launch that outlasts the grace period is
// cancelled and recorded as of unknown outcome.
func TestServeSIGTERMDuringLaunch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grace time.Duration
		delay time.Duration
		want  func(*session.Session) bool
		what  string
	}{
		{"finishes", 10 * time.Second, 1500 * time.Millisecond, func(s *session.Session) bool { return s.Launched() }, "launched"},
		{"outlasts the grace", 1 * time.Second, 20 * time.Second, func(s *session.Session) bool { return s.OutcomeUnknown() }, "outcome unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startTestServe(t, tc.grace, newOperator(t, "alice"))
			arrived := make(chan struct{}, 1)
			inner := *ts.sandboxH.Load()
			var slow http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/v2/token" {
					arrived <- struct{}{}
					select {
					case <-time.After(tc.delay):
					case <-r.Context().Done():
						return
					}
				}
				inner.ServeHTTP(w, r)
			})
			ts.sandboxH.Store(&slow)
			d := ts.newDesk("alice", "desk-1", false)
			p, _ := d.Provider("idenfy")
			dr := d.Draft(p, providers.Values{"clientId": {"sigterm-1"}, "documents": {"PASSPORT"}})
			launched := make(chan error, 1)
			go func() {
				_, err := d.Launch(context.Background(), dr)
				launched <- err
			}()
			select {
			case <-arrived:
			case <-time.After(serveWait):
				t.Fatal("the launch never reached the sandbox")
			}
			if err := ts.stop(t); err != nil {
				t.Fatalf("serve ended with %v, want exit 0", err)
			}
			err := <-launched
			j, jerr := session.OpenStore("", func(k string) string { return ts.env[k] })
			if jerr != nil {
				t.Fatal(jerr)
			}
			defer j.Close()
			s := newestSession(t, j, "idenfy")
			if !tc.want(s) {
				t.Errorf("session %s is %s (launch error %v), want %s", s.ID, s.State, err, tc.what)
			}
			if !strings.Contains(ts.errb.String(), "shutting down") {
				t.Errorf("no shutdown logged:\n%s", ts.errb.String())
			}
			// A launch after the stop is refused before anything is sent.
			if _, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"late"}})); err == nil || !strings.Contains(err.Error(), "shutting down") {
				t.Errorf("a launch after the stop: %v, want refused as shutting down", err)
			}
		})
	}
}
