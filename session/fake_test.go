package session_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
	_ "github.com/kycdesk/kycdesk/session/sqlite"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// testSecret is the fake client's API secret: it is in every request's
// Authorization header and must never reach the store.
const testSecret = "s3cr3t-XYZ-0123456789"

func testSpec() providers.Spec {
	return providers.Spec{
		{Name: "clientId", Kind: providers.KindText, Required: true, MaxLen: 100},
		{Name: "requestId", Kind: providers.KindText, Generate: func() string { return providers.RandomHex(16) }},
		{Name: "locale", Kind: providers.KindEnum, Options: []providers.Option{{Value: "en"}, {Value: "lt"}}},
		{Name: "firstName", Kind: providers.KindText, Personal: true},
		{Name: "dateOfBirth", Kind: providers.KindDate, Personal: true},
		{Name: "phone", Kind: providers.KindPhone, Personal: true},
		{Name: "documents", Kind: providers.KindMultiEnum, Options: []providers.Option{{Value: "PASSPORT"}, {Value: "ID_CARD"}}},
	}
}

func testDescriptor() providers.Descriptor {
	return providers.Descriptor{ID: "fake", Name: "Fake provider", Spec: testSpec}
}

// fakeClient is a providers.Client whose launches and statuses the test scripts.
type fakeClient struct {
	endpoint string
	spec     providers.Spec
	// launch answers Launch; nil launches successfully.
	launch   func(ctx context.Context, v providers.Values) (*providers.Launch, error)
	status   *providers.Status
	launches atomic.Int64
	mu       sync.Mutex
	lastVals providers.Values
}

func newFake() *fakeClient {
	return &fakeClient{endpoint: "https://api.fake.test", spec: testSpec()}
}

func (c *fakeClient) Prepare(v providers.Values) providers.Values {
	v = c.spec.Canonical(v)
	if !v.Has("requestId") {
		v.Set("requestId", providers.RandomHex(16))
	}
	return v
}

func (c *fakeClient) Validate(v providers.Values) []providers.FieldError {
	return providers.ValidateSpec(c.spec, c.spec.Canonical(v))
}

func (c *fakeClient) Request(ctx context.Context, v providers.Values) (*http.Request, error) {
	v = c.spec.Canonical(v)
	body := map[string]any{}
	for name, vals := range v {
		p, _ := c.spec.Lookup(name)
		body[name] = providers.Typed(p, vals)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/api/v2/token", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("key-id", testSecret)
	req.Header.Set("X-Request-Time", time.Now().Format(time.RFC3339Nano)) // differs on every call
	return req, nil
}

func (c *fakeClient) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	c.launches.Add(1)
	c.mu.Lock()
	c.lastVals = v.Clone()
	c.mu.Unlock()
	if c.launch != nil {
		return c.launch(ctx, v)
	}
	return okLaunch(v), nil
}

func okLaunch(v providers.Values) *providers.Launch {
	ref := "scan-" + v.Get("requestId")
	return &providers.Launch{
		Provider:   "fake",
		References: map[string]string{"scanRef": ref, "authToken": "tok-" + v.Get("requestId")},
		URL:        "https://ui.fake.test/redirect?authToken=tok-" + v.Get("requestId"),
		ExpiresAt:  time.Now().Add(30 * time.Minute),
		SingleUse:  true,
		Customer:   v.Get("clientId"),
		Challenge: &providers.Challenge{Type: "SMS", RenderValue: "****5678", ChallengeID: ref,
			SandboxCode: "424242"},
	}
}

func (c *fakeClient) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	if c.status != nil {
		return c.status, nil
	}
	return &providers.Status{State: providers.StatePending, At: time.Now()}, nil
}

func (c *fakeClient) Secrets() []string { return []string{testSecret} }

func newClock() *clocktest.Clock { return clocktest.New(clocktest.Start) }

// tempStore is a new SQLite store in a temporary directory, and its file.
func tempStore(t testing.TB) (string, session.Store) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "kycdesk", "kycdesk.db")
	env := map[string]string{"HOME": dir, session.KeyEnv: storetest.TestKey}
	st, err := session.OpenStore(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return path, st
}

func values(clientID string) providers.Values {
	return providers.Values{"clientId": {clientID}, "locale": {"en"}, "requestId": {providers.RandomHex(8)}}
}
