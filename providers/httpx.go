package providers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// MaxResponseBody bounds what is read from a provider.
const MaxResponseBody = 1 << 20

// Response is a provider's raw answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req and reads the body, classifying failures: a request that
// could not be sent is KindTransport (nothing was processed); a timeout, a
// cancelled request after sending, or a truncated body is KindUnknown (the
// provider may have acted on it). Status codes are left to the caller.
//
// Redirects are never followed, whatever client is passed: none of the
// providers documents one, and following it would re-send the body (personal
// data, signatures) to a host the endpoint rules never checked. A 3xx answer
// is a KindTransport error naming where it pointed.
func Do(ctx context.Context, c *http.Client, req *http.Request) (*Response, error) {
	if c == nil {
		c = http.DefaultClient
	}
	noFollow := *c
	noFollow.CheckRedirect = refuseRedirect
	resp, err := noFollow.Do(req.WithContext(ctx))
	if err != nil {
		return nil, classify(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 && resp.StatusCode != http.StatusNotModified {
		capture(ctx, req, resp, nil)
		return nil, redirectError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	// The one place every provider's answer passes: shown on request
	// (Capture), whatever the client then makes of it.
	capture(ctx, req, resp, body)
	if err != nil {
		return nil, Unknown(resp.StatusCode, "", "the response was cut off before it was complete", err)
	}
	if len(body) > MaxResponseBody {
		return nil, Unknown(resp.StatusCode, "", "the response was larger than 1 MiB; refused", nil)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// refuseRedirect stops at the first redirect and hands its response back.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func redirectError(resp *http.Response) *Error {
	to := SanitizeLine(StripUserinfo(resp.Header.Get("Location")))
	if len(to) > 200 {
		to = to[:200] + "…"
	}
	if to == "" {
		to = "(no Location)"
	}
	return &Error{Kind: KindTransport, HTTPStatus: resp.StatusCode,
		Message: fmt.Sprintf("the endpoint answered %s to %s; redirects from a provider API are refused and the request was not sent there",
			HTTPStatusText(resp.StatusCode), to),
		Action: "set the endpoint (base_url) to the API's own address; none of the providers documents a redirect"}
}

func classify(err error) *Error {
	if tlsHandshakeFailed(err) {
		return &Error{Kind: KindTransport, Message: "TLS handshake with " + host(err) + " failed (" + Sanitize(tlsReason(err)) + ")", Err: err,
			Action: "check the endpoint's scheme and port (https to a plain-http port fails this way) and its certificate; nothing was sent"}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindUnknown, Message: "cancelled before the provider answered", Err: err,
			Action: "check the session's status, or retry the same request"}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return &Error{Kind: KindUnknown, Message: "no answer before the timeout", Err: err,
			Action: "the provider may have processed it; check the session's status, or retry the same request"}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Kind: KindTransport, Message: "connection refused: " + host(err), Err: err,
			Action: "check the endpoint (base_url) and that the service is running; nothing was sent"}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return &Error{Kind: KindTransport, Message: "cannot resolve host " + dns.Name, Err: err,
			Action: "check the endpoint and the network; nothing was sent"}
	}
	return &Error{Kind: KindUnknown, Message: Sanitize(err.Error()), Err: err,
		Action: "check the session's status, or retry the same request"}
}

// tlsHandshakeFailed reports a failure before the TLS session existed, so
// before any byte of the request was written: a server that does not speak
// TLS ("first record does not look like a TLS handshake"), or a certificate
// that does not verify.
func tlsHandshakeFailed(err error) bool {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) && strings.Contains(rh.Msg, "handshake") {
		return true
	}
	// net/http turns the RecordHeaderError of a plain-HTTP answer into an
	// untyped error with this text (transport.go, persistConn.addTLS).
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return true
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

func tlsReason(err error) string {
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return rh.Msg
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return strings.TrimPrefix(ue.Err.Error(), "http: ")
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func host(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, e := url.Parse(ue.URL); e == nil {
			return SanitizeLine(u.Host)
		}
	}
	return ""
}

func decodeBase64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}

// Snippet returns a short sanitized excerpt of a body for error messages.
func Snippet(b []byte) string {
	s := SanitizeLine(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// HTTPStatusText is "503 Service Unavailable".
func HTTPStatusText(code int) string {
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}
