package providers

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
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
func Do(ctx context.Context, c *http.Client, req *http.Request) (*Response, error) {
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		return nil, classify(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return nil, Unknown(resp.StatusCode, "", "the response was cut off before it was complete", err)
	}
	if len(body) > MaxResponseBody {
		return nil, Unknown(resp.StatusCode, "", "the response was larger than 1 MiB; refused", nil)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

func classify(err error) *Error {
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

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func host(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, e := url.Parse(ue.URL); e == nil {
			return u.Host
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
