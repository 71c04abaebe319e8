// Package sandbox mounts every provider's simulator on one HTTP server, at
// the same paths as the real APIs, so the console, the CLI, an official SDK
// or a curl script can use it by changing only the host.
package sandbox

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/sandbox/token"
)

// HealthPath answers a small JSON document that identifies a kycdesk
// sandbox; with ?challenge=NONCE it proves it holds the run's token.
const HealthPath = token.HealthPath

// Options configure a sandbox.
type Options struct {
	// PublicURL is the base of every URL the simulators issue (the QR).
	PublicURL string
	// Env supplies credential variables: when all of a provider's are set,
	// its simulator accepts those instead of the fixed sandbox credentials.
	Env  func(string) string
	Now  clock.Func // nil: the system clock
	Logf func(format string, a ...any)
	// Token is the per-run token (Start makes one when empty). The console
	// presents it; the health answer proves it; operator pages (the DWS
	// SMS inbox, the credentials page) open for it beyond loopback.
	Token string
	// StateDir, when set, is where Start writes the token file
	// (token.Path(StateDir, LocalURL), mode 0600) that a console on this
	// machine reads; Close removes it.
	StateDir string
	// Limits bound what clients can hold; zero fields take DefaultLimits.
	Limits Limits
	// WebhookURL is the account-level webhook URL the iDenfy simulator
	// sends results to, as iDenfy's dashboard setting would (`kycdesk
	// sandbox --webhook-url URL`): https, or plain http to a loopback host
	// (CheckWebhookURL). "" sends none.
	WebhookURL string
	// WebhookSigningKey signs those webhooks (Idenfy-Signature). Start
	// derives one from the run's token when this is empty
	// (token.WebhookKey), and reports it in Server.WebhookSigningKey for
	// printing.
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

// Limits bound the server.
type Limits struct {
	ReadHeaderTimeout time.Duration // request line and headers
	ReadTimeout       time.Duration // the whole request, body included
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration // between keep-alive requests
	MaxConns          int           // open connections; more are closed at once
	MaxConnsPerHost   int           // open connections from one address; more are closed at once
	SummaryEvery      time.Duration // how often the request summary is logged
	LogLinesPerSecond int           // other log lines beyond this are counted, not written
}

// DefaultLimits: generous for a phone and a console, small enough that
// slow or idle clients cannot exhaust the process's file descriptors.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       15 * time.Second,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       60 * time.Second,
	MaxConns:          256,
	// Slow clients from one address (400 that never finish their headers)
	// fill only their own share: others still get in.
	MaxConnsPerHost:   32,
	SummaryEvery:      time.Minute,
	LogLinesPerSecond: 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.ReadHeaderTimeout > 0 {
		d.ReadHeaderTimeout = l.ReadHeaderTimeout
	}
	if l.ReadTimeout > 0 {
		d.ReadTimeout = l.ReadTimeout
	}
	if l.WriteTimeout > 0 {
		d.WriteTimeout = l.WriteTimeout
	}
	if l.IdleTimeout > 0 {
		d.IdleTimeout = l.IdleTimeout
	}
	if l.MaxConns > 0 {
		d.MaxConns = l.MaxConns
	}
	if l.MaxConnsPerHost > 0 {
		d.MaxConnsPerHost = l.MaxConnsPerHost
	}
	if l.SummaryEvery > 0 {
		d.SummaryEvery = l.SummaryEvery
	}
	if l.LogLinesPerSecond > 0 {
		d.LogLinesPerSecond = l.LogLinesPerSecond
	}
	return d
}

