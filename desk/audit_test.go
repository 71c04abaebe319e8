package desk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/session"
)

type fakeMetrics struct {
	mu                sync.Mutex
	started, finished []string
	errs              []string
	waits             int
}

func (m *fakeMetrics) LaunchStarted(p string) {
	m.mu.Lock()
	m.started = append(m.started, p)
	m.mu.Unlock()
}
func (m *fakeMetrics) LaunchFinished(p, outcome string, _ time.Duration) {
	m.mu.Lock()
	m.finished = append(m.finished, p+":"+outcome)
	m.mu.Unlock()
}
func (m *fakeMetrics) ProviderError(p, code string) {
	m.mu.Lock()
	m.errs = append(m.errs, p+":"+code)
	m.mu.Unlock()
}
func (m *fakeMetrics) RateLimitWaited(string, time.Duration) { m.mu.Lock(); m.waits++; m.mu.Unlock() }

// servedDesk is newDesk as a served desk: operator alice at desk-12, with
// metrics and a shutdown tracker.
func servedDesk(t *testing.T, base string, j *session.Journal, m Metrics, track Tracker) *Desk {
	plain := newDesk(t, providers.ModeSandbox, base, j, nil)
	return New(Options{Registry: catalog.All(), Mode: providers.ModeSandbox, SandboxURL: base, History: j,
		Launcher: &session.Launcher{Journal: j, Customer: Customer}, Resolve: plain.o.Resolve,
		Operator: "alice", Desk: "desk-12", Metrics: m, Track: track})
}

// At a served desk every launch, status request, resend and verify is
// recorded with the operator and the desk; launches are counted and
// tracked; the code typed is never written.
func TestServedDeskRecordsWhoActed(t *testing.T) {
	sb := startSandbox(t)
	path := filepath.Join(t.TempDir(), "sessions.jsonl")
	j := openJournal(t, path)
	m := &fakeMetrics{}
	var tracked, done int
	track := func(ctx context.Context) (context.Context, func(), error) {
		tracked++
		return ctx, func() { done++ }, nil
	}
	d := servedDesk(t, sb.URL, j, m, track)

	p, _ := d.Provider("idenfy")
	o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"who-1"}, "documents": {"PASSPORT"}}))
	if err != nil {
		t.Fatal(err)
	}
	f := d.Followed(p, o)
	if _, err := f.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	dp, _ := d.Provider("dws")
	od, err := d.Launch(context.Background(), d.Draft(dp, providers.Values{"identityValue": {"+447400123456"}}))
	if err != nil {
		t.Fatal(err)
	}
	fd := d.Followed(dp, od)
	code := od.Launch.Challenge.SandboxCode
	// Too soon after the launch's code: refused, and still audited.
	if _, err := fd.SendCode(context.Background()); err == nil || !strings.Contains(err.Error(), "RESEND_TOO_SOON") {
		t.Fatalf("resend: %v", err)
	}
	if _, err := fd.Verify(context.Background(), code); err != nil {
		t.Fatal(err)
	}

	s, _ := j.Get(o.ID)
	if s.Operator != "alice" || s.Desk != "desk-12" {
		t.Errorf("launch recorded by %q at %q", s.Operator, s.Desk)
	}
	sd, _ := j.Get(od.ID)
	if last := sd.History[len(sd.History)-1]; last.Operator != "alice" || last.State != providers.StateApproved {
		t.Errorf("verify's status: %+v", last)
	}
	raw, _ := os.ReadFile(path)
	text := string(raw)
	for _, want := range []string{
		`"type":"audit","id":"` + o.ID + `"`, `"action":"status"`,
		`"type":"audit","id":"` + od.ID + `"`, `"action":"resend","detail":"failed: invalid RESEND_TOO_SOON"`, `"action":"verify","detail":"approved"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("journal lacks %s:\n%s", want, text)
		}
	}
	if strings.Count(text, `"action":"resend"`) != 1 {
		t.Errorf("the code the launch sent was audited as a resend:\n%s", text)
	}
	if code != "" && strings.Contains(text, `"`+code+`"`) {
		t.Errorf("the code typed reached the journal")
	}
	if len(m.started) != 2 || len(m.finished) != 2 || m.finished[0] != "idenfy:launched" {
		t.Errorf("metrics: started %v finished %v", m.started, m.finished)
	}
	if tracked != 2 || done != 2 {
		t.Errorf("tracked %d, done %d; want 2 and 2", tracked, done)
	}
}

// A stopping server refuses new launches: nothing is recorded or sent.
func TestServedDeskRefusesLaunchWhileStopping(t *testing.T) {
	sb := startSandbox(t)
	j := openJournal(t, filepath.Join(t.TempDir(), "sessions.jsonl"))
	d := servedDesk(t, sb.URL, j, nil, func(context.Context) (context.Context, func(), error) {
		return nil, nil, errors.New("stopping")
	})
	p, _ := d.Provider("idenfy")
	before := sb.hits.Load()
	_, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"late"}, "documents": {"PASSPORT"}}))
	if err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("err = %v", err)
	}
	if n := len(j.Sessions()); n != 0 || sb.hits.Load() != before {
		t.Errorf("%d sessions recorded, %d requests sent", n, sb.hits.Load()-before)
	}
}

// A local desk is left as it is: no wrappers around its history.
func TestLocalDeskNotInstrumented(t *testing.T) {
	j := openJournal(t, filepath.Join(t.TempDir(), "sessions.jsonl"))
	d := newDesk(t, providers.ModeSandbox, closedURL(t), j, nil)
	if _, ok := d.o.History.(*session.Journal); !ok {
		t.Errorf("history is %T", d.o.History)
	}
}

// 30 Alibaba launches from 3 desks at once on the sandbox, whose simulator
// refuses an account's 11th call within a second (Throttling.Api): the
// desks queue on the account's shared bucket, none fails, and the
// launching screens hear that they wait.
func TestAlibabaBurstFromThreeDesksQueues(t *testing.T) {
	sb := startSandbox(t)
	j := openJournal(t, filepath.Join(t.TempDir(), "sessions.jsonl"))
	m := &fakeMetrics{}
	var desks []*Desk
	for range 3 {
		desks = append(desks, servedDesk(t, sb.URL, j, m, nil))
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		waited int
	)
	for i := range 30 {
		d := desks[i%3]
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _ := d.Provider("alibaba")
			dr := d.Draft(p, providers.Values{"MerchantUserId": {"burst"}, "DocType": {"00000001"}})
			ctx := WithWaitNotice(context.Background(), func(time.Duration) { mu.Lock(); waited++; mu.Unlock() })
			if _, err := d.Launch(ctx, dr); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	launched := 0
	for _, s := range j.Sessions() {
		if s.Provider == "alibaba" && s.Launched() {
			launched++
		}
	}
	if launched != 30 {
		t.Errorf("%d of 30 launched", launched)
	}
	if waited == 0 || m.waits == 0 {
		t.Errorf("no launch queued (notices %d, metrics %d)", waited, m.waits)
	}
	for _, e := range m.errs {
		t.Errorf("provider error counted: %s", e)
	}
}
