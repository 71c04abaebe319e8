// Package token is the per-run token of a `kycdesk sandbox`: the sandbox
// writes it, readable only by its user, under $XDG_STATE_HOME/kycdesk/, and
// a console that reads it (1) asks the sandbox to prove it holds the same
// token before sending it anything but the fixed sandbox credentials, and
// (2) presents it (providers.SandboxTokenHeader) so that pages the sandbox
// keeps from the network (the SMS inbox, the credentials page) open for it.
package token

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ProofParam is the health query parameter that asks for a proof.
const ProofParam = "challenge"

// tokenBytes is the token's entropy; it is written as hex.
const tokenBytes = 32

// New returns a fresh random token.
func New() string {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// NewNonce returns a fresh challenge for Proof.
func NewNonce() string { return New()[:32] }

// Proof is what a sandbox holding token answers to nonce. It reveals nothing
// of the token.
func Proof(token, nonce string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("kycdesk-sandbox-proof\x00" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether proof answers nonce for token.
func Verify(token, nonce, proof string) bool {
	return token != "" && hmac.Equal([]byte(Proof(token, nonce)), []byte(proof))
}

// WebhookKey is the key a sandbox signs its iDenfy webhooks with when it
// is given none: derived from its per-run token, so that a console on
// this machine that read the token (Open) verifies them as it would a
// real account's, and records nothing from an unsigned one. It is not
// the token: printing it gives nothing away.
func WebhookKey(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("kycdesk sandbox iDenfy webhook signing key v1"))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// StateDir is $XDG_STATE_HOME/kycdesk (fallback ~/.local/state/kycdesk).
func StateDir(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	dir := getenv("XDG_STATE_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			home = h
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "kycdesk")
}

// Path is the token file of the sandbox reached at sandboxURL: one per
// port, loopback names folded together (127.0.0.1, localhost and ::1 reach
// the same sandbox), e.g. sandbox-loopback-8470.token.
func Path(stateDir, sandboxURL string) string {
	if stateDir == "" {
		return ""
	}
	u, err := url.Parse(sandboxURL)
	if err != nil || u.Host == "" {
		return ""
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	if ip := net.ParseIP(host); (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) || strings.EqualFold(host, "localhost") || host == "" {
		host = "loopback"
	}
	var b strings.Builder
	for _, r := range strings.ToLower(host) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return filepath.Join(stateDir, "sandbox-"+b.String()+"-"+port+".token")
}

// Write stores token at path, readable only by this user (0600, in a 0700
// directory), replacing any earlier run's file.
func Write(path, token string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sandbox-token-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(token + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Remove deletes path if it still holds token (a later run may own it).
func Remove(path, token string) {
	if got, err := Read(path); err == nil && got == token {
		os.Remove(path)
	}
}

// maxFile bounds the token file; a token is 64 hex digits.
const maxFile = 256

// Read returns the token stored at path. The file must be a regular file of
// this user that nobody else can read or write; anything else is refused
// (another user could have planted it).
func Read(path string) (string, error) {
	f, err := openFile(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is open to other users (mode %04o)", path, st.Mode().Perm())
	}
	if otherOwner(st) {
		return "", fmt.Errorf("%s belongs to another user", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return "", err
	}
	t := strings.TrimSpace(string(b))
	if len(b) > maxFile || len(t) != 2*tokenBytes {
		return "", errors.New(path + " does not hold a sandbox token")
	}
	if _, err := hex.DecodeString(t); err != nil {
		return "", errors.New(path + " does not hold a sandbox token")
	}
	return t, nil
}

// HealthPath answers a small JSON document that identifies a kycdesk
// sandbox; with ?challenge=NONCE it adds the proof of its token.
const HealthPath = "/sandbox/health"

// Health is the health document.
type Health struct {
	Service   string   `json:"service"`
	Providers []string `json:"providers,omitempty"`
	Proof     string   `json:"proof,omitempty"`
	// PublicURL is the base of the URLs the sandbox issues; a console
	// trusts it only from a sandbox that proved its token.
	PublicURL string `json:"publicUrl,omitempty"`
}

// Challenge asks the sandbox at sandboxURL to prove it holds tok, and
// returns its health answer. It follows no redirect and reads at most
// 64 KiB.
func Challenge(ctx context.Context, client *http.Client, sandboxURL, tok string) (*Health, error) {
	nonce := NewNonce()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		strings.TrimRight(sandboxURL, "/")+HealthPath+"?"+ProofParam+"="+nonce, nil)
	if err != nil {
		return nil, err
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var h Health
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&h) != nil || h.Service != "kycdesk-sandbox" {
		return nil, errors.New("no kycdesk sandbox answers there")
	}
	if !Verify(tok, nonce, h.Proof) {
		return nil, errors.New("the sandbox there does not hold this run's token (another process may be answering on its port)")
	}
	return &h, nil
}

// Open finds the per-run token that `kycdesk sandbox` wrote for
// sandboxURL and asks the sandbox there to prove it holds it. The token
// (and the base of the URLs that sandbox issues) is returned only when it
// did; note says why not when a token file exists but the proof failed
// ("" otherwise: no token file is the ordinary case).
func Open(ctx context.Context, sandboxURL string, getenv func(string) string, client *http.Client) (tok, publicURL, note string) {
	if getenv == nil {
		getenv = os.Getenv
	}
	base := strings.TrimRight(sandboxURL, "/")
	path := Path(StateDir(getenv), base)
	if path == "" {
		return "", "", ""
	}
	t, err := Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", "", ""
	}
	if err != nil {
		return "", "", "sandbox token not used: " + err.Error() + "; only the fixed sandbox credentials are sent"
	}
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	h, err := Challenge(ctx, client, base, t)
	if err != nil {
		return "", "", "sandbox at " + providers.SanitizeLine(providers.StripUserinfo(base)) + ": " + err.Error() +
			"; only the fixed sandbox credentials are sent"
	}
	return t, strings.TrimRight(h.PublicURL, "/"), ""
}