// Handler mounts every simulator of reg. Operator pages answer only
// loopback clients or a client presenting opts.Token.
func Handler(reg providers.Registry, opts Options) http.Handler {
	mux := http.NewServeMux()
	if opts.Callbacks == nil {
		opts.Callbacks = &providers.Deliverer{Logf: opts.Logf}
	}
	operator := []string{"/sandbox/"} // the credentials page (exact)
	for _, d := range reg {
		if d.NewSimulator == nil {
			continue
		}
		sim := d.NewSimulator(providers.SimOptions{
			PublicURL:         strings.TrimRight(opts.PublicURL, "/"),
			Credentials:       AcceptedCredentials(d, opts.Env),
			Now:               opts.Now,
			Logf:              opts.Logf,
			WebhookURL:        opts.WebhookURL,
			WebhookSigningKey: opts.WebhookSigningKey,
			Callbacks:         opts.Callbacks,
		})
		sim.Register(mux)
		if op, ok := sim.(providers.OperatorPages); ok {
			operator = append(operator, op.OperatorPaths()...)
		}
	}
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		h := token.Health{Service: "kycdesk-sandbox", Providers: reg.IDs(), PublicURL: strings.TrimRight(opts.PublicURL, "/")}
		if nonce := r.URL.Query().Get(token.ProofParam); nonce != "" && opts.Token != "" && len(nonce) <= 128 {
			h.Proof = token.Proof(opts.Token, nonce)
		}
		_ = json.NewEncoder(w).Encode(h)
	})
	mux.HandleFunc("GET /sandbox/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = indexPage().Execute(w, indexData(reg, opts))
	})
	return guardOperatorPages(&literalRoutes{mux: mux}, opts.Token, operator)
}

