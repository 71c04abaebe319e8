// Package sandbox mounts every provider's simulator on one HTTP server, at
// the same paths as the real APIs, so the console, the CLI, an official SDK
// or a curl script can use it by changing only the host.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// HealthPath answers a small JSON document that identifies a kycdesk sandbox.
const HealthPath = "/sandbox/health"

// Options configure a sandbox.
type Options struct {
	// PublicURL is the base of every URL the simulators issue (the QR).
	PublicURL string
	// Env supplies credential variables: when all of a provider's are set,
	// its simulator accepts those instead of the fixed sandbox credentials.
	Env  func(string) string
	Now  func() time.Time
	Logf func(format string, a ...any)
	// WebhookURL is the account-level webhook URL the iDenfy simulator
	// sends results to, as iDenfy's dashboard setting would (`kycdesk
	// sandbox --webhook-url URL`): https, or plain http to a loopback host
	// (CheckWebhookURL). "" sends none.
	WebhookURL string
	// WebhookSigningKey signs those webhooks (Idenfy-Signature). Start
	// makes a random one when WebhookURL is set and this is empty, and
	// reports it in Server.WebhookSigningKey for printing.
	WebhookSigningKey string
	// Callbacks sends every simulator's callbacks; nil: one per Handler.
	Callbacks *providers.Deliverer
}

// CheckWebhookURL refuses a --webhook-url the simulators would not call:
// https, or plain http to a loopback host (the sandbox's relaxation; live
// iDenfy requires https).
func CheckWebhookURL(raw string) string {
	return providers.CheckCallbackURL(raw, providers.ModeSandbox)
}

// WebhookLines describe where the simulators send callbacks, for
// `kycdesk sandbox` to print at start. The sandbox's signing key is not a
// secret of any real account.
func WebhookLines(opts Options) []string {
	sig := "unsigned"
	if opts.WebhookSigningKey != "" {
		sig = "signed with Idenfy-Signature (hex HMAC-SHA256 of the body), signing key " + opts.WebhookSigningKey
	}
	alibaba := "alibaba  callbacks go to each request's CallbackUrl (with its CallbackToken)"
	if opts.WebhookURL == "" {
		// A session's callbackUrl still gets its webhooks (the console
		// points it at its own receiver).
		return []string{"idenfy   webhooks go to a session's callbackUrl only, " + sig + " (--webhook-url URL sets the account's webhook URL and a signing key)",
			alibaba}
	}
	return []string{"idenfy   webhooks go to " + opts.WebhookURL + " (or a session's callbackUrl), " + sig, alibaba}
}

// Handler mounts every simulator of reg.
func Handler(reg providers.Registry, opts Options) http.Handler {
	mux := http.NewServeMux()
	if opts.Callbacks == nil {
		opts.Callbacks = &providers.Deliverer{Logf: opts.Logf}
	}
	for _, d := range reg {
		if d.NewSimulator == nil {
			continue
		}
		d.NewSimulator(providers.SimOptions{
			PublicURL:         strings.TrimRight(opts.PublicURL, "/"),
			Credentials:       AcceptedCredentials(d, opts.Env),
			Now:               opts.Now,
			Logf:              opts.Logf,
			WebhookURL:        opts.WebhookURL,
			WebhookSigningKey: opts.WebhookSigningKey,
			Callbacks:         opts.Callbacks,
		}).Register(mux)
	}
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"service": "kycdesk-sandbox", "providers": reg.IDs()})
	})
	mux.HandleFunc("GET /sandbox/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = indexPage.Execute(w, indexData(reg, opts))
	})
	return logRequests(mux, opts.Logf)
}

// AcceptedCredentials are the credentials a simulator accepts: the
// provider's credential variables when every required one is set in env,
// otherwise nil (the fixed sandbox credentials).
func AcceptedCredentials(d providers.Descriptor, env func(string) string) map[string]string {
	if env == nil {
		return nil
	}
	out := map[string]string{}
	for _, c := range d.Credentials {
		v := env(c.Env)
		if v == "" {
			if c.Optional {
				continue
			}
			return nil
		}
		if c.File {
			continue // key files are read by the provider's own loader in live mode; the sandbox keeps its fixed key pair
		}
		out[c.Name] = v
	}
	for _, c := range d.Credentials {
		if c.File && !c.Optional {
			return nil // a provider whose credentials are key files keeps the sandbox key pair
		}
	}
	return out
}

