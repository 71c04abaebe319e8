package desk

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/callbacks"
	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
)

// followSandbox is a sandbox that counts status requests (iDenfy's
// /api/v2/status, Alibaba's CheckResult) and whose callbacks can be waited
// for.
type followSandbox struct {
	URL            string
	deliver        *providers.Deliverer
	idenfyStatus   atomic.Int64
	alibabaResults atomic.Int64
}

func startFollowSandbox(t *testing.T, signingKey string) *followSandbox {
	t.Helper()
	sb := &followSandbox{deliver: &providers.Deliverer{}}
	srv := httptest.NewUnstartedServer(nil)
	sb.URL = "http://" + srv.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: sb.URL, WebhookSigningKey: signingKey, Callbacks: sb.deliver})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == idenfy.StatusPath:
			sb.idenfyStatus.Add(1)
		case r.Header.Get("x-acs-action") == "CheckResult":
			sb.alibabaResults.Add(1)
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return sb
}

// followDesk is a desk in mode at base whose clients point callbacks at
// target (nil: no receiver); set adjusts its options.
func followDesk(t *testing.T, mode providers.Mode, base string, j session.Store, target *providers.CallbackTarget, set func(*Options)) *Desk {
	resolve := func(d providers.Descriptor, m providers.Mode, endpoint string) *Provider {
		if endpoint == "" {
			endpoint = base
		}
		r := config.Resolve(d, providers.ModeSandbox, endpoint, nil, func(string) string { return "" })
		r.Config.Mode = m
		p := &Provider{Desc: d, Endpoint: r.Config.BaseURL}
		if target != nil && m == providers.ModeSandbox && d.FollowPolicy().Callbacks {
			r.Config.Callback = target
			p.CallbackURL = target.URL(d.ID)
		}
		c, err := d.New(r.Config)
		if err != nil {
			t.Fatal(err)
		}
		p.Client = c
		return p
	}
	o := Options{Registry: catalog.All(), Mode: mode, SandboxURL: base, Store: j,
		Resolve: resolve}
	if set != nil {
		set(&o)
	}
	return New(o)
}

// approveAlibaba acts as the customer on Alibaba's sandbox page.
func approveAlibaba(t *testing.T, pageURL string) {
	t.Helper()
	actAlibaba(t, pageURL, "approve")
}

