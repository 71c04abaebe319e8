// Package promtext keeps counters, gauges and histograms and writes them in
// Prometheus's text exposition format (version 0.0.4), with the Go
// runtime's and the process's usual go_* and process_* metrics.
//
// It stands in for github.com/prometheus/client_golang, whose package init
// (its default registry with Go and process collectors, procfs's patterns,
// protobuf descriptors) cost every kycdesk process about 0.6 ms, a third
// of its init budget, even for `kycdesk version`. kycdesk exposes a dozen
// simple families, so a small writer tested against Prometheus's own text
// parser (promtext_test.go) is cheaper than the library.
package promtext

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ContentType is what the text format is served as.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Registry holds metric families and writes them sorted by name.
type Registry struct {
	mu   sync.Mutex
	fams []family
}

type family interface {
	name() string
	write(w *bufio.Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(f family) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.fams {
		if g.name() == f.name() {
			panic("promtext: metric " + f.name() + " registered twice")
		}
	}
	r.fams = append(r.fams, f)
}

// WriteTo writes every family in the text format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	fams := slices.Clone(r.fams)
	r.mu.Unlock()
	slices.SortFunc(fams, func(a, b family) int { return strings.Compare(a.name(), b.name()) })
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	for _, f := range fams {
		f.write(bw)
	}
	err := bw.Flush()
	return cw.n, err
}