// Server is a running sandbox.
type Server struct {
	URL      string // where it listens, e.g. http://127.0.0.1:8470
	srv      *http.Server
	listener net.Listener

	// WebhookSigningKey signs the iDenfy simulator's webhooks ("" when no
	// WebhookURL was given).
	WebhookSigningKey string
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves.
// When opts.PublicURL is empty, the listening URL is used.
func Start(reg providers.Registry, addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	if opts.PublicURL == "" {
		opts.PublicURL = url
	}
	if opts.WebhookURL != "" && opts.WebhookSigningKey == "" {
		opts.WebhookSigningKey = providers.RandomHex(16)
	}
	s := &Server{URL: url, WebhookSigningKey: opts.WebhookSigningKey, listener: ln, srv: &http.Server{
		Handler:           Handler(reg, opts),
		ReadHeaderTimeout: 10 * time.Second,
	}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// Probe reports whether a kycdesk sandbox answers at base.
func Probe(base string, timeout time.Duration) bool {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(strings.TrimRight(base, "/") + HealthPath)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var h struct {
		Service string `json:"service"`
	}
	return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&h) == nil && h.Service == "kycdesk-sandbox"
}

// LANAddresses lists the non-loopback IPv4 addresses of this machine, for
// `--listen 0.0.0.0:PORT`: the URLs a phone on the same network can use.
func LANAddresses() []string {
	var out []string
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			out = append(out, ipn.IP.String())
		}
	}
	sort.Strings(out)
	return out
}

// ErrPortInUse tells the operator what to do when the listen address is taken.
var ErrPortInUse = errors.New("address already in use: another sandbox may be running (use it, or pass --listen with another port)")

// CredentialLines describe each provider's fixed sandbox credentials, for
// `kycdesk sandbox` to print at start. Sandbox credentials are not secrets.
func CredentialLines(reg providers.Registry, env func(string) string) []string {
	var lines []string
	for _, d := range reg {
		if AcceptedCredentials(d, env) != nil {
			lines = append(lines, fmt.Sprintf("%-8s accepts the credentials set in this environment (%s)", d.ID, envNames(d)))
			continue
		}
		var parts []string
		for _, c := range d.Credentials {
			if v, ok := d.SandboxCredentials[c.Name]; ok && !strings.Contains(v, "\n") {
				parts = append(parts, c.Env+"="+v)
			} else if ok {
				parts = append(parts, c.Env+"=(built-in sandbox key)")
			}
		}
		lines = append(lines, fmt.Sprintf("%-8s %s", d.ID, strings.Join(parts, " ")))
	}
	return lines
}

func envNames(d providers.Descriptor) string {
	var n []string
	for _, c := range d.Credentials {
		n = append(n, c.Env)
	}
	return strings.Join(n, ", ")
}

func logRequests(h http.Handler, logf func(string, ...any)) http.Handler {
	if logf == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		start := time.Now()
		h.ServeHTTP(rec, r)
		logf("%s %s → %d (%s)", r.Method, r.URL.Path, rec.status, time.Since(start).Round(time.Microsecond))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

type indexProvider struct {
	ID, Name, Summary string
	Credentials       []string
}

func indexData(reg providers.Registry, opts Options) any {
	var ps []indexProvider
	for _, d := range reg {
		ps = append(ps, indexProvider{ID: d.ID, Name: d.Name, Summary: d.Summary})
	}
	return map[string]any{"Providers": ps, "PublicURL": opts.PublicURL, "Lines": CredentialLines(reg, opts.Env)}
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kycdesk sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.4}code{background:#eee;padding:.1rem .3rem}</style></head>
<body><h1>kycdesk sandbox</h1>
<p>Simulators of these providers answer here at the same paths as the real APIs. Sessions live as long as this process.</p>
<ul>{{range .Providers}}<li><b>{{.Name}}</b> (<code>{{.ID}}</code>) — {{.Summary}}</li>{{end}}</ul>
<h2>Credentials accepted</h2><ul>{{range .Lines}}<li><code>{{.}}</code></li>{{end}}</ul>
<p>Public URL in every QR: <code>{{.PublicURL}}</code></p>
</body></html>`))
