package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// maxErrorSamples is how many failed requests the report quotes.
const maxErrorSamples = 10

// run takes the sample answer from a sandbox process, then runs the
// rounds. The report is returned with an error when a server failed.
func run(ctx context.Context, cfg *config, log io.Writer) (*report, error) {
	rep := &report{
		Settings: settings{Kycdesk: cfg.kycdesk, Rounds: cfg.rounds, Requests: cfg.requests, Slices: cfg.slices, Concurrency: cfg.concurrency,
			Warmup: cfg.warmup, Quiet: cfg.quiet},
		LoadavgStart: loadavg(),
		Budget:       0.8,
	}
	dir, err := os.MkdirTemp("", "sandboxload-")
	if err != nil {
		return nil, err
	}
	if cfg.keep {
		rep.Dir = dir
		defer fmt.Fprintf(log, "kept %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	sample, err := takeSample(ctx, cfg, dir)
	if err != nil {
		return nil, err
	}
	rep.SampleBytes = len(sample)
	samplePath := filepath.Join(dir, "sample.json")
	if err := os.WriteFile(samplePath, sample, 0o600); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "sample: a sandbox token answer of %d bytes\n", len(sample))
	for r := 1; r <= cfg.rounds; r++ {
		order := []string{kindBare, kindSandbox}
		if r%2 == 0 {
			order = []string{kindSandbox, kindBare}
		}
		rd := round{Round: r, Order: order}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		figs, samples, err := measureRound(ctx, cfg, r, order, dir, samplePath, log)
		if err != nil {
			return rep, fmt.Errorf("round %d: %w", r, err)
		}
		rd.Bare, rd.Sandbox = figs[kindBare], figs[kindSandbox]
		rep.Errors += rd.Bare.Errors + rd.Sandbox.Errors
		for _, s := range samples {
			if len(rep.ErrorSamples) < maxErrorSamples {
				rep.ErrorSamples = append(rep.ErrorSamples, s)
			}
		}
		rd.RatioWall = ratio(rd.Sandbox.RequestsPerS, rd.Bare.RequestsPerS)
		rd.RatioCPU = ratio(rd.Bare.ServerCPUus, rd.Sandbox.ServerCPUus)
		fmt.Fprintf(log, "round %d: bare %.0f req/s %.1f µs/req; sandbox %.0f req/s %.1f µs/req\n", r,
			rd.Bare.RequestsPerS, rd.Bare.ServerCPUus, rd.Sandbox.RequestsPerS, rd.Sandbox.ServerCPUus)
		rep.Rounds = append(rep.Rounds, rd)
	}
	pick := func(f func(round) float64) float64 {
		var v []float64
		for _, r := range rep.Rounds {
			v = append(v, f(r))
		}
		return median(v)
	}
	rep.Median.Bare = medians{
		RequestsPerS: pick(func(r round) float64 { return r.Bare.RequestsPerS }),
		ServerCPUus:  pick(func(r round) float64 { return r.Bare.ServerCPUus }),
		LoadCPUus:    pick(func(r round) float64 { return r.Bare.LoadCPUus }),
		MinfltPerK:   pick(func(r round) float64 { return r.Bare.ServerMinfltPerK }),
	}
	rep.Median.Sandbox = medians{
		RequestsPerS: pick(func(r round) float64 { return r.Sandbox.RequestsPerS }),
		ServerCPUus:  pick(func(r round) float64 { return r.Sandbox.ServerCPUus }),
		LoadCPUus:    pick(func(r round) float64 { return r.Sandbox.LoadCPUus }),
		MinfltPerK:   pick(func(r round) float64 { return r.Sandbox.ServerMinfltPerK }),
	}
	rep.RatioWall = ratio(rep.Median.Sandbox.RequestsPerS, rep.Median.Bare.RequestsPerS)
	rep.RatioCPU = ratio(rep.Median.Bare.ServerCPUus, rep.Median.Sandbox.ServerCPUus)
	rep.RatioWallRounds = pick(func(r round) float64 { return r.RatioWall })
	rep.RatioCPURounds = pick(func(r round) float64 { return r.RatioCPU })
	rep.LoadavgEnd = loadavg()
	return rep, nil
}

// takeSample is the body of one real token answer, from a sandbox process
// started for it alone.
func takeSample(ctx context.Context, cfg *config, dir string) ([]byte, error) {
	s, err := startServer(cfg, kindSandbox, "sample-sandbox", dir, "")
	if err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	c := newClient(1)
	body, code, err := tokenRequest(ctx, c, s.url, "sl-0-0")
	c.CloseIdleConnections()
	if serr := s.stop(); err == nil && serr != nil {
		err = serr
	}
	if err == nil && code != http.StatusCreated {
		err = fmt.Errorf("answered %d: %.300s", code, body)
	}
	if err != nil {
		return nil, fmt.Errorf("sample token request to the sandbox: %w", err)
	}
	return body, nil
}

func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

// tokenRequest is one iDenfy token request, as a console sends it to the
// sandbox, and the whole answer.
func tokenRequest(ctx context.Context, c *http.Client, base, clientID string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+idenfy.TokenPath,
		bytes.NewReader([]byte(`{"clientId":"`+clientID+`"}`)))
	if err != nil {
		return nil, 0, err
	}
	req.SetBasicAuth(idenfy.SandboxAPIKey, idenfy.SandboxAPISecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

// measureRound starts both servers (in order), warms each up, then sends
// each its timed requests in cfg.slices slices that alternate between
// them, A B, B A, A B, ...: whatever the machine does meanwhile (a shared
// VM moves between slower and faster phases within seconds) falls on both
// alike. Each server's CPU is read from before its first timed slice to
// after the last slice of all, so that work its requests left behind (a
// collection finishing) is counted; its wall time is the sum of its own
// slices'. Both servers are stopped at the end.
func measureRound(ctx context.Context, cfg *config, r int, order []string, dir, sample string, log io.Writer) (map[string]figures, []string, error) {
	type target struct {
		s      *server
		c      *http.Client
		wall   time.Duration
		self   time.Duration
		cpu0   time.Duration
		flt0   int64
		errs   atomic.Int64
		issued int
	}
	targets := map[string]*target{}
	defer func() {
		for _, kind := range order {
			if t := targets[kind]; t != nil {
				t.c.CloseIdleConnections()
				if err := t.s.stop(); err != nil {
					fmt.Fprintf(log, "round %d, %s: %v\n", r, kind, err)
				}
			}
		}
	}()
	for _, kind := range order {
		s, err := startServer(cfg, kind, "r"+strconv.Itoa(r)+"-"+kind, dir, sample)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", kind, err)
		}
		targets[kind] = &target{s: s, c: newClient(cfg.concurrency)}
	}
	var seq atomic.Int64 // clientIds: sl-R-N, N unique in the round
	var mu sync.Mutex
	var samples []string
	load := func(kind string, n int) {
		t := targets[kind]
		var next atomic.Int64
		var wg sync.WaitGroup
		for range cfg.concurrency {
			wg.Go(func() {
				for next.Add(1) <= int64(n) && ctx.Err() == nil {
					id := "sl-" + strconv.Itoa(r) + "-" + strconv.FormatInt(seq.Add(1), 10)
					body, code, err := tokenRequest(ctx, t.c, t.s.url, id)
					if err == nil && code == http.StatusCreated {
						continue
					}
					t.errs.Add(1)
					msg := fmt.Sprintf("round %d, %s, %s: ", r, kind, id)
					if err != nil {
						msg += err.Error()
					} else {
						msg += fmt.Sprintf("%d %.200s", code, body)
					}
					mu.Lock()
					if len(samples) < maxErrorSamples {
						samples = append(samples, msg)
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	for _, kind := range order {
		load(kind, cfg.warmup)
	}
	for _, kind := range order {
		t := targets[kind]
		var err error
		if t.cpu0, t.flt0, err = procStat(t.s.pid); err != nil {
			return nil, samples, fmt.Errorf("server CPU of pid %d: %w", t.s.pid, err)
		}
	}
	for i := range cfg.slices {
		n := cfg.requests / cfg.slices
		if i == cfg.slices-1 {
			n = cfg.requests - n*(cfg.slices-1)
		}
		pair := order
		if i%2 == 1 {
			pair = []string{order[1], order[0]}
		}
		for _, kind := range pair {
			t := targets[kind]
			self0, t0 := selfCPU(), time.Now()
			load(kind, n)
			t.wall += time.Since(t0)
			t.self += selfCPU() - self0
			t.issued += n
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, samples, err
	}
	figs := map[string]figures{}
	for _, kind := range order {
		t := targets[kind]
		cpu1, flt1, err := procStat(t.s.pid)
		if err != nil {
			return nil, samples, fmt.Errorf("server CPU of pid %d: %w", t.s.pid, err)
		}
		n := float64(t.issued)
		f := figures{
			PID:          t.s.pid,
			Requests:     t.issued,
			Errors:       int(t.errs.Load()),
			WallS:        t.wall.Seconds(),
			RequestsPerS: n / t.wall.Seconds(),
			ServerCPUms:  float64((cpu1 - t.cpu0).Microseconds()) / 1000,
			LoadCPUms:    float64(t.self.Microseconds()) / 1000,
			ServerMinflt: flt1 - t.flt0,
		}
		f.ServerCPUus = f.ServerCPUms * 1000 / n
		f.LoadCPUus = f.LoadCPUms * 1000 / n
		f.ServerMinfltPerK = float64(f.ServerMinflt) * 1000 / n
		figs[kind] = f
	}
	return figs, samples, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
