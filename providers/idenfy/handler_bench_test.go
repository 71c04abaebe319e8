package idenfy

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// BenchmarkTokenHandler is the token endpoint's handler alone, called
// directly (no network, no server), next to a bare handler that reads the
// body and writes the same answer's bytes, run the same way in the same
// run: the simulator's own cost per token. Each request has its own
// clientId; the simulator's clock moves on 100 s a token, as in the
// sandbox's throughput benchmark, so that it keeps a day's sessions.
func BenchmarkTokenHandler(b *testing.B) {
	var ahead time.Duration
	sim := NewSimulator(providers.SimOptions{PublicURL: "http://127.0.0.1:8470",
		Now: func() time.Time { return time.Now().Add(ahead) }}).(*simulator)
	u, _ := url.Parse("http://127.0.0.1:8470" + TokenPath)
	header := http.Header{
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(SandboxAPIKey+":"+SandboxAPISecret))},
		"Content-Type":  {"application/json"},
	}
	request := func(n int) *http.Request {
		body := []byte(`{"clientId":"tp-` + strconv.Itoa(n) + `"}`)
		return &http.Request{Method: http.MethodPost, URL: u, Header: header, Host: u.Host,
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
	}
	w := &discardWriter{header: http.Header{}}
	sim.handleToken(w, request(0))
	if w.status != http.StatusCreated {
		b.Fatalf("token: %d", w.status)
	}
	sample := append([]byte(nil), w.body...)
	bare := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(sample)
	}
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
	}{{"bare", bare}, {"simulator", sim.handleToken}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ahead += 100 * time.Second
				r := request(i)
				clear(w.header)
				w.body = w.body[:0]
				c.h(w, r)
				if w.status != http.StatusCreated {
					b.Fatalf("%s: %d %s", c.name, w.status, w.body)
				}
			}
		})
	}
}

// discardWriter keeps the status and the body's bytes, reused between
// requests.
type discardWriter struct {
	header http.Header
	status int
	body   []byte
}

func (w *discardWriter) Header() http.Header  { return w.header }
func (w *discardWriter) WriteHeader(code int) { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) {
	w.body = append(w.body, p...)
	return len(p), nil
}
