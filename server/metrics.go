package server

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics counts what /metrics shows. Other packages (desk, callbacks)
// feed it through these methods, declaring the small interface they need on
// their side, so they import neither server nor prometheus. Every method is
// safe on a nil *Metrics (a local console has none).
type Metrics struct {
	reg *prometheus.Registry

	launchesStarted  *prometheus.CounterVec
	launchesFinished *prometheus.CounterVec
	launchSeconds    *prometheus.HistogramVec
	callbacksOK      *prometheus.CounterVec
	callbacksRefused *prometheus.CounterVec
	providerErrors   *prometheus.CounterVec
	rateLimitWaits   *prometheus.HistogramVec
	sshActive        prometheus.Gauge
	sshSessions      prometheus.Counter
	sshRefused       prometheus.Counter
	sshConnRefused   prometheus.Counter
	sshStart         *prometheus.HistogramVec

	labels labelGuard
}

// NewMetrics builds the metrics on their own registry (not the global one,
// so several servers in one test process do not collide).
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.launchesStarted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycdesk_launches_started_total", Help: "Verification sessions whose launch request was sent, per provider.",
	}, []string{"provider"})
	m.launchesFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycdesk_launches_finished_total", Help: "Launches finished, per provider and outcome (launched, rejected, invalid, unknown).",
	}, []string{"provider", "outcome"})
	m.launchSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kycdesk_launch_duration_seconds", Help: "Time from launch request to result (URL or challenge), per provider.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"provider"})
	m.callbacksOK = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycdesk_callbacks_accepted_total", Help: "Provider callbacks accepted, per provider.",
	}, []string{"provider"})
	m.callbacksRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycdesk_callbacks_refused_total", Help: "Provider callbacks refused, per provider and reason (bad_signature, replayed, malformed, unknown_session…).",
	}, []string{"provider", "reason"})
	m.providerErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kycdesk_provider_errors_total", Help: "Errors returned by providers, per provider and the provider's error code.",
	}, []string{"provider", "code"})
	m.rateLimitWaits = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kycdesk_rate_limit_wait_seconds", Help: "Time a launch waited for the provider account's shared token bucket.",
		Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"provider"})
	m.sshActive = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kycdesk_ssh_sessions_active", Help: "Desks connected over SSH now.",
	})
	m.sshSessions = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kycdesk_ssh_sessions_total", Help: "SSH console sessions started.",
	})
	m.sshRefused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kycdesk_ssh_auth_refused_total", Help: "SSH public keys refused because they are not in the operators file.",
	})
	m.sshConnRefused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kycdesk_ssh_connections_refused_total", Help: "SSH connections closed at once because too many were still in their handshake (in all or from their address).",
	})
	m.sshStart = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kycdesk_ssh_session_start_seconds",
		Help: "What the server adds to a desk's wait for its first frame, from the session's start (handshake, auth and PTY request done) to each stage: " +
			"terminal_query (the desk terminal's background answered), console (built), first_frame (its bytes written to the session).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"stage"})
	for _, c := range []prometheus.Collector{m.launchesStarted, m.launchesFinished, m.launchSeconds, m.callbacksOK,
		m.callbacksRefused, m.providerErrors, m.rateLimitWaits, m.sshActive, m.sshSessions, m.sshRefused, m.sshConnRefused, m.sshStart,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
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
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry lets the caller register more collectors (e.g. a store's pool).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

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
