package sandbox

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/dws"
	"github.com/kycdesk/kycdesk/sandbox/token"
)

// TestOperatorPagesKeptFromTheNetwork: the SMS inbox and the credentials
// page answer this machine, or a client with the token; not the network.
func TestOperatorPagesKeptFromTheNetwork(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	h := Handler(catalog.All(), Options{Token: tok})
	get := func(path, remote, header string) int {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = remote
		if header != "" {
			r.Header.Set(providers.SandboxTokenHeader, header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, p := range []string{"/sandbox/", dws.SimPagePath, dws.SimPagePath + "inbox.json"} {
		if c := get(p, "192.0.2.7:40000", ""); c != http.StatusForbidden {
			t.Errorf("%s from the LAN: %d, want 403", p, c)
		}
		if c := get(p, "192.0.2.7:40000", "wrong"); c != http.StatusForbidden {
			t.Errorf("%s from the LAN with a wrong token: %d, want 403", p, c)
		}
		if c := get(p, "192.0.2.7:40000", tok); c != http.StatusOK {
			t.Errorf("%s from the LAN with the token: %d, want 200", p, c)
		}
		if c := get(p+"?token="+tok, "192.0.2.7:40000", ""); c != http.StatusOK {
			t.Errorf("%s?token= from the LAN: %d, want 200", p, c)
		}
		if c := get(p, "127.0.0.1:40000", ""); c != http.StatusOK {
			t.Errorf("%s from loopback: %d, want 200", p, c)
		}
	}
	// The customer's pages and the APIs stay open to the network.
	if c := get(HealthPath, "192.0.2.7:40000", ""); c != http.StatusOK {
		t.Errorf("health from the LAN: %d", c)
	}
	if c := get("/sandbox/alibaba/verify/nosuch", "192.0.2.7:40000", ""); c == http.StatusForbidden {
		t.Errorf("a customer page is kept from the LAN")
	}
}

// TestTokenFileAndProof: Start writes the token 0600 where a console looks,
// proves it on the health endpoint, and Close removes the file.
func TestTokenFileAndProof(t *testing.T) {
	state := t.TempDir()
	s, err := Start(catalog.All(), "127.0.0.1:0", Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	if s.TokenFile != token.Path(state, s.URL) {
		t.Fatalf("TokenFile = %q, want %q", s.TokenFile, token.Path(state, s.URL))
	}
	st, err := os.Stat(s.TokenFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", st, err)
	}
	got, err := token.Read(s.TokenFile)
	if err != nil || got != s.Token {
		t.Fatalf("token file holds %q (%v)", got, err)
	}
	h, err := token.Challenge(t.Context(), http.DefaultClient, s.URL, got)
	if err != nil || h.PublicURL != s.URL {
		t.Fatalf("Challenge: %+v %v", h, err)
	}
	if _, err := token.Challenge(t.Context(), http.DefaultClient, s.URL, token.New()); err == nil {
		t.Fatal("the sandbox proved a token it does not hold")
	}
	// On loopback the token stays in its file: a captured log must not
	// let a later squatter on the port pass for this sandbox.
	if lines := strings.Join(s.StartLines(), "\n"); strings.Contains(lines, s.Token) || !strings.Contains(lines, s.TokenFile) {
		t.Errorf("StartLines on loopback: %q, want the file named and the token not printed", s.StartLines())
	}
	s.Close()
	if _, err := os.Stat(s.TokenFile); !os.IsNotExist(err) {
		t.Fatalf("token file left after Close: %v", err)
	}
}

// TestSlowBodyIsDropped: a client that sends headers and then trickles
// nothing is disconnected by the read timeout, and a client beyond the
// connection cap is closed at once with a (rate-limited) log line.
func TestSlowBodyIsDropped(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	logf := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf(format, a...))
	}
	s, err := Start(catalog.All(), "127.0.0.1:0", Options{Logf: logf,
		Limits: Limits{ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, IdleTimeout: time.Hour, MaxConns: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := strings.TrimPrefix(s.URL, "http://")

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "POST /api/v2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":")
	// The server must end this connection by itself; the deadline only
	// keeps a broken server from hanging the test.
	slow.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := io.ReadAll(slow); err != nil {
		t.Fatalf("the slow client was not dropped: %v", err)
	}

	// Two kept-alive connections fill the cap; a third is closed at once.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", HealthPath)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	fmt.Fprintf(extra, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", HealthPath)
	extra.SetReadDeadline(time.Now().Add(time.Minute))
	if b, _ := io.ReadAll(extra); len(b) != 0 {
		t.Fatalf("a connection beyond the cap was served: %q", b)
	}
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(logs, "\n")
	if !strings.Contains(all, "refused: 2 connections open") || !strings.Contains(all, "1 connections refused at the cap of 2") {
		t.Errorf("log = %q, want the refusal and the summary", all)
	}
}
