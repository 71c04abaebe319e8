package promtext

import (
	"bytes"
	"math"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parse reads r's output with Prometheus's own text parser (a test-only
// dependency: the binary does not link it).
func parse(t *testing.T, r *Registry) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	var buf bytes.Buffer
	n, err := r.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d, %v (wrote %d)", n, err, buf.Len())
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("Prometheus's parser refuses the output: %v\n%s", err, buf.String())
	}
	return buf.String(), fams
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestCountersGaugesAndHistogramsParse(t *testing.T) {
	r := NewRegistry()
	c := r.Counter("t_plain_total", "A plain counter.")
	g := r.Gauge("t_active", "A gauge.")
	cv := r.CounterVec("t_refused_total", "Refusals, per provider and reason (a \\ and a\nnewline in help).", "provider", "reason")
	hv := r.HistogramVec("t_wait_seconds", "Waits.", []float64{.01, .05, 1}, "provider")

	c.Inc()
	c.Add(491)
	g.Inc()
	g.Inc()
	g.Dec()
	cv.WithLabelValues("idenfy", "bad_signature").Inc()
	cv.WithLabelValues("alibaba", `odd"value\with`+"\nnewline").Inc()
	cv.WithLabelValues("idenfy", "bad_signature").Inc()
	h := hv.WithLabelValues("alibaba")
	for _, v := range []float64{0.005, 0.01, 0.03, 2} { // 0.01 falls in le="0.01": bounds are inclusive
		h.Observe(v)
	}

	text, fams := parse(t, r)
	if v := fams["t_plain_total"].GetMetric()[0].GetCounter().GetValue(); v != 492 {
		t.Errorf("counter %v, want 492", v)
	}
	if fams["t_plain_total"].GetType() != dto.MetricType_COUNTER || fams["t_active"].GetType() != dto.MetricType_GAUGE ||
		fams["t_wait_seconds"].GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("types: %v %v %v", fams["t_plain_total"].GetType(), fams["t_active"].GetType(), fams["t_wait_seconds"].GetType())
	}
	if v := fams["t_active"].GetMetric()[0].GetGauge().GetValue(); v != 1 {
		t.Errorf("gauge %v, want 1", v)
	}
	if got := fams["t_refused_total"].GetHelp(); got != "Refusals, per provider and reason (a \\ and a\nnewline in help)." {
		t.Errorf("help read back as %q", got)
	}
	got := map[string]float64{}
	for _, m := range fams["t_refused_total"].GetMetric() {
		l := labelsOf(m)
		got[l["provider"]+"/"+l["reason"]] = m.GetCounter().GetValue()
	}
	if len(got) != 2 || got["idenfy/bad_signature"] != 2 || got["alibaba/odd\"value\\with\nnewline"] != 1 {
		t.Errorf("labelled counters read back as %v", got)
	}
	hm := fams["t_wait_seconds"].GetMetric()[0]
	if labelsOf(hm)["provider"] != "alibaba" {
		t.Errorf("histogram labels %v", labelsOf(hm))
	}
	hist := hm.GetHistogram()
	if hist.GetSampleCount() != 4 || math.Abs(hist.GetSampleSum()-2.045) > 1e-9 {
		t.Errorf("histogram count %d sum %v", hist.GetSampleCount(), hist.GetSampleSum())
	}
	wantCum := map[float64]uint64{.01: 2, .05: 3, 1: 3, math.Inf(1): 4}
	for _, b := range hist.GetBucket() {
		if b.GetCumulativeCount() != wantCum[b.GetUpperBound()] {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), wantCum[b.GetUpperBound()])
		}
	}
	// The exact lines scripts and tests grep for: labels in name order,
	// le last, +Inf spelled so, families in name order.
	for _, want := range []string{
		"# TYPE t_plain_total counter\nt_plain_total 492\n",
		`t_refused_total{provider="idenfy",reason="bad_signature"} 2` + "\n",
		`t_refused_total{provider="alibaba",reason="odd\"value\\with\nnewline"} 1` + "\n",
		`t_wait_seconds_bucket{provider="alibaba",le="0.01"} 2` + "\n",
		`t_wait_seconds_bucket{provider="alibaba",le="+Inf"} 4` + "\n",
		`t_wait_seconds_count{provider="alibaba"} 4` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if i, j := strings.Index(text, "t_active"), strings.Index(text, "t_wait_seconds"); i < 0 || j < i {
		t.Errorf("families not in name order:\n%s", text)
	}
	if i, j := strings.Index(text, `provider="alibaba",reason`), strings.Index(text, `provider="idenfy",reason`); j < i {
		t.Errorf("series not in label order:\n%s", text)
	}
}