// actAlibaba presses a button (approve, deny, abandon) on Alibaba's
// sandbox page.
func actAlibaba(t *testing.T, pageURL, action string) {
	t.Helper()
	page, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindSubmatch(html)
	if m == nil {
		t.Fatalf("no token on the page: %s", html)
	}
	resp, err := http.PostForm(pageURL, url.Values{"token": {string(m[1])}, "action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// approveIdenfy acts as the customer on iDenfy's sandbox page.
func approveIdenfy(t *testing.T, base string, l *providers.Launch) {
	t.Helper()
	resp, err := http.PostForm(base+idenfy.RedirectPath+"/"+idenfy.ActionApprove, url.Values{"authToken": {l.References["authToken"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// drained lists the ids waiting on the desk's change feed.
func drained(d *Desk) map[string]int {
	got := map[string]int{}
	for {
		select {
		case c := <-d.Changes():
			got[c.ID]++
		default:
			return got
		}
	}
}

// The path production uses: the simulators call the desk's receiver
// (iDenfy's per-session callbackUrl, signed; Alibaba's CallbackUrl and
// CheckResult), the results land in the history and on the change feed,
// and nothing is polled.
func TestCallbacksReachTheHistoryAndTheChangeFeed(t *testing.T) {
	const key = "sandbox-signing-key"
	sb := startFollowSandbox(t, key)
	j := tempStore(t)
	rsrv := httptest.NewUnstartedServer(nil)
	target := &providers.CallbackTarget{BaseURL: "http://" + rsrv.Listener.Addr().String(), Key: []byte("alibaba-callback-key")}
	d := followDesk(t, providers.ModeSandbox, sb.URL, j, target, nil)
	recv := callbacks.New(d.CallbackSink(), callbacks.Options{IdenfySigningKey: []byte(key), AlibabaKey: target.Key})
	rsrv.Config.Handler = recv
	rsrv.Start()
	t.Cleanup(rsrv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.StartFollowing(ctx)

	ip, _ := d.Provider("idenfy")
	iOut, err := d.Launch(ctx, d.Draft(ip, providers.Values{"clientId": {"cb-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	ap, _ := d.Provider("alibaba")
	ao, err := d.Launch(ctx, d.Draft(ap, providers.Values{"DocType": {"01000000"}, "MerchantUserId": {"cb-2"}, "ReturnUrl": {"https://example.com/done"}, "SecurityLevel": {"01"}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*Outcome{iOut, ao} {
		f := d.Followed(d.Lookup(o.Provider), o)
		if !o.Callbacks || f.AutoPolls() {
			t.Fatalf("%s: callbacks %v, polled %v: a session followed by callback is polled", o.Provider, o.Callbacks, f.AutoPolls())
		}
		// Alibaba is asked once, when its link expires (its callbacks say
		// nothing of a customer who gives up); iDenfy never.
		if got, want := f.Watch(), o.Provider == "alibaba"; got != want {
			t.Fatalf("%s: Watch %v, want %v", o.Provider, got, want)
		}
	}
	drained(d)

	approveIdenfy(t, sb.URL, iOut.Launch)
	approveAlibaba(t, ao.Launch.URL)
	sb.deliver.Wait() // the simulators' callbacks are answered
	recv.Wait()       // Alibaba's one CheckResult is recorded

	changed := drained(d)
	for _, o := range []*Outcome{iOut, ao} {
		s, err := j.Get(context.Background(), o.ID)
		if err != nil || s.State != providers.StateApproved {
			t.Fatalf("%s: recorded %v (%v); receiver counts %+v", o.Provider, s.State, err, recv.Counts())
		}
		if changed[o.ID] == 0 {
			t.Errorf("%s: no change announced (feed %v)", o.Provider, changed)
		}
	}
	if recv.Count(idenfy.ID, callbacks.Accepted, callbacks.ReasonRecorded) != 1 {
		t.Errorf("the iDenfy webhook was not signed and verified: %+v", recv.Counts())
	}
	if n := sb.idenfyStatus.Load(); n != 0 {
		t.Errorf("%d iDenfy status requests, want none", n)
	}
	if n := sb.alibabaResults.Load(); n != 1 {
		t.Errorf("%d CheckResult requests, want the one the callback triggers", n)
	}

	// The receiver's deadline bounds the sink's store calls: a caller that
	// has given up gets no record.
	gone, cancelGone := context.WithCancel(context.Background())
	cancelGone()
	if err := d.CallbackSink().Record(gone, idenfy.ID, iOut.Launch.References["scanRef"], &providers.Status{State: providers.StateDenied}, callbacks.ProofSignature); err == nil {
		t.Error("the sink recorded a result after its caller's deadline")
	}
	if s, _ := j.Get(context.Background(), iOut.ID); s.State != providers.StateApproved {
		t.Errorf("a result past its deadline was recorded: %s", s.State)
	}

	// A late non-final result does not reopen a decided session.
	if err := d.RecordCallback(idenfy.ID, iOut.Launch.References["scanRef"], &providers.Status{State: providers.StatePending, Detail: "late"},
		callbacks.ProofSignature); err != nil {
		t.Fatal(err)
	}
	if s, _ := j.Get(context.Background(), iOut.ID); s.State != providers.StateApproved {
		t.Errorf("a late pending result replaced the approval: %s", s.State)
	}
	// A later verdict from the provider (a manual review) supersedes it,
	// both kept, each with its source.
	if err := d.RecordCallback(idenfy.ID, iOut.Launch.References["scanRef"], &providers.Status{State: providers.StateDenied, Detail: "manual review"},
		callbacks.ProofSignature); err != nil {
		t.Fatal(err)
	}
	s, _ := j.Get(context.Background(), iOut.ID)
	if n := len(s.History); s.State != providers.StateDenied || n < 3 || s.History[n-2].State != providers.StateApproved ||
		s.History[n-1].Source != session.SourceCallback || s.History[0].Source != session.SourceLaunch {
		t.Errorf("superseded: %s %+v", s.State, s.History)
	}
}

// A sandbox receiver never touches a live session, nor a session of
// another provider, nor one whose reference only looks like an id.
func TestCallbackSinkKeepsToItsModeAndProvider(t *testing.T) {
	sb := startFollowSandbox(t, "")
	j := tempStore(t)
	live := followDesk(t, providers.ModeLive, sb.URL, j, nil, nil)
	lp, _ := live.Provider("idenfy")
	lo, err := live.Launch(context.Background(), live.Draft(lp, providers.Values{"clientId": {"live-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	sbx := followDesk(t, providers.ModeSandbox, sb.URL, j, nil, nil)
	sink := sbx.CallbackSink()
	scanRef := lo.Launch.References["scanRef"]
	for _, tc := range [][2]string{{idenfy.ID, scanRef}, {alibaba.ID, scanRef}, {idenfy.ID, lo.ID[:4]}, {idenfy.ID, ""}} {
		if _, err := sink.Session(context.Background(), tc[0], tc[1]); !errors.Is(err, callbacks.ErrUnknownSession) {
			t.Errorf("%v: %v, want ErrUnknownSession", tc, err)
		}
	}
	if err := sbx.RecordCallback(idenfy.ID, scanRef, &providers.Status{State: providers.StateApproved}, callbacks.ProofSignature); !errors.Is(err, callbacks.ErrUnknownSession) {
		t.Errorf("a sandbox receiver recorded a live session: %v", err)
	}
	// The live desk's own sink finds it.
	if s, err := live.CallbackSink().Session(context.Background(), idenfy.ID, scanRef); err != nil || s.Final || s.Launch.References["scanRef"] != scanRef {
		t.Errorf("live sink: %+v %v", s, err)
	}
}

// wait is one timer the follower asked for.
type wait struct {
	d    time.Duration
	fire chan time.Time
}

// Alibaba without a reachable receiver: the follower asks CheckResult
// after each of the policy's delays (5 s doubling to 60 s), by itself,
// until the result is final, and then stops.
func TestAlibabaWithoutCallbacksIsPolledWithThePolicysDelays(t *testing.T) {
	sb := startFollowSandbox(t, "")
	j := tempStore(t)
	waits := make(chan wait)
	done := make(chan struct{})
	d := followDesk(t, providers.ModeSandbox, sb.URL, j, nil, func(o *Options) {
		o.After = func(d time.Duration) <-chan time.Time {
			w := wait{d: d, fire: make(chan time.Time, 1)}
			select {
			case waits <- w:
			case <-done:
			}
			return w.fire
		}
	})
	// Registered after the desk's own cleanup, so it runs first: a test
	// that stops early frees the follower before the desk closes.
	t.Cleanup(func() { close(done) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.StartFollowing(ctx)
	p, _ := d.Provider("alibaba")
	o, err := d.Launch(ctx, d.Draft(p, providers.Values{"DocType": {"01000000"}, "MerchantUserId": {"poll-1"}, "ReturnUrl": {"https://example.com/done"}, "SecurityLevel": {"01"}}))
	if err != nil {
		t.Fatal(err)
	}
	f := d.Followed(p, o)
	if o.Callbacks || !f.AutoPolls() || !f.Watch() || f.Watch() {
		t.Fatalf("callbacks %v, polls %v: want one poller", o.Callbacks, f.AutoPolls())
	}
	next := func() wait {
		t.Helper()
		select {
		case w := <-waits:
			return w
		case <-time.After(30 * time.Second): // a deadline for a hang, not a measure
			t.Fatal("the follower stopped asking")
			return wait{}
		}
	}
	pol := alibaba.Follow
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 60 * time.Second, 60 * time.Second}
	for i, wd := range want {
		w := next()
		if w.d != wd || w.d != pol.PollDelay(i) {
			t.Fatalf("wait %d is %v, want %v", i, w.d, wd)
		}
		if got := sb.alibabaResults.Load(); got != int64(i) {
			t.Fatalf("before poll %d: %d CheckResult requests", i, got)
		}
		if i == len(want)-1 {
			approveAlibaba(t, o.Launch.URL)
		}
		w.fire <- time.Now()
	}
	// The last poll finds the approval and the follower stops.
	for len(d.Following()) > 0 {
		select {
		case w := <-waits:
			t.Fatalf("the follower asked again (%v) after a final result", w.d)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if s, _ := j.Get(context.Background(), o.ID); s.State != providers.StateApproved || sb.alibabaResults.Load() != int64(len(want)) {
		t.Fatalf("state %s after %d CheckResult requests", s.State, sb.alibabaResults.Load())
	}
	if n := sb.idenfyStatus.Load(); n != 0 {
		t.Errorf("%d iDenfy status requests", n)
	}
}

// iDenfy is never polled by the follower, and r is limited per session:
// asked again within 10 s, nothing is sent.
func TestIdenfyIsNeverPolledAndRefreshIsLimited(t *testing.T) {
	sb := startFollowSandbox(t, "")
	j := tempStore(t)
	clock := clocktest.New(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	d := followDesk(t, providers.ModeLive, sb.URL, j, nil, func(o *Options) { o.Now = clock.Now })
	d.StartFollowing(context.Background())
	defer d.Close()
	p, _ := d.Provider("idenfy")
	o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"r-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	f := d.Followed(p, o)
	if f.Watch() || f.AutoPolls() || len(d.Following()) != 0 {
		t.Fatal("an iDenfy session is polled")
	}
	if _, err := f.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := clock.Advance(9 * time.Second)
	_, err = f.Refresh(context.Background())
	var soon *TooSoonError
	if !errors.As(err, &soon) || !soon.Next.Equal(now.Add(time.Second)) {
		t.Fatalf("second r within 10 s: %v", err)
	}
	if n := sb.idenfyStatus.Load(); n != 1 {
		t.Fatalf("%d status requests for two r within 10 s, want 1", n)
	}
	now = clock.Advance(time.Second)
	if _, err := f.Refresh(context.Background()); err != nil || sb.idenfyStatus.Load() != 2 {
		t.Fatalf("r after 10 s: %v (%d requests)", err, sb.idenfyStatus.Load())
	}
	if !f.CheckedAt().Equal(now) {
		t.Errorf("checked at %v, want %v", f.CheckedAt(), now)
	}
}

// A relaunch starts without generated ids and without a callback URL
// kycdesk filled for a receiver (today's or an earlier console's port).
func TestRelaunchValuesDropAFilledCallbackURL(t *testing.T) {
	d := followDesk(t, providers.ModeSandbox, "http://127.0.0.1:1", tempStore(t),
		&providers.CallbackTarget{BaseURL: "http://127.0.0.1:2", Key: []byte("k")}, nil)
	v := RelaunchValues(d.Lookup("alibaba"), providers.Values{"MerchantBizId": {"b"}, "DocType": {"01000000"},
		"CallbackUrl": {"http://127.0.0.1:39999/callbacks/alibaba"}})
	if v.Has("MerchantBizId") || v.Has("CallbackUrl") || v.Get("DocType") != "01000000" {
		t.Errorf("relaunch values %v", v)
	}
	own := RelaunchValues(d.Lookup("idenfy"), providers.Values{"callbackUrl": {"https://hooks.example.com/idenfy"}})
	if own.Get("callbackUrl") != "https://hooks.example.com/idenfy" {
		t.Errorf("the operator's own webhook was dropped: %v", own)
	}
}

// A customer who abandons Alibaba's page makes no callback: the desk asks
// CheckResult once when the link expires (not before), and the session
// leaves PENDING.
func TestAlibabaAbandonAskedOnceAtExpiry(t *testing.T) {
	sb := startFollowSandbox(t, "")
	j := tempStore(t)
	rsrv := httptest.NewUnstartedServer(nil)
	target := &providers.CallbackTarget{BaseURL: "http://" + rsrv.Listener.Addr().String(), Key: []byte("alibaba-callback-key")}
	waits := make(chan wait)
	done := make(chan struct{})
	clock := clocktest.New(time.Now())
	d := followDesk(t, providers.ModeSandbox, sb.URL, j, target, func(o *Options) {
		o.Now = clock.Now
		o.After = func(d time.Duration) <-chan time.Time {
			w := wait{d: d, fire: make(chan time.Time, 1)}
			select {
			case waits <- w:
			case <-done:
			}
			return w.fire
		}
	})
	t.Cleanup(func() { close(done) })
	recv := callbacks.New(d.CallbackSink(), callbacks.Options{AlibabaKey: target.Key})
	rsrv.Config.Handler = recv
	rsrv.Start()
	t.Cleanup(rsrv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.StartFollowing(ctx)
	p, _ := d.Provider("alibaba")
	o, err := d.Launch(ctx, d.Draft(p, providers.Values{"DocType": {"01000000"}, "MerchantUserId": {"gone-1"},
		"ReturnUrl": {"https://example.com/done"}, "SecurityLevel": {"01"}}))
	if err != nil {
		t.Fatal(err)
	}
	f := d.Followed(p, o)
	if !o.Callbacks || f.AutoPolls() || !f.Watch() || f.Watch() {
		t.Fatalf("callbacks %v, polls %v: want one expiry check", o.Callbacks, f.AutoPolls())
	}
	var w wait
	select {
	case w = <-waits:
	case <-time.After(30 * time.Second): // a deadline for a hang, not a measure
		t.Fatal("no expiry check was scheduled")
	}
	if want := time.Until(o.Launch.ExpiresAt); w.d < want-time.Minute || w.d > want+time.Minute {
		t.Fatalf("the check waits %v, want about %v (the link's expiry)", w.d, want)
	}
	actAlibaba(t, o.Launch.URL, "abandon")
	sb.deliver.Wait()
	if n := sb.alibabaResults.Load(); n != 0 {
		t.Fatalf("%d CheckResult requests before the link expired", n)
	}
	clock.Set(o.Launch.ExpiresAt.Add(expiryMargin))
	w.fire <- time.Now()
	for len(d.Following()) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	s, _ := j.Get(context.Background(), o.ID)
	if sb.alibabaResults.Load() != 1 || s.State == providers.StatePending {
		t.Fatalf("after the expiry: %d CheckResult requests, state %s %+v", sb.alibabaResults.Load(), s.State, s.History)
	}
}
