package sandbox

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// The sandbox passes --webhook-url and its signing key to the iDenfy
// simulator, which signs what it sends with it.
func TestSandboxWebhooks(t *testing.T) {
	var mu sync.Mutex
	var sigs []string
	var bodies [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		sigs = append(sigs, r.Header.Get(idenfy.SignatureHeader))
		bodies = append(bodies, body)
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()
	for _, bad := range []string{"http://example.com/hook", "ftp://127.0.0.1/x"} {
		if CheckWebhookURL(bad) == "" {
			t.Errorf("%s accepted", bad)
		}
	}
	if msg := CheckWebhookURL(recv.URL + "/callbacks/idenfy"); msg != "" {
		t.Fatal(msg)
	}
	deliver := &providers.Deliverer{}
	srv, err := Start(catalog.All(), "127.0.0.1:0", Options{WebhookURL: recv.URL + "/callbacks/idenfy", Callbacks: deliver})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if len(srv.WebhookSigningKey) != 32 {
		t.Fatalf("signing key %q", srv.WebhookSigningKey)
	}
	lines := WebhookLines(Options{WebhookURL: "http://127.0.0.1:1/callbacks/idenfy", WebhookSigningKey: srv.WebhookSigningKey})
	if len(lines) == 0 || !strings.Contains(lines[0], srv.WebhookSigningKey) {
		t.Fatalf("%q", lines)
	}
	c, err := idenfy.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL,
		Credentials: map[string]string{"apiKey": idenfy.SandboxAPIKey, "apiSecret": idenfy.SandboxAPISecret}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(srv.URL+idenfy.RedirectPath+"/"+idenfy.ActionDeny, url.Values{"authToken": {l.References["authToken"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deliver.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(sigs) != 1 || idenfy.VerifyWebhook([]byte(srv.WebhookSigningKey), bodies[0], sigs[0]) != nil {
		t.Fatalf("webhooks %q %s", sigs, bodies)
	}
}
