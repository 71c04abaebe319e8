package providers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Delivery is one callback a simulator sends, as the provider would.
type Delivery struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// What names it in the sandbox log ("idenfy webhook scanRef=…").
	What string
}

// Deliverer sends simulator callbacks the way providers do: in the
// background (never blocking the customer's page), each attempt bounded by
// a timeout, retried a couple of times on a transport error or a non-2xx
// answer. It is safe for concurrent use.
type Deliverer struct {
	HTTP     *http.Client  // nil: a client with a 5 s timeout
	Attempts int           // 0: 3 (one send and two retries)
	Backoff  time.Duration // 0: 500 ms, doubled after each attempt
	Logf     func(format string, a ...any)

	wg sync.WaitGroup
}

// Send starts delivering d and returns at once.
func (d *Deliverer) Send(x Delivery) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.deliver(x)
	}()
}

// SendInOrder delivers xs one after the other in the background (an
// intermediate result before the final one), each with its retries.
func (d *Deliverer) SendInOrder(xs ...Delivery) {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for _, x := range xs {
			d.deliver(x)
		}
	}()
}

// Wait blocks until every delivery started so far has finished (tests,
// shutdown).
func (d *Deliverer) Wait() { d.wg.Wait() }

func (d *Deliverer) logf(format string, a ...any) {
	if d.Logf != nil {
		d.Logf(format, a...)
	}
}

// where is a delivery's URL for the log: without its query, which may
// carry a token.
func where(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		u.RawQuery, u.Fragment, u.User = "", "", nil
		return u.String()
	}
	return "(unparsable URL)"
}

func (d *Deliverer) deliver(x Delivery) {
	client := d.HTTP
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	attempts, backoff := d.Attempts, d.Backoff
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	for i := 1; i <= attempts; i++ {
		status, err := d.once(client, x)
		switch {
		case err == nil && status >= 200 && status < 300:
			d.logf("%s delivered to %s (HTTP %d)", x.What, where(x.URL), status)
			return
		case err != nil:
			d.logf("%s to %s failed (attempt %d of %d): %s", x.What, where(x.URL), i, attempts, SanitizeLine(err.Error()))
		default:
			d.logf("%s to %s answered HTTP %d (attempt %d of %d)", x.What, where(x.URL), status, i, attempts)
		}
		if i < attempts {
			time.Sleep(backoff)
			backoff *= 2
		}
	}
}

func (d *Deliverer) once(client *http.Client, x Delivery) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var body io.Reader
	if x.Body != nil {
		body = bytes.NewReader(x.Body)
	}
	req, err := http.NewRequestWithContext(ctx, x.Method, x.URL, body)
	if err != nil {
		return 0, err
	}
	for k, vs := range x.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
