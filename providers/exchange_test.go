package providers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A provider (or a proxy) that echoes what it was sent: the secret and the
// customer's name come back in a header and in the body.
func echoServer(t *testing.T, status int, body string, header map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCaptureMasksSecretsAndSentPersonalValues(t *testing.T) {
	const secret, name = "s3cr3t-api-secret", "Jonas"
	srv := echoServer(t, http.StatusCreated,
		`{"scanRef":"abc","echo":{"firstName":"JONAS","key":"s3cr3t-api-secret"}}`+"\x1b[31m",
		map[string]string{"X-Debug": "secret=s3cr3t-api-secret name=Jonas", "Content-Type": "application/json"})
	spec := Spec{{Name: "firstName", Personal: true}, {Name: "locale"}}
	c := NewCapture(NewScrubber([]string{secret}, spec, Values{"firstName": {name}, "locale": {"lt"}}))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v2/token?sig=1", nil)
	resp, err := Do(WithCapture(context.Background(), c), nil, req)
	if err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("Do: %v %v", resp, err)
	}
	ex := c.Exchanges()
	if len(ex) != 1 {
		t.Fatalf("captured %d exchanges", len(ex))
	}
	e := ex[0]
	text := e.Text()
	for _, leak := range []string{secret, name, "JONAS", "\x1b", "sig=1"} {
		if strings.Contains(text, leak) {
			t.Errorf("%q shown:\n%s", leak, text)
		}
	}
	if e.Status != "201 Created" || e.Request != "POST /api/v2/token" {
		t.Errorf("status %q request %q", e.Status, e.Request)
	}
	if e.Headers["X-Debug"] != "secret="+Mask+" name="+Mask || !strings.Contains(e.Body, `"firstName":"`+Mask+`"`) {
		t.Errorf("not masked in place: %q / %q", e.Headers["X-Debug"], e.Body)
	}
	if !strings.Contains(e.Body, `"scanRef":"abc"`) {
		t.Errorf("the rest of the body is lost: %q", e.Body)
	}
}

func TestCaptureBoundsTheBodyAndKeepsErrorsAndRedirects(t *testing.T) {
	big := strings.Repeat("é", MaxExchangeBody) // two bytes each: cut inside a character
	srv := echoServer(t, http.StatusBadRequest, big, nil)
	c := NewCapture(Scrubber{})
	ctx := WithCapture(context.Background(), c)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	if _, err := Do(ctx, nil, req); err != nil {
		t.Fatal(err)
	}
	e := c.Exchanges()[0]
	if len(e.Body) > MaxExchangeBody || e.Omitted != len(big)-len(e.Body) || !strings.HasSuffix(e.Body, "é") {
		t.Fatalf("body %d bytes shown, %d omitted", len(e.Body), e.Omitted)
	}
	if !strings.Contains(e.Text(), "more bytes not shown") || e.Status != "400 Bad Request" {
		t.Fatalf("status %q; no note of the omitted part", e.Status)
	}

	redir := echoServer(t, http.StatusFound, "", map[string]string{"Location": "https://elsewhere.example/"})
	req, _ = http.NewRequest(http.MethodPost, redir.URL+"/ams/api/x", nil)
	_, err := Do(ctx, nil, req)
	if err == nil || c.Received() != 2 || c.Exchanges()[1].Status != "302 Found" {
		t.Fatalf("redirect: %v, %d received", err, c.Received())
	}
	// Without a Capture in the context nothing is collected.
	if _, err := Do(context.Background(), nil, req); err == nil || c.Received() != 2 {
		t.Fatal("captured outside its context")
	}
	// An error carries the answers; the original is unchanged.
	orig := Rejected(400, "X", "bad", "")
	got := AsError(WithExchanges(orig, c.Exchanges()))
	if len(got.Exchanges) != 2 || orig.Exchanges != nil || got.Code != "X" {
		t.Fatalf("WithExchanges: %+v", got)
	}
	// Masking an error keeps them (it copies the error).
	if m := (Scrubber{}).Error(got); len(AsError(m).Exchanges) != 2 {
		t.Fatal("masking dropped the exchanges")
	}
}

func TestCaptureKeepsTheLastFew(t *testing.T) {
	srv := echoServer(t, http.StatusOK, "{}", nil)
	c := NewCapture(Scrubber{})
	ctx := WithCapture(context.Background(), c)
	for i := 0; i < maxExchanges+3; i++ {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if _, err := Do(ctx, nil, req); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.Exchanges()) != maxExchanges || c.Received() != maxExchanges+3 {
		t.Fatalf("kept %d of %d", len(c.Exchanges()), c.Received())
	}
}
