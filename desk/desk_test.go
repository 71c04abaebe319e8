package desk

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
	_ "github.com/kycdesk/kycdesk/session/sqlite"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// testSandbox serves every simulator on loopback and counts the requests
// that reach it.
type testSandbox struct {
	URL  string
	hits atomic.Int64
}

func startSandbox(t *testing.T) *testSandbox {
	t.Helper()
	sb := &testSandbox{}
	srv := httptest.NewUnstartedServer(nil)
	sb.URL = "http://" + srv.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: sb.URL})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sb.hits.Add(1)
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return sb
}

// closedURL is a loopback URL nothing listens on.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

// openStore opens the SQLite store at path, as another process would.
func openStore(t *testing.T, path string) session.Store {
	t.Helper()
	env := map[string]string{"HOME": filepath.Dir(path), session.KeyEnv: storetest.TestKey}
	st, err := session.OpenStore(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// tempStore is a new store in a temporary directory.
func tempStore(t *testing.T) session.Store {
	return openStore(t, filepath.Join(t.TempDir(), "kycdesk.db"))
}

// get reads a session back from the store.
func get(t *testing.T, st session.Store, id string) *session.Session {
	t.Helper()
	s, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return s
}

// newDesk is a desk in mode whose providers go to base (or, following a
// session, to its endpoint) with the sandbox credentials; wrap, when set,
// wraps every client.
func newDesk(t *testing.T, mode providers.Mode, base string, j session.Store, wrap func(providers.Client) providers.Client) *Desk {
	resolve := func(d providers.Descriptor, m providers.Mode, endpoint string) *Provider {
		if endpoint == "" {
			endpoint = base
		}
		r := config.Resolve(d, providers.ModeSandbox, endpoint, nil, func(string) string { return "" })
		r.Config.Mode = m
		r.Config.CustomerKey = j.CustomerKey()
		c, err := d.New(r.Config)
		if err != nil {
			t.Fatal(err)
		}
		if wrap != nil {
			c = wrap(c)
		}
		return &Provider{Desc: d, Client: c, Endpoint: r.Config.BaseURL, SecretEnv: r.SecretEnv}
	}
	return New(Options{Registry: catalog.All(), Mode: mode, SandboxURL: base, Store: j,
		Resolve: resolve})
}

// counting counts what a launch asks of a client through its interface.
type counting struct {
	providers.Client
	validations, builds atomic.Int64
}

func (c *counting) Validate(v providers.Values) []providers.FieldError {
	c.validations.Add(1)
	return c.Client.Validate(v)
}

func (c *counting) Request(ctx context.Context, v providers.Values) (*http.Request, error) {
	c.builds.Add(1)
	return c.Client.Request(ctx, v)
}

// A launch validates its values once and builds its request once; the
// review text, the curl, the dry-run view and the recorded hash all come
// from that one request. (The provider's own Launch still checks what it
// is given: that is the client's contract, not the desk's workflow.)
func TestALaunchValidatesOnceAndBuildsOnce(t *testing.T) {
	sb := startSandbox(t)
	j := tempStore(t)
	var c *counting
	d := newDesk(t, providers.ModeSandbox, sb.URL, j, func(cl providers.Client) providers.Client {
		if cl.Secrets() == nil {
			return cl
		}
		w := &counting{Client: cl}
		if c == nil {
			c = w // the first provider: idenfy
		}
		return w
	})
	p, err := d.Provider("idenfy")
	if err != nil {
		t.Fatal(err)
	}
	dr := d.Draft(p, providers.Values{"clientId": {"count-1"}, "documents": {"PASSPORT"}})
	if !strings.Contains(dr.Text(), "count-1") || !strings.Contains(dr.Curl(), "curl") || d.Duplicate(dr) != "" {
		t.Fatalf("draft: text %q", dr.Text())
	}
	o, err := d.Launch(context.Background(), dr)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := [2]int64{c.validations.Load(), c.builds.Load()}, [2]int64{1, 1}; got != want {
		t.Errorf("validations, builds per launch = %v, want %v", got, want)
	}
	s, err := j.Get(context.Background(), o.ID)
	if err != nil || s.RequestHash != j.Fingerprint(dr.Request) || s.Customer != "count-1" {
		t.Errorf("recorded %+v (%v), want the draft's fingerprint and customer", s, err)
	}
}

// An OTP launch sends its code inside the launch, and the history records
// that it was sent, whichever front end launched it.
func TestDWSCodeIsSentAndRecordedOnLaunch(t *testing.T) {
	sb := startSandbox(t)
	path := filepath.Join(t.TempDir(), "kycdesk.db")
	j := openStore(t, path)
	d := newDesk(t, providers.ModeSandbox, sb.URL, j, nil)
	p, _ := d.Provider("dws")
	o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"identityValue": {"+447400123456"}}))
	if err != nil {
		t.Fatal(err)
	}
	if o.CodeErr != nil || o.Launch.Challenge == nil || !o.Launch.Challenge.Triggered || o.Launch.Challenge.SandboxCode == "" {
		t.Fatalf("the code was not sent on launch: %+v (%v)", o.Launch.Challenge, o.CodeErr)
	}
	// Another process (verify from the command line) sees it sent.
	s, err := openStore(t, path).Get(context.Background(), o.ID)
	if err != nil || s.Challenge == nil || !s.Challenge.Triggered {
		t.Fatalf("the history does not record the code as sent: %+v (%v)", s, err)
	}
	// Verify through Follow records the result; a status query (DWS has
	// none) keeps the final state recorded.
	f, err := d.Follow(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Verify(context.Background(), o.Launch.Challenge.SandboxCode)
	if err != nil || st.State != providers.StateApproved {
		t.Fatalf("verify: %+v %v", st, err)
	}
	f, err = d.Follow(o.ID) // as `status` in another process does: the launch as recorded
	if err != nil {
		t.Fatal(err)
	}
	before, _ := j.History(context.Background(), o.ID)
	for range 3 { // `kycdesk status ID` run again and again
		st, err = f.Status(context.Background())
		if err != nil || st.State != providers.StateApproved || strings.Contains(st.Detail, "as recorded") {
			t.Fatalf("status after verify: %+v %v, want the recorded approval as it was recorded", st, err)
		}
	}
	after, _ := j.History(context.Background(), o.ID)
	if len(after) != len(before) {
		t.Errorf("asking the status of a decided session appended %d events", len(after)-len(before))
	}
}