// ServeHTTP serves the registry in the text format (every Prometheus
// scraper accepts it, whatever else its Accept header offers).
func (r *Registry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", ContentType)
	_, _ = r.WriteTo(w)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Counter is a count that only goes up.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value is the count so far.
func (c *Counter) Value() uint64 { return c.v.Load() }

// Gauge is a value that goes up and down.
type Gauge struct{ v atomic.Int64 }

// Inc adds one.
func (g *Gauge) Inc() { g.v.Add(1) }

// Dec takes one away.
func (g *Gauge) Dec() { g.v.Add(-1) }

// Value is the gauge now.
func (g *Gauge) Value() int64 { return g.v.Load() }

// Counter registers a counter without labels.
func (r *Registry) Counter(name, help string) *Counter {
	c := &Counter{}
	r.add(&funcFamily{n: name, help: help, typ: "counter", fn: func(w *bufio.Writer) {
		writeSample(w, name, nil, nil, "", "", strconv.FormatUint(c.Value(), 10))
	}})
	return c
}

// Gauge registers a gauge without labels.
func (r *Registry) Gauge(name, help string) *Gauge {
	g := &Gauge{}
	r.add(&funcFamily{n: name, help: help, typ: "gauge", fn: func(w *bufio.Writer) {
		writeSample(w, name, nil, nil, "", "", strconv.FormatInt(g.Value(), 10))
	}})
	return g
}

// funcFamily is a family whose samples a function writes.
type funcFamily struct {
	n, help, typ string
	fn           func(w *bufio.Writer)
}

func (f *funcFamily) name() string { return f.n }

func (f *funcFamily) write(w *bufio.Writer) {
	if f.typ != "" { // without a type, fn writes its own headers
		writeHeader(w, f.n, f.help, f.typ)
	}
	f.fn(w)
}

// vec is the series of one family, one per combination of label values.
type vec[T any] struct {
	n, help, typ string
	labels       []string // as declared
	order        []int    // label indexes in name order, as written
	mu           sync.Mutex
	series       map[string]*series[T]
	make         func() *T
}

type series[T any] struct {
	values []string // in declared order
	m      *T
}

func newVec[T any](name, help, typ string, labels []string, mk func() *T) *vec[T] {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return &vec[T]{n: name, help: help, typ: typ, labels: slices.Clone(labels), order: order,
		series: map[string]*series[T]{}, make: mk}
}

func (v *vec[T]) name() string { return v.n }

func (v *vec[T]) with(values []string) *T {
	if len(values) != len(v.labels) {
		panic("promtext: " + v.n + " takes " + strconv.Itoa(len(v.labels)) + " label values, got " + strconv.Itoa(len(values)))
	}
	key := strings.Join(values, "\xff")
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.series[key]
	if s == nil {
		s = &series[T]{values: slices.Clone(values), m: v.make()}
		v.series[key] = s
	}
	return s.m
}

// sorted is the series ordered by their label values, taken in label
// name order (as client_golang wrote them).
func (v *vec[T]) sorted() []*series[T] {
	v.mu.Lock()
	out := make([]*series[T], 0, len(v.series))
	for _, s := range v.series {
		out = append(out, s)
	}
	v.mu.Unlock()
	slices.SortFunc(out, func(a, b *series[T]) int {
		for _, i := range v.order {
			if c := strings.Compare(a.values[i], b.values[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// CounterVec is a counter per combination of label values.
type CounterVec struct{ v *vec[Counter] }

// CounterVec registers a counter with labels.
func (r *Registry) CounterVec(name, help string, labels ...string) *CounterVec {
	cv := &CounterVec{v: newVec(name, help, "counter", labels, func() *Counter { return &Counter{} })}
	r.add(cv)
	return cv
}

// WithLabelValues is the counter of these label values, in the order the
// labels were declared.
func (c *CounterVec) WithLabelValues(values ...string) *Counter { return c.v.with(values) }

func (c *CounterVec) name() string { return c.v.n }

func (c *CounterVec) write(w *bufio.Writer) {
	all := c.v.sorted()
	if len(all) == 0 {
		return // a family with no series yet is left out, as client_golang did
	}
	writeHeader(w, c.v.n, c.v.help, c.v.typ)
	for _, s := range all {
		writeSample(w, c.v.n, c.v.labels, s.values, "", "", strconv.FormatUint(s.m.Value(), 10))
	}
}

// Histogram counts observations in cumulative buckets.
type Histogram struct {
	upper []float64 // upper bounds, ascending, without +Inf
	mu    sync.Mutex
	count []uint64 // per bucket, not cumulative; the last is +Inf
	sum   float64
	n     uint64
}

// Observe records v.
func (h *Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.upper, v) // first bound >= v: le is inclusive
	h.mu.Lock()
	h.count[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

// HistogramVec is a histogram per combination of label values.
type HistogramVec struct{ v *vec[Histogram] }

// HistogramVec registers a histogram with labels and these bucket upper
// bounds (ascending; +Inf is added).
func (r *Registry) HistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	upper := slices.Clone(buckets)
	if !slices.IsSorted(upper) || slices.Contains(upper, math.Inf(1)) {
		panic("promtext: " + name + " buckets must ascend and leave out +Inf")
	}
	for _, l := range labels {
		if l == "le" {
			panic("promtext: " + name + ` cannot have a label "le"`)
		}
	}
	hv := &HistogramVec{v: newVec(name, help, "histogram", labels, func() *Histogram {
		return &Histogram{upper: upper, count: make([]uint64, len(upper)+1)}
	})}
	r.add(hv)
	return hv
}

// WithLabelValues is the histogram of these label values, in the order
// the labels were declared.
func (h *HistogramVec) WithLabelValues(values ...string) *Histogram { return h.v.with(values) }

func (h *HistogramVec) name() string { return h.v.n }

func (h *HistogramVec) write(w *bufio.Writer) {
	all := h.v.sorted()
	if len(all) == 0 {
		return // as CounterVec
	}
	writeHeader(w, h.v.n, h.v.help, h.v.typ)
	for _, s := range all {
		hg := s.m
		hg.mu.Lock()
		counts, sum, n := slices.Clone(hg.count), hg.sum, hg.n
		hg.mu.Unlock()
		var cum uint64
		for i, c := range counts {
			cum += c
			le := "+Inf"
			if i < len(hg.upper) {
				le = formatFloat(hg.upper[i])
			}
			writeSample(w, h.v.n+"_bucket", h.v.labels, s.values, "le", le, strconv.FormatUint(cum, 10))
		}
		writeSample(w, h.v.n+"_sum", h.v.labels, s.values, "", "", formatFloat(sum))
		writeSample(w, h.v.n+"_count", h.v.labels, s.values, "", "", strconv.FormatUint(n, 10))
	}
}

func writeHeader(w *bufio.Writer, name, help, typ string) {
	w.WriteString("# HELP ")
	w.WriteString(name)
	w.WriteByte(' ')
	helpEscaper.WriteString(w, help)
	w.WriteString("\n# TYPE ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(typ)
	w.WriteByte('\n')
}

// writeSample writes one line: name{labels in name order, then extra} value.
func writeSample(w *bufio.Writer, name string, labels, values []string, extra, extraValue, value string) {
	w.WriteString(name)
	if len(labels) > 0 || extra != "" {
		w.WriteByte('{')
		idx := make([]int, len(labels))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
		sep := false
		pair := func(l, v string) {
			if sep {
				w.WriteByte(',')
			}
			sep = true
			w.WriteString(l)
			w.WriteString(`="`)
			valueEscaper.WriteString(w, v)
			w.WriteByte('"')
		}
		for _, i := range idx {
			pair(labels[i], values[i])
		}
		if extra != "" {
			pair(extra, extraValue)
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(value)
	w.WriteByte('\n')
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// formatFloat writes v as the text format does: shortest round-trip form,
// +Inf, -Inf, NaN.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