// guardOperatorPages serves the operator's pages to this machine, or to a
// client that presents the run's token (the console's header, or ?token=
// in a browser); anyone else on the network gets 403.
func guardOperatorPages(h http.Handler, tok string, prefixes []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if operatorPath(r.URL.Path, prefixes) && !loopbackClient(r) && !presentsToken(r, tok) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, "This sandbox page is for the operator: open it on the machine that runs the sandbox, "+
				"or add ?token=… (printed by `kycdesk sandbox` at start).\n")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func operatorPath(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || (p != "/sandbox/" && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}

func loopbackClient(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func presentsToken(r *http.Request, tok string) bool {
	if tok == "" {
		return false
	}
	got := r.Header.Get(providers.SandboxTokenHeader)
	if got == "" {
		got = r.URL.Query().Get("token")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(tok)) == 1
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
	URL string // where it listens, e.g. http://127.0.0.1:8470
	// LocalURL is what a console on this machine uses (the loopback URL
	// for a wildcard listen address).
	LocalURL string
	// Token is the run's token; TokenFile where it was written ("" = not).
	Token     string
	TokenFile string
	// LAN reports a listen address beyond loopback.
	LAN bool

	srv      *http.Server
	listener net.Listener

	// WebhookSigningKey signs the iDenfy simulator's webhooks ("" when no
	// WebhookURL was given).
	WebhookSigningKey string
	log               *rateLog
	stats             *stats
	limits            Limits
	stop              chan struct{}
	done              chan struct{}
	bg                sync.WaitGroup // the listener's janitor
	closed            sync.Once
	closeErr          error
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
	if opts.Token == "" {
		opts.Token = token.New()
	}
	if opts.WebhookSigningKey == "" {
		// Every webhook is signed (the account's and each session's
		// callbackUrl): with a key derived from the run's token, which a
		// console on this machine reads to verify them.
		opts.WebhookSigningKey = token.WebhookKey(opts.Token)
	}
	limits := opts.Limits.withDefaults()
	tcp, _ := ln.Addr().(*net.TCPAddr)
	s := &Server{URL: url, LocalURL: url, Token: opts.Token, limits: limits, WebhookSigningKey: opts.WebhookSigningKey,
		stats: &stats{}, stop: make(chan struct{}), done: make(chan struct{})}
	if tcp != nil {
		s.LAN = !tcp.IP.IsLoopback()
		if tcp.IP.IsUnspecified() {
			s.LocalURL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
		}
	}
	s.log = newRateLog(opts.Logf, limits.LogLinesPerSecond)
	if opts.Logf != nil {
		opts.Logf = s.log.printf // simulators' lines, bounded under a flood
	}
	capped := &capListener{Listener: ln, max: limits.MaxConns, perHost: limits.MaxConnsPerHost, refused: func(remote string, fromHost bool) {
		s.stats.refused.Add(1)
		if fromHost {
			s.log.printf("connection from %s refused: %d connections open from its address (the cap)", remote, limits.MaxConnsPerHost)
			return
		}
		s.log.printf("connection from %s refused: %d connections open (the cap)", remote, limits.MaxConns)
	}}
	capped.clock.now.Store(time.Now().UnixNano())
	s.listener = capped
	s.srv = &http.Server{
		Handler:           s.stats.count(Handler(reg, opts)),
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		WriteTimeout:      limits.WriteTimeout,
		IdleTimeout:       limits.IdleTimeout,
		ErrorLog:          log.New(logWriter{s.log}, "", 0),
	}
	if opts.StateDir != "" {
		path := token.Path(opts.StateDir, s.LocalURL)
		if err := token.Write(path, s.Token); err != nil {
			ln.Close()
			return nil, fmt.Errorf("cannot write the sandbox token file: %w", err)
		}
		s.TokenFile = path
	}
	go func() { _ = s.srv.Serve(s.listener) }()
	go s.summarize(opts.Logf != nil)
	s.bg.Go(func() { capped.janitor(deadlineTick(limits), s.stop) })
	return s, nil
}

// StartLines say, for `kycdesk sandbox` to print at start, who can open
// what and where the token is.
func (s *Server) StartLines() []string {
	var out []string
	switch {
	case s.LAN:
		// Beyond loopback the operator pages need it (?token=…).
		out = append(out, "This run's token: "+s.Token)
	case s.TokenFile != "":
		// Not printed: a captured log would let a process that takes
		// this port later pass for this sandbox.
		out = append(out, "This run's token is in "+s.TokenFile+" (0600); a console on this machine reads it there.")
	default:
		out = append(out, "This run's token: "+s.Token)
	}
	out = append(out, "A console sends live credentials from its environment only to a sandbox that proves it holds this token; otherwise it uses the fixed sandbox credentials.")
	if s.LAN {
		out = append(out, "The SMS inbox and the credentials page open only on this machine, or with ?token=<the token> (e.g. /sandbox/dws/?token=…).")
	}
	return out
}

// Close stops the server: the listener at once, then it waits up to a
// second for requests in progress before closing every connection. The
// token file is removed and a last summary logged.
func (s *Server) Close() error {
	s.closed.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if s.closeErr = s.srv.Shutdown(ctx); s.closeErr != nil {
			s.closeErr = s.srv.Close()
		}
		close(s.stop)
		<-s.done
		s.bg.Wait()
		if s.TokenFile != "" {
			token.Remove(s.TokenFile, s.Token)
		}
	})
	return s.closeErr
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

// stats count requests between two summaries: each request once, in its
// status class (other: 1xx and beyond 5xx); the requests are their sum.
// One count a request, not two: every count is a cache line the cores
// pass each other.
type stats struct {
	other, c2xx, c3xx, c4xx, c5xx, refused atomic.Int64
}

func (st *stats) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		h.ServeHTTP(rec, r)
		switch rec.status / 100 {
		case 2:
			st.c2xx.Add(1)
		case 3:
			st.c3xx.Add(1)
		case 4:
			st.c4xx.Add(1)
		case 5:
			st.c5xx.Add(1)
		default:
			st.other.Add(1)
		}
	})
}

// summarize logs one line per period instead of one per request.
func (s *Server) summarize(logging bool) {
	defer close(s.done)
	t := time.NewTicker(s.limits.SummaryEvery)
	defer t.Stop()
	last := time.Now()
	flush := func() {
		now := time.Now()
		line := s.summaryLine(now.Sub(last))
		last = now
		if logging && line != "" {
			s.log.always(line)
		}
	}
	for {
		select {
		case <-t.C:
			flush()
		case <-s.stop:
			flush()
			return
		}
	}
}

