package server

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/internal/promtext"
)

// Metrics counts what /metrics shows. Other packages (desk, callbacks)
// feed it through these methods, declaring the small interface they need on
// their side, so they import neither server nor promtext. Every method is
// safe on a nil *Metrics (a local console has none).
type Metrics struct {
	reg *promtext.Registry

	launchesStarted  *promtext.CounterVec
	launchesFinished *promtext.CounterVec
	launchSeconds    *promtext.HistogramVec
	callbacksOK      *promtext.CounterVec
	callbacksRefused *promtext.CounterVec
	providerErrors   *promtext.CounterVec
	rateLimitWaits   *promtext.HistogramVec
	sshActive        *promtext.Gauge
	sshSessions      *promtext.Counter
	sshRefused       *promtext.Counter
	sshConnRefused   *promtext.Counter
	sshStart         *promtext.HistogramVec

	labels labelGuard
}

// NewMetrics builds the metrics on their own registry (several servers in
// one test process do not collide), with the Go runtime's and the
// process's metrics. promtext, not client_golang: see its package comment.
func NewMetrics() *Metrics {
	r := promtext.NewRegistry()
	m := &Metrics{reg: r}
	m.launchesStarted = r.CounterVec("kycdesk_launches_started_total",
		"Verification sessions whose launch request was sent, per provider.", "provider")
	m.launchesFinished = r.CounterVec("kycdesk_launches_finished_total",
		"Launches finished, per provider and outcome (launched, rejected, invalid, unknown).", "provider", "outcome")
	m.launchSeconds = r.HistogramVec("kycdesk_launch_duration_seconds",
		"Time from launch request to result (URL or challenge), per provider.",
		[]float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}, "provider")
	m.callbacksOK = r.CounterVec("kycdesk_callbacks_accepted_total", "Provider callbacks accepted, per provider.", "provider")
	m.callbacksRefused = r.CounterVec("kycdesk_callbacks_refused_total",
		"Provider callbacks refused, per provider and reason (bad_signature, replayed, malformed, unknown_session…).", "provider", "reason")
	m.providerErrors = r.CounterVec("kycdesk_provider_errors_total",
		"Errors returned by providers, per provider and the provider's error code.", "provider", "code")
	m.rateLimitWaits = r.HistogramVec("kycdesk_rate_limit_wait_seconds",
		"Time a launch waited for the provider account's shared token bucket.",
		[]float64{.001, .01, .05, .1, .25, .5, 1, 2.5, 5}, "provider")
	m.sshActive = r.Gauge("kycdesk_ssh_sessions_active", "Desks connected over SSH now.")
	m.sshSessions = r.Counter("kycdesk_ssh_sessions_total", "SSH console sessions started.")
	m.sshRefused = r.Counter("kycdesk_ssh_auth_refused_total", "SSH public keys refused because they are not in the operators file.")
	m.sshConnRefused = r.Counter("kycdesk_ssh_connections_refused_total",
		"SSH connections closed at once because too many were still in their handshake (in all or from their address).")
	m.sshStart = r.HistogramVec("kycdesk_ssh_session_start_seconds",
		"What the server adds to a desk's wait for its first frame, from the session's start (handshake, auth and PTY request done) to each stage: "+
			"terminal_query (the desk terminal's background answered), console (built), first_frame (its bytes written to the session).",
		[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}, "stage")
	r.WithRuntime()
	return m
}

// sessionStage records how long after its start a desk's session reached
// stage (terminal_query, console, first_frame).
func (m *Metrics) sessionStage(stage string, d time.Duration) {
	if m == nil {
		return
	}
	m.sshStart.WithLabelValues(stage).Observe(d.Seconds())
}

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler { return m.reg }

// LaunchStarted counts a launch request sent to provider.
func (m *Metrics) LaunchStarted(provider string) {
	if m == nil {
		return
	}
	m.launchesStarted.WithLabelValues(m.labels.value("provider", provider)).Inc()
}

// LaunchFinished counts a finished launch and how long it took to its
// result. outcome is the workflow's word for it: launched, rejected,
// invalid, unknown, cancelled.
func (m *Metrics) LaunchFinished(provider, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	p := m.labels.value("provider", provider)
	m.launchesFinished.WithLabelValues(p, m.labels.value("outcome", outcome)).Inc()
	m.launchSeconds.WithLabelValues(p).Observe(took.Seconds())
}

// CallbackAccepted counts a callback that was verified and recorded.
func (m *Metrics) CallbackAccepted(provider string) {
	if m == nil {
		return
	}
	m.callbacksOK.WithLabelValues(m.labels.value("provider", provider)).Inc()
}

// CallbackRefused counts a refused callback and why.
func (m *Metrics) CallbackRefused(provider, reason string) {
	if m == nil {
		return
	}
	m.callbacksRefused.WithLabelValues(m.labels.value("provider", provider), m.labels.value("reason", reason)).Inc()
}

// ProviderError counts an error a provider returned, by its code.
func (m *Metrics) ProviderError(provider, code string) {
	if m == nil {
		return
	}
	m.providerErrors.WithLabelValues(m.labels.value("provider", provider), m.labels.value("code", code)).Inc()
}

// RateLimitWaited records how long a launch queued for the provider's
// shared token bucket.
func (m *Metrics) RateLimitWaited(provider string, waited time.Duration) {
	if m == nil {
		return
	}
	m.rateLimitWaits.WithLabelValues(m.labels.value("provider", provider)).Observe(waited.Seconds())
}

func (m *Metrics) deskConnected() {
	if m == nil {
		return
	}
	m.sshActive.Inc()
	m.sshSessions.Inc()
}

func (m *Metrics) deskDisconnected() {
	if m == nil {
		return
	}
	m.sshActive.Dec()
}

func (m *Metrics) connRefused() {
	if m == nil {
		return
	}
	m.sshConnRefused.Inc()
}

func (m *Metrics) keyRefused() {
	if m == nil {
		return
	}
	m.sshRefused.Inc()
}

// labelGuard keeps label values bounded: they can come from the network
// (a provider's error code), and each distinct value is a new time series.
type labelGuard struct {
	mu   sync.Mutex
	seen map[string]map[string]bool
}

const (
	maxLabelValues = 64
	maxLabelLen    = 48
	otherLabel     = "other"
)

func (g *labelGuard) value(label, v string) string {
	v = cleanLabel(v)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]map[string]bool{}
	}
	vals := g.seen[label]
	if vals == nil {
		vals = map[string]bool{}
		g.seen[label] = vals
	}
	if vals[v] {
		return v
	}
	if len(vals) >= maxLabelValues {
		return otherLabel
	}
	vals[v] = true
	return v
}

// cleanLabel keeps letters, digits and . _ - : (provider codes look like
// Throttling.Api or 401), replaces the rest and caps the length.
func cleanLabel(v string) string {
	if v == "" {
		return "none"
	}
	var b strings.Builder
	for _, r := range v {
		if b.Len() >= maxLabelLen {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == ':':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
