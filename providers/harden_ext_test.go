package providers_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

func idenfyClient(t *testing.T, base string, hc *http.Client) providers.Client {
	t.Helper()
	c, err := idenfy.New(providers.Config{Mode: providers.ModeLive, BaseURL: base, HTTP: hc,
		Credentials: map[string]string{"apiKey": "key-1234", "apiSecret": "secret-5678"}})
	if err != nil {
		t.Fatal(err)
	}
	return providers.Masked(c)
}

// TestRedirectIsRefused: an endpoint answering 307 elsewhere gets no
// follow-up: the capture server sees no connection, and the launch fails
// as a transport error naming the redirect.
func TestRedirectIsRefused(t *testing.T) {
	var conns atomic.Int64
	capture := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	capture.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	capture.Start()
	defer capture.Close()
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, capture.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer endpoint.Close()

	// Both a client of our own and one a caller passes in.
	for _, hc := range []*http.Client{nil, endpoint.Client(), {}} {
		_, err := idenfyClient(t, endpoint.URL, hc).Launch(context.Background(), providers.Values{"clientId": {"c1"}})
		e := providers.AsError(err)
		if e == nil || e.Kind != providers.KindTransport || !strings.Contains(e.Message, "307") || providers.AsError(err).Kind != providers.KindTransport {
			t.Fatalf("redirect: %#v", e)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("the redirect target saw %d connections", n)
	}
}

// TestTLSHandshakeFailureIsTransport: https to a plain-http port fails in
// the handshake, before anything is sent: a transport error (exit 1), not
// an unknown outcome.
func TestTLSHandshakeFailureIsTransport(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	base := strings.Replace(plain.URL, "http://", "https://", 1)
	_, err := idenfyClient(t, base, nil).Launch(context.Background(), providers.Values{"clientId": {"c1"}})
	e := providers.AsError(err)
	if e.Kind != providers.KindTransport || providers.AsError(err).Kind != providers.KindTransport || !strings.Contains(e.Message, "TLS handshake") ||
		!strings.Contains(e.Action, "nothing was sent") {
		t.Fatalf("TLS to a plain port: %#v", e)
	}
	// A server that answers the ClientHello with bytes that are not TLS.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("\x00\x01\x02\x03\x04\x05\x06\x07garbage"))
			c.Close()
		}
	}()
	_, err = idenfyClient(t, "https://"+ln.Addr().String(), nil).Launch(context.Background(), providers.Values{"clientId": {"c1"}})
	if e := providers.AsError(err); e.Kind != providers.KindTransport || !strings.Contains(e.Message, "does not look like a TLS handshake") {
		t.Fatalf("non-TLS bytes: %#v", e)
	}
	// An untrusted certificate is also refused before sending.
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	_, err = idenfyClient(t, tlsSrv.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c1"}})
	if e := providers.AsError(err); e.Kind != providers.KindTransport {
		t.Fatalf("untrusted certificate: %#v", e)
	}
}

// TestEchoedPersonalDataIsMasked: personal values a provider repeats in an
// error never reach the caller; the rest of the message does.
func TestEchoedPersonalDataIsMasked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write([]byte(`{"identifier":"BAD_VALUE","message":"person JONAS JONAITIS born 1990-01-02 with number 39001020000 and document AB1234567 is refused; clientId c-visible"}`))
	}))
	defer srv.Close()
	v := providers.Values{"clientId": {"c-visible"}, "firstName": {"Jonas"}, "lastName": {"Jonaitis"},
		"dateOfBirth": {"1990-01-02"}, "personalNumber": {"39001020000"}, "documentNumber": {"AB1234567"}}
	_, err := idenfyClient(t, srv.URL, nil).Launch(context.Background(), v)
	if err == nil {
		t.Fatal("no error")
	}
	e := providers.AsError(err)
	all := err.Error() + e.Message + e.Action
	for _, p := range []string{"JONAS", "Jonas", "JONAITIS", "1990-01-02", "39001020000", "AB1234567"} {
		if strings.Contains(all, p) {
			t.Errorf("%q reached the error: %s", p, all)
		}
	}
	if e.Code != "BAD_VALUE" || !strings.Contains(all, "c-visible") || !strings.Contains(all, "is refused") {
		t.Errorf("the rest of the message was lost: %s", all)
	}
}

// TestHostedURLRules: https, no userinfo, the provider's host family or an
// explicit setting; in sandbox mode the sandbox's own URLs.
func TestHostedURLRules(t *testing.T) {
	live := providers.Config{Mode: providers.ModeLive, BaseURL: "https://ivs.idenfy.com"}
	family := idenfy.HostedURLHosts
	for _, tc := range []struct {
		url string
		cfg providers.Config
		ok  bool
	}{
		{"https://ivs.idenfy.com/api/v2/redirect?authToken=x", live, true},
		{"https://ui.idenfy.com/x", live, true},
		{"http://ivs.idenfy.com/x", live, false},
		{"http://evil.example/phish", live, false},
		{"https://ivs.idenfy.com@evil.example/x", live, false},
		{"https://user:pw@ivs.idenfy.com/x", live, false},
		{"https://evilidenfy.com/x", live, false},
		{"https://idenfy.com.evil.example/x", live, false},
		{"https://verify.example.com/x", live, false},
		{"https://verify.example.com/x", providers.Config{Mode: providers.ModeLive, AllowedURLHosts: []string{"verify.example.com"}}, true},
		{"http://127.0.0.1:8470/api/v2/redirect?authToken=x", providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:8470"}, true},
		{"http://127.0.0.1:8470/x", live, false},
		// A loopback endpoint's own origin, in any mode; not another port.
		{"http://127.0.0.1:8470/x", providers.Config{Mode: providers.ModeLive, BaseURL: "http://127.0.0.1:8470"}, true},
		{"http://127.0.0.1:9999/x", providers.Config{Mode: providers.ModeLive, BaseURL: "http://127.0.0.1:8470"}, false},
		{"https://proxy.example/x", providers.Config{Mode: providers.ModeLive, BaseURL: "https://proxy.example"}, false},
		{"https://evil.example/x", providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:8470"}, false},
		{"http://192.168.1.20:8470/x", providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:8470", SandboxPublicURL: "http://192.168.1.20:8470"}, true},
		{"http://192.0.2.9:8470/x", providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:8470", SandboxPublicURL: "http://192.168.1.20:8470"}, false},
	} {
		why := providers.CheckHostedURL(tc.url, family, tc.cfg)
		if (why == "") != tc.ok {
			t.Errorf("%s (%s): %q, want ok=%v", tc.url, tc.cfg.Mode, why, tc.ok)
		}
	}
}

// TestLiveRedirectURLOutsideFamilyIsNotShown: an iDenfy answer whose
// redirectUrl leaves *.idenfy.com fails instead of becoming a QR.
func TestLiveRedirectURLOutsideFamilyIsNotShown(t *testing.T) {
	for _, bad := range []string{"http://evil.example/phish", "https://ivs.idenfy.com@evil.example/x"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			w.Write([]byte(`{"authToken":"tok","scanRef":"scan","redirectUrl":"` + bad + `"}`))
		}))
		l, err := idenfyClient(t, srv.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c1"}})
		srv.Close()
		if l != nil || providers.AsError(err).Code != "UNTRUSTED_URL" || strings.Contains(err.Error(), "evil.example/phish") {
			t.Fatalf("%s: %v %v", bad, l, err)
		}
	}
}
