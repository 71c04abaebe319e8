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
func servedDesk(t *testing.T, base string, j session.Store, m Metrics, track Tracker) *Desk {
	plain := newDesk(t, providers.ModeSandbox, base, j, nil)
	return New(Options{Registry: catalog.All(), Mode: providers.ModeSandbox, SandboxURL: base, Store: j,
		Resolve:  plain.o.Resolve,
		Operator: "alice", Desk: "desk-12", Metrics: m, Track: track})
}

// At a served desk every launch, status request, resend and verify is
// recorded with the operator and the desk; launches are counted and
// tracked; the code typed is never written.
func TestServedDeskRecordsWhoActed(t *testing.T) {
	sb := startSandbox(t)
	path := filepath.Join(t.TempDir(), "kycdesk.db")
	j := openStore(t, path)
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

	s := get(t, j, o.ID)
	if s.Operator != "alice" || s.Desk != "desk-12" {
		t.Errorf("launch recorded by %q at %q", s.Operator, s.Desk)
	}
	sd := get(t, j, od.ID)
	if last := sd.History[len(sd.History)-1]; last.Operator != "alice" || last.State != providers.StateApproved {
		t.Errorf("verify's status: %+v", last)
	}
	// The audit trail: every event by alice at desk-12, the operator's
	// actions as audit events.
	var audits []string
	for _, id := range []string{o.ID, od.ID} {
		evs, err := j.History(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Actor != (session.Actor{Operator: "alice", Desk: "desk-12"}) && e.Kind != session.EventOutcome {
				t.Errorf("%s event of %s by %+v", e.Kind, id, e.Actor)
			}
			if e.Kind == session.EventAudit {
				audits = append(audits, id+" "+e.Action+": "+e.Detail)
			}
		}
	}
	want := []string{o.ID + " status: pending", od.ID + " resend: failed: invalid RESEND_TOO_SOON", od.ID + " verify: approved"}
	if strings.Join(audits, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit events:\n%s\nwant (the code the launch sent is not a resend):\n%s", strings.Join(audits, "\n"), strings.Join(want, "\n"))
	}
	raw, _ := os.ReadFile(path)
	wal, _ := os.ReadFile(path + "-wal")
	if text := string(raw) + string(wal); code == "" || strings.Contains(text, `"`+code+`"`) {
		t.Errorf("the code typed reached the store (or there was none)")
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
	j := tempStore(t)
	d := servedDesk(t, sb.URL, j, nil, func(context.Context) (context.Context, func(), error) {
		return nil, nil, errors.New("stopping")
	})
	p, _ := d.Provider("idenfy")
	before := sb.hits.Load()
	_, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"late"}, "documents": {"PASSPORT"}}))
	if err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("err = %v", err)
	}
	if n, _ := j.Count(context.Background(), session.Query{}); n != 0 || sb.hits.Load() != before {
		t.Errorf("%d sessions recorded, %d requests sent", n, sb.hits.Load()-before)
	}
}

// A local desk is left as it is: no wrappers around its clients.
func TestLocalDeskNotInstrumented(t *testing.T) {
	d := newDesk(t, providers.ModeSandbox, closedURL(t), tempStore(t), nil)
	for _, p := range d.Providers() {
		if _, ok := p.Client.(auditedClient); ok {
			t.Errorf("%s's client is audited", p.Desc.ID)
		}
		if _, ok := p.Client.(auditedChallenger); ok {
			t.Errorf("%s's client is audited", p.Desc.ID)
		}
	}
}

// 30 Alibaba launches from 3 desks at once on the sandbox, whose simulator
// refuses an account's 11th call within a second (Throttling.Api): the
// desks queue on the account's shared bucket, none fails, and the
// launching screens hear that they wait.
func TestAlibabaBurstFromThreeDesksQueues(t *testing.T) {
	sb := startSandbox(t)
	j := tempStore(t)
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
	list, _ := j.List(context.Background(), session.Query{})
	for _, s := range list {
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