// A recorded session is followed at the endpoint and in the mode it was
// launched with, not at the desk's current sandbox.
func TestFollowAsksTheSessionsOwnEndpoint(t *testing.T) {
	first := startSandbox(t)
	j := tempStore(t)
	d1 := newDesk(t, providers.ModeSandbox, first.URL, j, nil)
	p, _ := d1.Provider("idenfy")
	o, err := d1.Launch(context.Background(), d1.Draft(p, providers.Values{"clientId": {"follow-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	// A later desk whose sandbox is elsewhere (here: nothing listens).
	d2 := newDesk(t, providers.ModeSandbox, closedURL(t), j, nil)
	before := first.hits.Load()
	f, err := d2.Follow(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Provider.Endpoint != first.URL || f.Mode != providers.ModeSandbox {
		t.Fatalf("followed at %s (%s), want %s", f.Provider.Endpoint, f.Mode, first.URL)
	}
	st, err := f.Status(context.Background())
	if err != nil || st.State != providers.StatePending {
		t.Fatalf("status: %+v %v", st, err)
	}
	if first.hits.Load() == before {
		t.Fatal("the status was not asked where the session was launched")
	}
	if f.AutoPolls() || f.NextPoll(0) != 0 { // iDenfy asks not to be polled
		t.Errorf("iDenfy is polled: every %v", f.NextPoll(0))
	}
}

// Live only, and only for a provider that bills every launch: a second
// launch for a customer with one pending is warned about.
func TestDuplicateWarnsBeforeASecondBilledLiveLaunch(t *testing.T) {
	sb := startSandbox(t)
	j := tempStore(t)
	live := newDesk(t, providers.ModeLive, sb.URL, j, nil)
	p, _ := live.Provider("idenfy")
	v := providers.Values{"clientId": {"dup-1"}}
	o, err := live.Launch(context.Background(), live.Draft(p, v))
	if err != nil {
		t.Fatal(err)
	}
	if w := live.Duplicate(live.Draft(p, v)); !strings.Contains(w, "already has a pending live session") || !strings.Contains(w, o.ID) {
		t.Errorf("no duplicate warning: %q", w)
	}
	if w := live.Duplicate(live.Draft(p, providers.Values{"clientId": {"other"}})); w != "" {
		t.Errorf("warned for another customer: %q", w)
	}
	sandboxDesk := newDesk(t, providers.ModeSandbox, sb.URL, j, nil)
	if w := sandboxDesk.Duplicate(sandboxDesk.Draft(sandboxDesk.Lookup("idenfy"), v)); w != "" {
		t.Errorf("warned in sandbox mode: %q", w)
	}
}

func TestCustomerIsTheOneRule(t *testing.T) {
	j := tempStore(t)
	d := newDesk(t, providers.ModeSandbox, "http://127.0.0.1:1", j, nil)
	reg := catalog.All()
	idenfy, _ := reg.Get("idenfy")
	alibaba, _ := reg.Get("alibaba")
	dws, _ := reg.Get("dws")
	if got := d.Customer(idenfy, providers.Values{"clientId": {" c-1 "}}); got != "c-1" {
		t.Errorf("idenfy: %q", got)
	}
	// Alibaba: the keyed HMAC it sends (under the store's customer key),
	// never the typed id nor its plain SHA-256.
	typed := providers.Values{"MerchantUserId": {"walk-in-42"}}
	req, err := d.Lookup("alibaba").Client.Request(context.Background(), d.Lookup("alibaba").Client.Prepare(
		providers.Values{"MerchantUserId": {"walk-in-42"}, "DocType": {"01000000"}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Customer(alibaba, typed); got != alibaba.CustomerKey(j.CustomerKey(), "walk-in-42") || got == "walk-in-42" ||
		got != req.URL.Query().Get("MerchantUserId") || got == fmt.Sprintf("%x", sha256.Sum256([]byte("walk-in-42"))) {
		t.Errorf("alibaba: %q, want the keyed id it sends (%q)", got, req.URL.Query().Get("MerchantUserId"))
	}
	if got := d.Customer(dws, providers.Values{"identityValue": {"+447400123456"}}); got != "+44******3456" {
		t.Errorf("dws: %q", got)
	}
}

// A code sent again is recorded: another process (status, a reconnected
// desk) sees how many codes went and the new code's expiry.
func TestDWSResendIsRecorded(t *testing.T) {
	clock := clocktest.New(time.Now())
	now := clock.Func()
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: url, Now: now})
	srv.Start()
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "kycdesk.db")
	j := openStore(t, path)
	resolve := func(desc providers.Descriptor, m providers.Mode, endpoint string) *Provider {
		r := config.Resolve(desc, providers.ModeSandbox, url, nil, func(string) string { return "" })
		r.Config.Now, r.Config.CustomerKey = now, j.CustomerKey()
		c, err := desc.New(r.Config)
		if err != nil {
			t.Fatal(err)
		}
		return &Provider{Desc: desc, Client: c, Endpoint: url}
	}
	d := New(Options{Registry: catalog.All(), Mode: providers.ModeSandbox, SandboxURL: url, Store: j, Resolve: resolve, Now: now})
	p, _ := d.Provider("dws")
	o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"identityValue": {"+447400123456"}}))
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Follow(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * time.Second) // past DWS's 30 s between codes
	if _, err := f.SendCode(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := openStore(t, path).Get(context.Background(), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Extra["codesSent"] != "2" || s.Challenge == nil || !s.Challenge.Triggered || s.Extra[providers.ExtraCodeSentAt] == "" {
		t.Fatalf("after a resend the record holds %v %+v", s.Extra, s.Challenge)
	}
	f2, _ := d.Follow(o.ID)
	st, err := f2.Status(context.Background())
	if err != nil || st.Fields["codesSent"] != "2" {
		t.Errorf("status after a resend: %+v %v", st, err)
	}
	evs, _ := j.History(context.Background(), o.ID)
	codes := 0
	for _, e := range evs {
		if e.Kind == session.EventCode {
			codes++
		}
	}
	if codes != 1 {
		t.Errorf("%d code events for one resend: %+v", codes, evs)
	}
}
