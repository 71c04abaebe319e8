package providers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
)

// CallbackTarget is a reachable callback receiver (package callbacks) that
// the desk passes to clients in Config.Callback. A provider whose callback
// URL is set per session (Alibaba) then points its launches at it.
type CallbackTarget struct {
	// BaseURL is the receiver's root as the provider reaches it, e.g.
	// http://127.0.0.1:8471 for the console's loopback receiver behind the
	// sandbox, https://desk.example.com for a served desk. Live providers
	// require https.
	BaseURL string
	// Key derives each session's callback token (CallbackToken). It is
	// the receiver's secret: kept in memory or a key file, never in the
	// store, never shown.
	Key []byte
}

// CallbackPath is where the receiver takes a provider's callbacks.
func CallbackPath(provider string) string { return "/callbacks/" + provider }

// URL is the receiver's URL for a provider's callbacks.
func (t *CallbackTarget) URL(provider string) string {
	return strings.TrimRight(t.BaseURL, "/") + CallbackPath(provider)
}

// DeriveCallbackToken is a session's callback token: the first 32 hex
// digits (128 bits) of HMAC-SHA256(key, provider NUL reference).
//
// Deriving it (rather than storing a random token) means nothing secret is
// written anywhere: the receiver recomputes it from the session's reference
// (a random, generated id such as MerchantBizId) and its key, and compares
// in constant time. Without the key it cannot be predicted.
func DeriveCallbackToken(key []byte, provider, reference string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(provider))
	mac.Write([]byte{0})
	mac.Write([]byte(reference))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// CheckCallbackToken reports, in constant time, whether token is the one
// DeriveCallbackToken gives; an empty key or token never matches.
func CheckCallbackToken(key []byte, provider, reference, token string) bool {
	if len(key) == 0 || token == "" || reference == "" {
		return false
	}
	want := DeriveCallbackToken(key, provider, reference)
	return hmac.Equal([]byte(want), []byte(token))
}

// CheckCallbackURL refuses a callback URL a provider would not call: live
// providers require https (iDenfy's webhooks, Alibaba's CallbackUrl); the
// sandbox also allows plain http to a loopback host, where its simulators
// reach the console's own receiver. It returns "" or the problem.
func CheckCallbackURL(raw string, mode Mode) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "must be an absolute URL such as https://example.com/callbacks"
	}
	if u.Scheme == "http" {
		if mode == ModeLive {
			return "must be an https:// URL (plain http is allowed only to a loopback host in the sandbox)"
		}
		if !IsLoopback(u.Hostname()) {
			return "must be an https:// URL, or plain http to a loopback host (127.0.0.1, localhost) in the sandbox"
		}
	}
	return ""
}
