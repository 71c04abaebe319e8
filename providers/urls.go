package providers

import (
	"net"
	"net/url"
	"strings"
	"sync"
)

// StripUserinfo removes the user:password part of a URL, so that whatever
// shows, encodes (QR) or stores a URL never carries a password that was put
// in an endpoint. Text that does not parse is cut the same way by hand.
func StripUserinfo(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	// Unparsable or without a recognised authority: drop anything between
	// "//" and the last "@" before the path.
	i := strings.Index(raw, "//")
	if i < 0 {
		return raw
	}
	rest := raw[i+2:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return raw[:i+2] + rest[at+1:]
	}
	return raw
}

// HostInFamily reports whether host is one of the names in family or a
// subdomain of one ("idenfy.com" admits ivs.idenfy.com and idenfy.com).
func HostInFamily(host string, family []string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, f := range family {
		f = strings.TrimPrefix(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f)), "."), "*.")
		if f != "" && (host == f || strings.HasSuffix(host, "."+f)) {
			return true
		}
	}
	return false
}

// CheckHostedURL decides whether a hosted-flow URL a provider returned may
// become a QR code. It must be absolute, carry no user information, use
// https, and lie in the provider's documented host family or in
// cfg.AllowedURLHosts (an explicit setting, shown on the banner). A
// loopback endpoint's own origin is accepted in any mode. In sandbox mode
// the sandbox's own URLs are also accepted: http or https on the endpoint's
// host, a loopback host, an address of this machine, or the public URL of a
// sandbox that proved its token (SandboxPublicURL). It returns "" when the
// URL is acceptable, else why not.
func CheckHostedURL(raw string, family []string, cfg Config) string {
	if raw == "" || strings.ContainsAny(raw, " \t\r\n\"'<>\\") {
		return "it is not a single absolute URL"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "it is not an absolute URL"
	}
	if u.User != nil {
		return "it carries user information before the host (" + SanitizeLine(u.Host) + " is the real host)"
	}
	host := u.Hostname()
	// A loopback endpoint (a local simulator or proxy, chosen explicitly
	// and shown on the banner) may hand out its own URLs in any mode.
	if b, err := url.Parse(cfg.BaseURL); err == nil && isLoopbackHost(b.Hostname()) && sameOrigin(u, cfg.BaseURL) {
		return ""
	}
	if cfg.Mode == ModeSandbox && (u.Scheme == "http" || u.Scheme == "https") &&
		(sandboxHost(host, cfg.BaseURL) || sameOrigin(u, cfg.SandboxPublicURL)) {
		return ""
	}
	if u.Scheme != "https" {
		return "it does not use https"
	}
	if HostInFamily(host, family) || HostInFamily(host, cfg.AllowedURLHosts) {
		return ""
	}
	return SanitizeLine(host) + " is not one of the provider's documented hosts (" + strings.Join(family, ", ") + ")"
}

func sameOrigin(u *url.URL, base string) bool {
	b, err := url.Parse(base)
	return err == nil && b.Host != "" && strings.EqualFold(b.Scheme, u.Scheme) && strings.EqualFold(b.Host, u.Host)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sandboxHost: the sandbox's own host, loopback, or this machine.
func sandboxHost(host, base string) bool {
	if b, err := url.Parse(base); err == nil && b.Hostname() != "" && strings.EqualFold(b.Hostname(), host) {
		return true
	}
	if isLoopbackHost(host) {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, own := range localAddrs() {
		if own.Equal(ip) {
			return true
		}
	}
	return false
}

var (
	localOnce sync.Once
	localIPs  []net.IP
)

// localAddrs are this machine's interface addresses, read once.
func localAddrs() []net.IP {
	localOnce.Do(func() {
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				localIPs = append(localIPs, ipn.IP)
			}
		}
	})
	return localIPs
}

// UntrustedURL is the error for a hosted-flow URL that CheckHostedURL
// refused: the provider created the session (ref), but its URL is not
// shown, encoded or stored. id names the config table for the override.
func UntrustedURL(provider, ref, why, id string) *Error {
	return &Error{Kind: KindTransport, Code: "UNTRUSTED_URL",
		Message: provider + " answered a hosted-flow URL that is not shown: " + why + " (" + SanitizeLine(ref) + " was created)",
		Action: "check the endpoint: an answer like this comes from something other than " + provider +
			"; if your account really uses that host, add it to allowed_url_hosts under [" + id + "] in the config file"}
}
