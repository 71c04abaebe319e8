package providers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Mask is what a secret is replaced with wherever a request is shown.
const Mask = "••••••"

// sensitiveHeaders are masked whole except for their scheme word.
var sensitiveHeaders = map[string]bool{"authorization": true, "proxy-authorization": true, "cookie": true}

// RequestView is a request as shown on the review screen and by --dry-run:
// method, URL, headers and body, with secrets masked.
type RequestView struct {
	Method  string
	URL     string
	Headers [][2]string // sorted by name
	// Body is the body exactly as it is signed and sent, byte for byte
	// (only a configured secret, should one appear, is masked). It is
	// never re-indented: DWS signs these very bytes. For a reading aid
	// see PrettyBody, which is marked as such.
	Body string
}

// ReadBody returns the request body and restores it so the request can still be sent.
func ReadBody(req *http.Request) []byte {
	if req.Body == nil {
		return nil
	}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(rc)
			rc.Close()
			return b
		}
	}
	b, _ := io.ReadAll(req.Body)
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// View renders req for display; every value in secrets is masked wherever it
// appears, and Authorization-like headers keep only their scheme (and, for
// Basic, the user name, which is the key id, not the secret).
func View(req *http.Request, secrets []string) RequestView {
	v := RequestView{Method: req.Method, URL: mask(StripUserinfo(req.URL.String()), secrets)} // a password in the URL is never shown
	names := make([]string, 0, len(req.Header))
	for k := range req.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	v.Headers = append(v.Headers, [2]string{"Host", host})
	for _, k := range names {
		for _, val := range req.Header[k] {
			v.Headers = append(v.Headers, [2]string{k, maskHeader(k, val, secrets)})
		}
	}
	v.Body = mask(string(ReadBody(req)), secrets)
	return v
}

// PrettyNote marks a re-indented body wherever it is shown.
const PrettyNote = "(re-indented for reading; not the bytes sent)"

// PrettyBody is a reading aid: the body with JSON re-indented. It is NOT
// what is sent or signed; show it only under PrettyNote, and Body or Text
// for the request itself.
func (v RequestView) PrettyBody() string { return prettyBody([]byte(v.Body)) }

// PrettyText is Text with the body re-indented, under PrettyNote: a
// separate, marked view for reading long JSON bodies.
func (v RequestView) PrettyText() string {
	p := v
	p.Body = ""
	out := p.Text()
	if v.Body == "" {
		return out
	}
	pretty := v.PrettyBody()
	if !strings.HasSuffix(pretty, "\n") {
		pretty += "\n"
	}
	return out + "\n" + PrettyNote + "\n" + pretty
}

func maskHeader(name, val string, secrets []string) string {
	if sensitiveHeaders[strings.ToLower(name)] {
		scheme, rest, _ := strings.Cut(val, " ")
		if strings.EqualFold(scheme, "Basic") {
			if raw, err := decodeBase64(rest); err == nil {
				user, _, _ := strings.Cut(raw, ":")
				return "Basic " + Mask + " (" + mask(user, secrets) + ":" + Mask + ")"
			}
			return "Basic " + Mask
		}
		if strings.HasPrefix(scheme, "ACS3-") {
			// The signature is derived from the secret but is not the secret;
			// it is shown so a developer can compare signatures.
			return mask(val, secrets)
		}
		return scheme + " " + Mask
	}
	return mask(val, secrets)
}

// minMaskLen: shorter "secrets" (a test key like "s") would mask every
// matching letter; credentials in headers are masked whatever their length.
const minMaskLen = 4

func mask(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= minMaskLen {
			s = strings.ReplaceAll(s, sec, Mask)
			if q := url.QueryEscape(sec); q != sec {
				s = strings.ReplaceAll(s, q, Mask)
			}
		}
	}
	return s
}

func prettyBody(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") == nil {
		return out.String()
	}
	return string(b)
}

// Text renders the view as an HTTP/1.1-style message: the headers, a blank
// line and the body exactly as sent (a newline is added after it for the
// terminal when it has none).
func (v RequestView) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", v.Method, v.URL)
	for _, h := range v.Headers {
		fmt.Fprintf(&b, "%s: %s\n", h[0], h[1])
	}
	if v.Body != "" {
		b.WriteString("\n")
		b.WriteString(v.Body)
		if !strings.HasSuffix(v.Body, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Curl renders the request as a curl command with secrets masked; Basic
// credentials become -u KEY:$SECRET_ENV so the command still works once the
// variable is set.
func Curl(req *http.Request, secrets []string, secretEnv string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "curl -X %s %s", req.Method, shellQuote(mask(req.URL.String(), secrets)))
	names := make([]string, 0, len(req.Header))
	for k := range req.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, val := range req.Header[k] {
			if strings.EqualFold(k, "Authorization") {
				scheme, rest, _ := strings.Cut(val, " ")
				if strings.EqualFold(scheme, "Basic") {
					raw, _ := decodeBase64(rest)
					user, _, _ := strings.Cut(raw, ":")
					env := secretEnv
					if env == "" {
						env = "SECRET"
					}
					fmt.Fprintf(&b, " \\\n  -u %s", shellQuote(mask(user, secrets))+`:"$`+env+`"`)
					continue
				}
			}
			fmt.Fprintf(&b, " \\\n  -H %s", shellQuote(k+": "+maskHeader(k, val, secrets)))
		}
	}
	if body := ReadBody(req); len(body) > 0 {
		fmt.Fprintf(&b, " \\\n  --data-binary %s", shellQuote(mask(string(body), secrets)))
	}
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
