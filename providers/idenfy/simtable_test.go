package idenfy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// A session the simulator forgot (its token's life, its session length and
// a day more have passed) is gone from both its indexes: its link answers
// "not valid", its status request "no verification", and the token index
// does not keep it.
func TestForgottenSessionLeavesBothIndexes(t *testing.T) {
	env := newSimEnv(t, nil)
	code, tok := env.post(t, TokenPath, `{"clientId":"forget-1"}`, SandboxAPIKey, SandboxAPISecret)
	if code != http.StatusCreated {
		t.Fatalf("token: %d %v", code, tok)
	}
	authToken, scanRef := tok["authToken"].(string), tok["scanRef"].(string)
	if c, _, _ := env.get(t, env.srv.URL+RedirectPath+"?authToken="+authToken); c != http.StatusOK {
		t.Fatalf("page of a live session: %d", c)
	}
	env.clock.Advance(simDefaultExpiry*time.Second + simDefaultSession*time.Second + simKeep + time.Second)
	if c, body, _ := env.get(t, env.srv.URL+RedirectPath+"?authToken="+authToken); c != http.StatusBadRequest {
		t.Errorf("page of a forgotten session: %d %s", c, body)
	}
	if c, got := env.post(t, StatusPath, `{"scanRef":"`+scanRef+`"}`, SandboxAPIKey, SandboxAPISecret); c != http.StatusBadRequest || got["identifier"] != "BAD_VALUE" {
		t.Errorf("status of a forgotten session: %d %v", c, got)
	}
	env.sim.mu.Lock()
	m := env.sim.byScan.Len()
	env.sim.mu.Unlock()
	if m != 0 {
		t.Errorf("the table keeps %d sessions", m)
	}
}

// The accepted pair is taken however net/http's BasicAuth reads it (the
// whole-header comparison is only a shortcut); anything else is refused.
func TestSimAuthHeaderSpellings(t *testing.T) {
	env := newSimEnv(t, nil)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	good := b64(SandboxAPIKey + ":" + SandboxAPISecret)
	for header, want := range map[string]int{
		"Basic " + good:       http.StatusCreated,
		"basic " + good:       http.StatusCreated,
		"BASIC " + good:       http.StatusCreated,
		"Basic " + good + "=": http.StatusUnauthorized,
		"Basic " + b64(SandboxAPIKey+":"+SandboxAPISecret+":x"): http.StatusUnauthorized,
		"Basic " + b64(SandboxAPIKey+"x:"+SandboxAPISecret):     http.StatusUnauthorized,
		"Bearer " + good: http.StatusUnauthorized,
		"":               http.StatusUnauthorized,
	} {
		req, _ := http.NewRequest(http.MethodPost, env.srv.URL+TokenPath, strings.NewReader(`{"clientId":"auth-1"}`))
		req.Header.Set("Content-Type", "application/json")
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := env.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Authorization %q: %d, want %d", header, resp.StatusCode, want)
		}
	}
}

func TestNewIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		tok, ref, client := newIDs("client-1")
		if client != "client-1" {
			t.Fatalf("clientId %q", client)
		}
		if len(tok) != 40 || strings.Trim(tok, tokenAlphabet) != "" {
			t.Fatalf("authToken %q", tok)
		}
		if wantUUID(ref) != "" || ref[14] != '4' || !strings.ContainsRune("89ab", rune(ref[19])) {
			t.Fatalf("scanRef %q is not a version 4 UUID", ref)
		}
		if seen[tok] || seen[ref] {
			t.Fatalf("repeated identifier")
		}
		seen[tok], seen[ref] = true, true
	}
	if got := string(appendUniform(nil, 3, "ab", []byte{0, 1, 2, 255, 7})); got != "aba" {
		t.Errorf("appendUniform = %q", got)
	}
	if got := string(appendUniform(nil, 5, tokenAlphabet, []byte{0, 248, 61, 255, 62})); got != "A9A" { // 248 and 255 rejected
		t.Errorf("appendUniform over 62 = %q", got)
	}
}

// readRandom hands out each byte of its buffers once, across refills and
// goroutines, and keeps none it handed out.
func TestReadRandomHandsOutEachByteOnce(t *testing.T) {
	const workers, draws = 4, 300 // 4 × 300 × 80 bytes: several refills each
	seen := make(chan string, workers*draws)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range draws {
				var b [80]byte
				readRandom(b[:])
				seen <- string(b[:])
			}
		})
	}
	wg.Wait()
	close(seen)
	got := map[string]bool{}
	var zero [80]byte
	for s := range seen {
		if got[s] || s == string(zero[:]) {
			t.Fatalf("80 bytes handed out twice, or all zero: %x", s)
		}
		got[s] = true
	}
	rb := randomBufs.Get().(*randomBuf)
	defer randomBufs.Put(rb)
	for i, c := range rb.b[:rb.next] {
		if c != 0 {
			t.Fatalf("byte %d, already handed out, is still in the buffer", i)
		}
	}
	// A draw larger than a buffer is filled too.
	big := make([]byte, 3*len(rb.b)+7)
	readRandom(big)
	if n := bytes.Count(big, []byte{0}); n > len(big)/64 {
		t.Errorf("%d zero bytes of %d: not filled", n, len(big))
	}
}

// Sessions issued before and after the simulator sizes its indexes for
// the cap (once it is busy) are all found by token and by scanRef.
func TestSessionsFoundAcrossTheReservation(t *testing.T) {
	env := newSimEnv(t, nil)
	type ids struct{ token, scanRef string }
	var issued []ids
	for i := range simReserveAt + 10 {
		r := httptest.NewRequest(http.MethodPost, TokenPath, strings.NewReader(fmt.Sprintf(`{"clientId":"busy-%d"}`, i)))
		r.Header.Set("Content-Type", "application/json")
		r.SetBasicAuth(SandboxAPIKey, SandboxAPISecret)
		w := httptest.NewRecorder()
		env.sim.handleToken(w, r)
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != http.StatusCreated {
			t.Fatalf("token %d: %d %s", i, w.Code, w.Body)
		}
		issued = append(issued, ids{m["authToken"].(string), m["scanRef"].(string)})
	}
	env.sim.mu.Lock()
	reserved, n := env.sim.reserved, env.sim.byScan.Len()
	env.sim.mu.Unlock()
	if !reserved || n != len(issued) {
		t.Fatalf("reserved %v, %d sessions held, want %d", reserved, n, len(issued))
	}
	for _, i := range []int{0, simReserveAt - 2, simReserveAt - 1, simReserveAt, len(issued) - 1} {
		if c, _, _ := env.get(t, env.srv.URL+RedirectPath+"?authToken="+issued[i].token); c != http.StatusOK {
			t.Errorf("token %d: page %d", i, c)
		}
		if c, got := env.post(t, StatusPath, `{"scanRef":"`+issued[i].scanRef+`"}`, SandboxAPIKey, SandboxAPISecret); c != http.StatusOK || got["scanRef"] != issued[i].scanRef {
			t.Errorf("token %d: status %d %v", i, c, got)
		}
	}
}
