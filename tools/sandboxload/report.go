package main

import (
	"fmt"
	"io"
	"strings"
)

type settings struct {
	Kycdesk     string `json:"kycdesk"`
	Rounds      int    `json:"rounds"`
	Requests    int    `json:"requests"`
	Slices      int    `json:"slices"`
	Concurrency int    `json:"concurrency"`
	Warmup      int    `json:"warmup"`
	Quiet       bool   `json:"quiet"`
}

// figures are one server's timed requests in one round.
type figures struct {
	PID          int     `json:"pid"`
	Requests     int     `json:"requests"`
	Errors       int     `json:"errors"`
	WallS        float64 `json:"wall_s"`
	RequestsPerS float64 `json:"requests_per_s"`
	ServerCPUms  float64 `json:"server_cpu_ms"`
	ServerCPUus  float64 `json:"server_cpu_us_per_request"`
	LoadCPUms    float64 `json:"load_cpu_ms"`
	LoadCPUus    float64 `json:"load_cpu_us_per_request"`
	// The server's minor page faults over the same span as its CPU, and
	// per thousand requests.
	ServerMinflt     int64   `json:"server_minor_faults"`
	ServerMinfltPerK float64 `json:"server_minor_faults_per_1000_requests"`
}

type round struct {
	Round     int      `json:"round"`
	Order     []string `json:"order"`
	Bare      figures  `json:"bare"`
	Sandbox   figures  `json:"sandbox"`
	RatioWall float64  `json:"ratio_wall"` // sandbox/bare requests per second
	RatioCPU  float64  `json:"ratio_cpu"`  // bare/sandbox server CPU per request
}

type medians struct {
	RequestsPerS float64 `json:"requests_per_s"`
	ServerCPUus  float64 `json:"server_cpu_us_per_request"`
	LoadCPUus    float64 `json:"load_cpu_us_per_request"`
	MinfltPerK   float64 `json:"server_minor_faults_per_1000_requests"`
}

// report is what a run measured.
type report struct {
	Settings     settings `json:"settings"`
	LoadavgStart string   `json:"loadavg_start"`
	LoadavgEnd   string   `json:"loadavg_end"`
	SampleBytes  int      `json:"sample_bytes"`
	Rounds       []round  `json:"rounds"`
	Median       struct {
		Bare    medians `json:"bare"`
		Sandbox medians `json:"sandbox"`
	} `json:"median"`
	// Of the medians: sandbox/bare requests per second, and bare/sandbox
	// server CPU per request (the budget's figure "by CPU").
	RatioWall float64 `json:"ratio_wall"`
	RatioCPU  float64 `json:"ratio_cpu"`
	// The medians of the rounds' own ratios.
	RatioWallRounds float64  `json:"ratio_wall_of_rounds"`
	RatioCPURounds  float64  `json:"ratio_cpu_of_rounds"`
	Budget          float64  `json:"budget"`
	Errors          int      `json:"errors"`
	ErrorSamples    []string `json:"error_samples,omitempty"`
	Dir             string   `json:"dir,omitempty"`
}

func (r *report) text(w io.Writer) {
	s := r.Settings
	q := ""
	if s.Quiet {
		q = " --quiet"
	}
	fmt.Fprintf(w, "sandboxload --kycdesk %s --rounds %d --requests %d --slices %d --concurrency %d --warmup %d%s\n",
		s.Kycdesk, s.Rounds, s.Requests, s.Slices, s.Concurrency, s.Warmup, q)
	fmt.Fprintf(w, "loadavg at start: %s\n", r.LoadavgStart)
	fmt.Fprintf(w, "sample answer: %d bytes\n\n", r.SampleBytes)
	fmt.Fprintf(w, "%-5s %-7s %-8s %10s %14s %12s %13s %7s\n", "round", "first", "server", "req/s", "server µs/req", "load µs/req", "faults/1000", "errors")
	for _, rd := range r.Rounds {
		for _, k := range rd.Order {
			f := rd.Bare
			if k == kindSandbox {
				f = rd.Sandbox
			}
			fmt.Fprintf(w, "%-5d %-7s %-8s %10.0f %14.1f %12.1f %13.1f %7d\n", rd.Round, rd.Order[0], k, f.RequestsPerS, f.ServerCPUus, f.LoadCPUus, f.ServerMinfltPerK, f.Errors)
		}
		fmt.Fprintf(w, "%-5d ratios: wall %.3f, by CPU %.3f\n", rd.Round, rd.RatioWall, rd.RatioCPU)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "median bare:    %8.0f req/s, server %6.1f µs/req, load %6.1f µs/req, server %.1f minor faults/1000 req\n", r.Median.Bare.RequestsPerS, r.Median.Bare.ServerCPUus, r.Median.Bare.LoadCPUus, r.Median.Bare.MinfltPerK)
	fmt.Fprintf(w, "median sandbox: %8.0f req/s, server %6.1f µs/req, load %6.1f µs/req, server %.1f minor faults/1000 req\n", r.Median.Sandbox.RequestsPerS, r.Median.Sandbox.ServerCPUus, r.Median.Sandbox.LoadCPUus, r.Median.Sandbox.MinfltPerK)
	verdict := "within"
	if r.RatioCPU < r.Budget {
		verdict = "UNDER"
	}
	fmt.Fprintf(w, "sandbox/bare requests per second (wall): %.3f (median of rounds' ratios %.3f)\n", r.RatioWall, r.RatioWallRounds)
	fmt.Fprintf(w, "by CPU, bare ÷ sandbox server CPU per request: %.3f (median of rounds' ratios %.3f); budget ≥ %.1f: %s\n", r.RatioCPU, r.RatioCPURounds, r.Budget, verdict)
	fmt.Fprintf(w, "errors: %d\n", r.Errors)
	if len(r.ErrorSamples) > 0 {
		fmt.Fprintf(w, "  %s\n", strings.Join(r.ErrorSamples, "\n  "))
	}
	fmt.Fprintf(w, "loadavg at end: %s\n", r.LoadavgEnd)
}