func (s *Server) summaryLine(period time.Duration) string {
	st := s.stats
	refused, dropped := st.refused.Swap(0), s.log.suppressed.Swap(0)
	c2, c3, c4, c5 := st.c2xx.Swap(0), st.c3xx.Swap(0), st.c4xx.Swap(0), st.c5xx.Swap(0)
	n := c2 + c3 + c4 + c5 + st.other.Swap(0)
	if n == 0 && refused == 0 && dropped == 0 {
		return ""
	}
	line := fmt.Sprintf("%d requests in the last %s (2xx %d, 3xx %d, 4xx %d, 5xx %d)", n, period.Round(time.Second), c2, c3, c4, c5)
	if refused > 0 {
		line += fmt.Sprintf("; %d connections refused at the cap of %d", refused, s.limits.MaxConns)
	}
	if dropped > 0 {
		line += fmt.Sprintf("; %d log lines not written (more than %d a second)", dropped, s.limits.LogLinesPerSecond)
	}
	return line
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// rateLog writes at most perSecond lines a second and counts the rest,
// which the next summary reports.
type rateLog struct {
	logf       func(string, ...any)
	perSecond  int
	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed atomic.Int64
}

func newRateLog(logf func(string, ...any), perSecond int) *rateLog {
	return &rateLog{logf: logf, perSecond: perSecond}
}

func (l *rateLog) printf(format string, a ...any) {
	if l.logf == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	if now.Sub(l.window) >= time.Second {
		l.window, l.n = now, 0
	}
	l.n++
	ok := l.n <= l.perSecond
	l.mu.Unlock()
	if !ok {
		l.suppressed.Add(1)
		return
	}
	l.logf(format, a...)
}

func (l *rateLog) always(line string) {
	if l.logf != nil {
		l.logf("%s", line)
	}
}

// logWriter routes net/http's own messages (TLS junk, timeouts) through
// the rate limit.
type logWriter struct{ l *rateLog }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.printf("%s", strings.TrimSpace(providers.SanitizeLine(string(p))))
	return len(p), nil
}

// capListener closes connections beyond max, or beyond perHost from one
// address, at once, so that slow or idle clients cannot take every file
// descriptor, nor lock other clients out.
type capListener struct {
	net.Listener
	max, perHost int
	refused      func(remote string, fromHost bool)

	mu     sync.Mutex
	open   int
	byHost map[string]int
	conns  map[*capConn]struct{} // the open ones, for the janitor
	clock  lazyClock
}

// admit takes a slot for c, if there is one.
func (l *capListener) admit(c *capConn) (ok, fromHost bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.max {
		return false, false
	}
	if l.perHost > 0 && l.byHost[c.host] >= l.perHost {
		return false, true
	}
	if l.byHost == nil {
		l.byHost, l.conns = map[string]int{}, map[*capConn]struct{}{}
	}
	l.open++
	l.byHost[c.host]++
	l.conns[c] = struct{}{}
	return true, false
}

func (l *capListener) release(c *capConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
	l.open--
	if l.byHost[c.host]--; l.byHost[c.host] <= 0 {
		delete(l.byHost, c.host)
	}
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := c.RemoteAddr().String()
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		cc := &capConn{Conn: c, l: l, host: host}
		if ok, fromHost := l.admit(cc); !ok {
			remote := c.RemoteAddr().String()
			c.Close()
			l.refused(remote, fromHost)
			continue
		}
		return cc, nil
	}
}

// capConn is an admitted connection; its deadlines are enforced by the
// listener's janitor (deadlines.go).
type capConn struct {
	net.Conn
	l    *capListener
	host string
	once sync.Once
	capConnState
}

// Close frees the slot before closing, so that a client that sees the
// close can connect again at once.
func (c *capConn) Close() error {
	c.once.Do(func() { c.l.release(c) })
	return c.Conn.Close()
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

var indexPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>kycdesk sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.4}code{background:#eee;padding:.1rem .3rem}</style></head>
<body><h1>kycdesk sandbox</h1>
<p>Simulators of these providers answer here at the same paths as the real APIs. Sessions live as long as this process.</p>
<ul>{{range .Providers}}<li><b>{{.Name}}</b> (<code>{{.ID}}</code>) — {{.Summary}}</li>{{end}}</ul>
<h2>Credentials accepted</h2><ul>{{range .Lines}}<li><code>{{.}}</code></li>{{end}}</ul>
<p>Public URL in every QR: <code>{{.PublicURL}}</code></p>
</body></html>`))
})
