package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/internal/authfile"
)

// HTTP server limits: callbacks and simulator requests are small and
// quick; the limits stop slow or oversized clients from holding sockets.
const (
	httpReadHeaderTimeout = 5 * time.Second
	httpReadTimeout       = 30 * time.Second
	httpWriteTimeout      = 60 * time.Second
	httpIdleTimeout       = 2 * time.Minute
	httpMaxHeaderBytes    = 64 << 10
	healthCheckTimeout    = 2 * time.Second
)

// Check is one line of /healthz: ok when Run returns nil.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

type healthChecks struct {
	mu     sync.Mutex
	checks []Check
}

func (h *healthChecks) add(c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, c)
}

func (h *healthChecks) list() []Check {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Check(nil), h.checks...)
}

type checkResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

type healthBody struct {
	Status string        `json:"status"` // "ok" or "failing"
	Checks []checkResult `json:"checks"`
}

// serveHealth runs every check concurrently, each bounded by a timeout,
// and answers 200 when all pass, 503 otherwise.
func (h *healthChecks) serveHealth(w http.ResponseWriter, r *http.Request) {
	checks := h.list()
	results := make([]checkResult, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(r.Context(), healthCheckTimeout)
			defer cancel()
			res := checkResult{Name: c.Name, OK: true}
			if err := c.Run(ctx); err != nil {
				res.OK = false
				res.Error = redact(err.Error())
			}
			results[i] = res
		}()
	}
	wg.Wait()
	body := healthBody{Status: "ok", Checks: results}
	code := http.StatusOK
	for _, res := range results {
		if !res.OK {
			body.Status, code = "failing", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// userinfoRE matches the credentials part of a URL (postgres://u:p@host).
var userinfoRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`://[^/@\s]*@`) })

// redact strips URL credentials from a check's error (a store error may
// quote its connection URL) and caps its length.
func redact(s string) string {
	s = userinfoRE().ReplaceAllString(s, "://…@")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// newHTTPServer builds the listener's server over s.mux (which holds
// /healthz, /metrics and whatever the caller mounted).
func (s *Server) newHTTPServer() (*http.Server, error) {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
	}
	if s.cfg.TLSCert != "" {
		keyPEM, err := authfile.Read(s.cfg.TLSKey, tlsKeyRules)
		if err != nil {
			return nil, err
		}
		certPEM, err := authfile.Read(s.cfg.TLSCert, tlsCertRules)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %v", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return hs, nil
}
