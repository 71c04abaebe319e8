package providers

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxExchangeBody bounds the part of a raw response body an Exchange
// keeps for display; the rest is counted in Omitted.
const MaxExchangeBody = 64 << 10

// maxExchanges bounds the answers one Capture keeps (a DWS launch is its
// attempts plus the code it sends); the oldest go first.
const maxExchanges = 8

// Exchange is a provider's raw answer as a developer exploring the API
// sees it: the status line, the headers and the body, sanitized, with the
// secrets and the personal values that were sent masked. It exists only
// for display and is never written to the session store (a provider may
// echo personal data that no rule knew to mask).
type Exchange struct {
	// Request is the method and path the answer is to ("POST /api/v2/token";
	// no query string, which may carry signed parameters).
	Request string            `json:"request"`
	Status  string            `json:"status"` // "201 Created", as the server wrote it
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	// Omitted counts the body's bytes beyond MaxExchangeBody, not shown.
	Omitted int `json:"omittedBytes,omitempty"`
}

// Text is the exchange as a developer reads it: request line, status,
// headers (sorted), an empty line and the body.
func (e Exchange) Text() string {
	var b strings.Builder
	b.WriteString(e.Request + "\n" + e.Status + "\n")
	names := make([]string, 0, len(e.Headers))
	for n := range e.Headers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString(n + ": " + e.Headers[n] + "\n")
	}
	b.WriteString("\n" + e.Body)
	if e.Omitted > 0 {
		b.WriteString("\n… (" + strconv.Itoa(e.Omitted) + " more bytes not shown)")
	}
	return b.String()
}

// Capture collects the raw answers Do receives under a context made by
// WithCapture, masked as they arrive: nothing unmasked is kept.
type Capture struct {
	sc    Scrubber
	mu    sync.Mutex
	got   []Exchange
	total int // answers received, the dropped ones included
}

// NewCapture masks what it collects with sc (the client's secrets and the
// personal values sent, see NewScrubber).
func NewCapture(sc Scrubber) *Capture { return &Capture{sc: sc} }

type captureKey struct{}

// WithCapture returns ctx under which every provider answer Do receives is
// added to c.
func WithCapture(ctx context.Context, c *Capture) context.Context {
	return context.WithValue(ctx, captureKey{}, c)
}

// Exchanges are the answers collected so far, oldest first.
func (c *Capture) Exchanges() []Exchange {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Exchange(nil), c.got...)
}

// Received counts the answers received so far, including those dropped
// to keep the last few: the n-th received is Exchanges()[n-1-(Received()-len(Exchanges()))].
func (c *Capture) Received() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// capture adds resp (its body as read, possibly cut short) to the Capture
// of ctx, if any.
func capture(ctx context.Context, req *http.Request, resp *http.Response, body []byte) {
	c, _ := ctx.Value(captureKey{}).(*Capture)
	if c == nil {
		return
	}
	e := Exchange{Request: req.Method + " " + c.sc.Text(SanitizeLine(req.URL.EscapedPath())),
		Status: c.sc.Text(SanitizeLine(resp.Status)), Headers: map[string]string{}}
	for name, vals := range resp.Header {
		e.Headers[SanitizeLine(name)] = c.sc.Text(SanitizeLine(strings.Join(vals, ", ")))
	}
	shown := body
	if len(shown) > MaxExchangeBody {
		cut := MaxExchangeBody
		for cut > 0 && !utf8.RuneStart(shown[cut]) { // not inside a character
			cut--
		}
		shown = shown[:cut]
	}
	e.Omitted = len(body) - len(shown)
	e.Body = c.sc.Text(MaskPersonalJSON(Sanitize(string(shown))))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, e)
	c.total++
	if len(c.got) > maxExchanges {
		c.got = c.got[len(c.got)-maxExchanges:]
	}
}

// WithExchanges returns err (a *Error) carrying ex, the raw answers that
// led to it, for display; nil stays nil.
func WithExchanges(err error, ex []Exchange) error {
	if err == nil || len(ex) == 0 {
		return err
	}
	out := *AsError(err)
	out.Exchanges = ex
	return &out
}
