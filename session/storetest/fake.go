package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// secret is the fake client's API secret: it is in every request and
// must never reach the store.
const secret = "s3cr3t-XYZ-0123456789"

// Personal values the suite launches with; none may reach the store.
const (
	personalName  = "Jonas"
	personalBirth = "1990-04-12"
	personalPhone = "+44 7400 123456"
)

func fakeSpec() providers.Spec {
	return providers.Spec{
		{Name: "clientId", Kind: providers.KindText, Required: true, MaxLen: 100},
		{Name: "requestId", Kind: providers.KindText, Generate: func() string { return providers.RandomHex(16) }},
		{Name: "locale", Kind: providers.KindEnum, Options: []providers.Option{{Value: "en"}, {Value: "lt"}}},
		{Name: "firstName", Kind: providers.KindText, Personal: true},
		{Name: "dateOfBirth", Kind: providers.KindDate, Personal: true},
		{Name: "phone", Kind: providers.KindPhone, Personal: true},
	}
}

func descriptor(id string) providers.Descriptor {
	return providers.Descriptor{ID: id, Name: "Fake " + id, Spec: fakeSpec, CustomerParam: "clientId", MainReference: "scanRef"}
}

// keyedRegistry has a provider that records its customer desensitised
// under the store's customer key, as Alibaba does.
func keyedRegistry() providers.Registry {
	d := descriptor("alibaba")
	d.CustomerKey = providers.KeyedID
	return providers.Registry{d}
}

const endpoint = "https://api.fake.test"

// fakeClient is a providers.Client whose launches the test scripts.
type fakeClient struct {
	spec providers.Spec
	// launch answers Launch; nil launches successfully.
	launch func(ctx context.Context, v providers.Values) (*providers.Launch, error)
	mu     sync.Mutex
	sent   int
}

func newClient() *fakeClient { return &fakeClient{spec: fakeSpec()} }

func (c *fakeClient) Prepare(v providers.Values) providers.Values { return c.spec.Canonical(v) }

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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/api/v2/token", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("key-id", secret)
	req.Header.Set("X-Request-Time", time.Now().Format(time.RFC3339Nano)) // differs on every call
	return req, nil
}

func (c *fakeClient) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	c.mu.Lock()
	c.sent++
	c.mu.Unlock()
	if c.launch != nil {
		return c.launch(ctx, v)
	}
	return okLaunch(v), nil
}

func (c *fakeClient) launches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent
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
		Challenge: &providers.Challenge{Type: "SMS", RenderValue: "****3456", ChallengeID: ref,
			SandboxCode: "424242"},
	}
}

func (c *fakeClient) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	return &providers.Status{State: providers.StatePending, At: time.Now()}, nil
}

func (c *fakeClient) Secrets() []string { return []string{secret} }

func values(clientID, requestID string) providers.Values {
	return providers.Values{"clientId": {clientID}, "locale": {"en"}, "requestId": {requestID}}
}
