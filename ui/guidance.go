package ui

import (
	"net"
	"net/url"
	"strings"

	"github.com/kycdesk/kycdesk/providers"
)

// modeTag marks where a session's requests went, on every QR, code screen
// and profile screen: a sandbox QR never shows under a LIVE banner
// unmarked.
func modeTag(ctx *Context, mode providers.Mode) string {
	if mode == providers.ModeLive {
		return ctx.Styles.BannerLive.Render("LIVE")
	}
	return ctx.Styles.Banner.Render("SANDBOX")
}

// lanSandbox is how to run a sandbox a phone on the same network can
// reach on port (the in-process one listens on loopback only).
func lanSandbox(port string) string {
	return "kycdesk sandbox --listen 0.0.0.0:" + port + " --public-url http://LAN-IP:" + port
}

// loopbackOnly reports whether a URL points at this machine only
// (127.0.0.0/8, ::1, localhost): a phone cannot open it.
func loopbackOnly(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackNote is said beside a QR whose URL only this machine can
// open: the sandbox to run instead, on the port the link uses (a
// `kycdesk sandbox` already running), or the default one when the link is
// the in-process sandbox's (a port of the moment). The command has lines
// of its own, so that wrapping never splits it mid-flag.
//
// At a served desk the link is the server's (its HTTP listener): the
// server is what must listen beyond loopback, and its operator, not the
// desk, starts it.
func loopbackNote(link string, inProcess, served bool) string {
	port := "8470"
	if u, err := url.Parse(link); err == nil && u.Port() != "" && !inProcess {
		port = u.Port()
	}
	if served {
		// No hyphen in the placeholder: a narrow panel wraps at one.
		return "This URL is on the server's machine only (loopback): a phone cannot open it. Ask whoever runs the server to start it with\n" +
			"  kycdesk serve --http-listen 0.0.0.0:" + port + "\n" +
			"    --public-url http://ADDRESS:" + port + "\n" +
			"(ADDRESS: the server's network address)."
	}
	return "This URL is on this machine only (loopback): a phone cannot open it. For a phone on the same network run\n" +
		"  " + lanSandbox(port) + "\n" +
		"(LAN-IP: this machine's address) and set KYCDESK_SANDBOX_URL to it."
}

// loopbackShortNote is loopbackNote where its command does not fit (a
// QR's side panel at 80x24): the point, and where the how is.
func loopbackShortNote(served bool) string {
	if served {
		return "Loopback URL: a phone cannot open it. The server must listen beyond loopback (serve --http-listen, --public-url)."
	}
	return "Loopback URL: a phone cannot open it. For a phone, run a LAN sandbox (README: Demo with a phone)."
}

// outcomeGuidance is what the operator tells the customer, or does,
// once the session has a final result (or its outcome is unknown); ""
// while it is pending.
func outcomeGuidance(st providers.State) string {
	switch st {
	case providers.StateApproved:
		return "Approved: the customer's identity is verified. The customer can put the phone away; start the next session with n."
	case providers.StateDenied:
		return "Denied: the provider could not verify the customer (document or face did not pass). Tell the customer the check did not succeed; a new session with another document may be tried (n). Do not reuse this link."
	case providers.StateSuspected:
		return "Suspected: the provider flagged possible fraud. Do not proceed with the customer; follow the desk's escalation procedure and do not start a new session for them without a supervisor."
	case providers.StateExpired:
		return "Expired: the customer did not finish in time (abandoned). If they are still at the desk, start a new session with n; this link no longer works."
	case providers.StateUnknown:
		return "Outcome unknown: the provider did not give a final answer. Check the session in the provider's console before starting another (a second session may be billed); r asks again."
	}
	return ""
}