func TestLabelsAreWrittenInNameOrder(t *testing.T) {
	r := NewRegistry()
	r.CounterVec("t_total", "x", "provider", "outcome").WithLabelValues("idenfy", "launched").Inc()
	r.CounterVec("t_unused_total", "y", "provider")
	r.HistogramVec("t_unused_seconds", "z", []float64{1}, "provider")
	text, _ := parse(t, r)
	if !strings.Contains(text, `t_total{outcome="launched",provider="idenfy"} 1`) {
		t.Errorf("labels not in name order:\n%s", text)
	}
	if strings.Contains(text, "t_unused") {
		t.Errorf("families without series are written:\n%s", text)
	}
}

func TestRuntimeAndProcessMetricsParse(t *testing.T) {
	r := NewRegistry()
	r.WithRuntime()
	_, fams := parse(t, r)
	for name, typ := range map[string]dto.MetricType{
		"go_goroutines": dto.MetricType_GAUGE, "go_threads": dto.MetricType_GAUGE, "go_info": dto.MetricType_GAUGE,
		"go_gc_duration_seconds": dto.MetricType_SUMMARY, "go_memstats_alloc_bytes": dto.MetricType_GAUGE,
		"go_memstats_alloc_bytes_total": dto.MetricType_COUNTER, "go_memstats_sys_bytes": dto.MetricType_GAUGE,
	} {
		if f := fams[name]; f == nil || f.GetType() != typ {
			t.Errorf("%s: %v", name, f)
		}
	}
	if v := fams["go_goroutines"].GetMetric()[0].GetGauge().GetValue(); v < 1 {
		t.Errorf("go_goroutines %v", v)
	}
	if v := fams["go_memstats_sys_bytes"].GetMetric()[0].GetGauge().GetValue(); v <= 0 {
		t.Errorf("go_memstats_sys_bytes %v", v)
	}
	if q := fams["go_gc_duration_seconds"].GetMetric()[0].GetSummary().GetQuantile(); len(q) != 5 {
		t.Errorf("go_gc_duration_seconds quantiles %v", q)
	}
}

func TestConcurrentUpdatesAndScrapes(t *testing.T) {
	r := NewRegistry()
	r.WithRuntime()
	cv := r.CounterVec("t_total", "x", "k")
	hv := r.HistogramVec("t_seconds", "x", []float64{1}, "k")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				cv.WithLabelValues(string(rune('a' + i%3))).Inc()
				hv.WithLabelValues("x").Observe(0.5)
			}
		}()
	}
	for range 5 {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if ct := rec.Header().Get("Content-Type"); ct != ContentType {
			t.Errorf("content type %q", ct)
		}
	}
	wg.Wait()
	_, fams := parse(t, r)
	var sum float64
	for _, m := range fams["t_total"].GetMetric() {
		sum += m.GetCounter().GetValue()
	}
	if sum != 1600 || fams["t_seconds"].GetMetric()[0].GetHistogram().GetSampleCount() != 1600 {
		t.Errorf("after 1600 updates: counters %v, histogram %d", sum, fams["t_seconds"].GetMetric()[0].GetHistogram().GetSampleCount())
	}
}

func TestMisuseIsRefused(t *testing.T) {
	for name, f := range map[string]func(){
		"twice":         func() { r := NewRegistry(); r.Counter("a", "x"); r.Gauge("a", "y") },
		"label count":   func() { NewRegistry().CounterVec("a", "x", "k").WithLabelValues("1", "2") },
		"le label":      func() { NewRegistry().HistogramVec("a", "x", []float64{1}, "le") },
		"unsorted":      func() { NewRegistry().HistogramVec("a", "x", []float64{2, 1}) },
		"explicit +Inf": func() { NewRegistry().HistogramVec("a", "x", []float64{1, math.Inf(1)}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
