package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
)

const (
	relayPhoneUA  = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
	relayWeChatUA = "Mozilla/5.0 (Linux; Android 13; wv) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.40"
)

// fakeDesk records what the relay told it.
type fakeDesk struct {
	mu      sync.Mutex
	opened  int
	started []string
	failed  []string
}

func (f *fakeDesk) link() RelayLink {
	return RelayLink{Script: "http://sandbox.test/cdn/jsvm_all.js",
		Opened: func() { f.mu.Lock(); f.opened++; f.mu.Unlock() },
		Start: func(ctx context.Context, meta string) (string, error) {
			f.mu.Lock()
			f.started = append(f.started, meta)
			f.mu.Unlock()
			return "https://sandbox.test/sandbox/alibaba/verify/tx1?x=a%20b", nil
		},
		Failed: func(why string) { f.mu.Lock(); f.failed = append(f.failed, why); f.mu.Unlock() },
	}
}

func relayGet(t *testing.T, h http.Handler, u, ua string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("User-Agent", ua)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), rec.Header()
}

func relayPost(t *testing.T, h http.Handler, u, ua, meta string) (int, relayAnswer) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"metaInfo": meta})
	req := httptest.NewRequest(http.MethodPost, u, strings.NewReader(string(b)))
	req.Header.Set("User-Agent", ua)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var a relayAnswer
	body, _ := io.ReadAll(rec.Body)
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	return rec.Code, a
}

// TestRelayOnce: the page loads the script and posts; the MetaInfo
// reaches Initialize exactly as sent; the TransactionUrl comes back
// unmodified; the link is then spent for every later visit or post.
func TestRelayOnce(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC))
	r := NewRelays("https://desk.example.com/", clk.Now)
	f := &fakeDesk{}
	u, exp, err := r.Issue(f.link())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, "https://desk.example.com/relay/") || !exp.Equal(clk.Now().Add(RelayTTL)) {
		t.Fatalf("link %s until %v", u, exp)
	}
	path := strings.TrimPrefix(u, "https://desk.example.com")
	code, page, h := relayGet(t, r, path, relayPhoneUA)
	if code != 200 || !strings.Contains(page, `<script src="http://sandbox.test/cdn/jsvm_all.js"`) ||
		!strings.Contains(page, "window.getMetaInfo()") || !strings.Contains(page, "JSON.stringify(meta)") {
		t.Fatalf("page: %d\n%s", code, page)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'nonce-") || !strings.Contains(csp, "http://sandbox.test") {
		t.Fatalf("CSP %q", csp)
	}
	relayGet(t, r, path, relayPhoneUA) // a reload before the post: still the page, opened once
	meta := `{"deviceType":"h5","ua":"` + relayPhoneUA + `","apdidToken":"abc","x":[1,2]}`
	code, a := relayPost(t, r, path, relayPhoneUA, meta)
	if code != 200 || a.URL != "https://sandbox.test/sandbox/alibaba/verify/tx1?x=a%20b" {
		t.Fatalf("post: %d %+v", code, a)
	}
	if len(f.started) != 1 || f.started[0] != meta || f.opened != 1 {
		t.Fatalf("started %q, opened %d", f.started, f.opened)
	}
	// Spent: a reload, a second phone, a second post.
	code, page, _ = relayGet(t, r, path, relayPhoneUA)
	if code != http.StatusGone || !strings.Contains(page, "Link already used") || strings.Contains(page, "tx1") || strings.Contains(page, "<script") {
		t.Fatalf("second visit: %d\n%s", code, page)
	}
	if code, a = relayPost(t, r, path, relayPhoneUA, meta); code != http.StatusGone || a.URL != "" {
		t.Fatalf("second post: %d %+v", code, a)
	}
	if len(f.started) != 1 {
		t.Fatalf("Initialize called %d times", len(f.started))
	}
}

// TestRelayRefusals: an expired link, an unknown one, a browser outside
// the documented list (the list, never a preset), and a post without a
// usable MetaInfo (the link is not spent).
func TestRelayRefusals(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC))
	r := NewRelays("http://127.0.0.1:8471", clk.Now)
	f := &fakeDesk{}
	u, _, _ := r.Issue(f.link())
	path := strings.TrimPrefix(u, "http://127.0.0.1:8471")

	code, page, _ := relayGet(t, r, path, relayWeChatUA)
	if code != 200 || !strings.Contains(page, "This browser is not supported") || !strings.Contains(page, "WeChat") ||
		!strings.Contains(page, "Chrome 60 or later") || strings.Contains(page, "<script") {
		t.Fatalf("WeChat: %d\n%s", code, page)
	}
	if code, a := relayPost(t, r, path, relayWeChatUA, `{"deviceType":"h5"}`); code != http.StatusUnprocessableEntity || a.Page == "" {
		t.Fatalf("WeChat post: %d %+v", code, a)
	}
	for _, meta := range []string{"", "null", `{"ua":"x"}`, strings.Repeat("x", 9000)} {
		if code, _ := relayPost(t, r, path, relayPhoneUA, meta); code != http.StatusUnprocessableEntity {
			t.Fatalf("MetaInfo %.20q: %d", meta, code)
		}
	}
	if f.opened != 0 || len(f.started) != 0 {
		t.Fatalf("opened %d started %d", f.opened, len(f.started))
	}

	clk.Advance(RelayTTL + time.Second)
	code, page, _ = relayGet(t, r, path, relayPhoneUA)
	if code != http.StatusGone || !strings.Contains(page, "Link expired") || !strings.Contains(page, "10 minutes") {
		t.Fatalf("expired: %d\n%s", code, page)
	}
	if code, _ := relayPost(t, r, path, relayPhoneUA, `{"deviceType":"h5"}`); code != http.StatusGone || len(f.started) != 0 {
		t.Fatalf("expired post: %d", code)
	}
	r.Issue(f.link()) // sweeps: the desk hears the dead link
	if len(f.failed) != 1 {
		t.Fatalf("failed %q", f.failed)
	}
	code, page, _ = relayGet(t, r, path, relayPhoneUA)
	if code != http.StatusGone || !strings.Contains(page, "Link not valid") {
		t.Fatalf("unknown: %d\n%s", code, page)
	}
}
