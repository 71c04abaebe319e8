package providers

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// The endpoint rules, written once: config (live endpoints, and whether
// real credentials may go to a sandbox) and every provider client call
// these.
var (
	// ErrNotHTTPURL: the endpoint is not an absolute http(s) URL.
	ErrNotHTTPURL = errors.New("not an absolute URL with scheme https (or http)")
	// ErrPlainHTTP: plain http to a host that is not loopback, where the
	// request (and its credentials) would cross the network in clear.
	ErrPlainHTTP = errors.New("plain http is refused for a non-loopback host; use https")
)

// BaseURL trims an endpoint root (spaces, trailing slashes) and checks it:
// an absolute http(s) URL, and, when secure, https or plain http to a
// loopback host (a local simulator or proxy). Live endpoints are secure;
// a sandbox with its fixed credentials may be on the LAN, for a phone.
func BaseURL(raw string, secure bool) (string, *url.URL, error) {
	// A password in an endpoint URL is never shown, sent or stored.
	base := StripUserinfo(strings.TrimRight(strings.TrimSpace(raw), "/"))
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return base, nil, ErrNotHTTPURL
	}
	if secure && u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return base, u, ErrPlainHTTP
	}
	return base, u, nil
}

// CheckEndpoint is BaseURL's secure rule as a message: "" when raw may
// carry credentials.
func CheckEndpoint(raw string) string {
	if _, _, err := BaseURL(raw, true); err != nil {
		return err.Error()
	}
	return ""
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
