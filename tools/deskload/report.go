package main

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// dist is a latency distribution in milliseconds.
type dist struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func stats(d []time.Duration) dist {
	if len(d) == 0 {
		return dist{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	pct := func(p float64) float64 {
		return ms(s[min(len(s)-1, int(p*float64(len(s))))])
	}
	return dist{N: len(s), P50: pct(.50), P99: pct(.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type serverReport struct {
	PID          int     `json:"pid"`
	Desks        int     `json:"desks"`
	CPUCores     float64 `json:"cpu_cores"`
	RSSBaseMB    float64 `json:"rss_base_mb"`
	RSSPeakMB    float64 `json:"rss_peak_mb"`
	RSSEndMB     float64 `json:"rss_end_mb"`
	RSSPerDeskMB float64 `json:"rss_per_desk_mb"`
}

// report is what a run measured.
type report struct {
	Label          string         `json:"label,omitempty"`
	Mode           string         `json:"mode"`
	Flow           string         `json:"flow"`
	Desks          int            `json:"desks"`
	Servers        int            `json:"servers"`
	DurationS      float64        `json:"duration_s"`
	WallS          float64        `json:"wall_s"`
	Seed           uint64         `json:"seed"`
	Baseline       dist           `json:"baseline_launch_to_qr"`
	Launches       int            `json:"launches"`
	Answered       int            `json:"answered"`
	SkippedBursts  int            `json:"skipped_bursts,omitempty"`
	LaunchToQR     dist           `json:"launch_to_qr"`
	KeyToEcho      dist           `json:"key_to_echo"`
	AnswerToDesk   dist           `json:"answer_to_desk"`
	CPUCores       float64        `json:"cpu_cores"`
	CPUms          float64        `json:"cpu_ms"`
	CPUmsPerLaunch float64        `json:"cpu_ms_per_launch"`
	Server         []serverReport `json:"server"`
	// LoadCPUms is this tool's own CPU during the load (its desks' SSH
	// and screen reading), which a shared machine takes from the server.
	LoadCPUms          float64  `json:"load_cpu_ms"`
	LoadCPUmsPerLaunch float64  `json:"load_cpu_ms_per_launch"`
	Errors             int      `json:"errors"`
	ConnectErrors      int      `json:"connect_errors"`
	ErrorSamples       []string `json:"error_samples,omitempty"`
}

func (r *report) text(w io.Writer) {
	label := ""
	if r.Label != "" {
		label = r.Label + ": "
	}
	fmt.Fprintf(w, "%s%d desks on %d server(s), %s, %s flow, %.0f s (wall %.1f s), seed %d\n",
		label, r.Desks, r.Servers, r.Mode, r.Flow, r.DurationS, r.WallS, r.Seed)
	line := func(name string, d dist) {
		if d.N == 0 {
			fmt.Fprintf(w, "  %-22s none\n", name)
			return
		}
		fmt.Fprintf(w, "  %-22s p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms  (n %d)\n", name, d.P50, d.P99, d.Max, d.N)
	}
	line("baseline (1 desk)", r.Baseline)
	line("launch-to-QR", r.LaunchToQR)
	line("key-to-echo", r.KeyToEcho)
	line("answer-to-desk", r.AnswerToDesk)
	fmt.Fprintf(w, "  launches %d, answered %d", r.Launches, r.Answered)
	if r.Mode == "lockstep" {
		fmt.Fprintf(w, ", bursts skipped (desk not ready) %d", r.SkippedBursts)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  server CPU %.2f cores (%.0f ms; %.1f ms per launch)\n", r.CPUCores, r.CPUms, r.CPUmsPerLaunch)
	fmt.Fprintf(w, "  load tool CPU %.0f ms (%.1f ms per launch)\n", r.LoadCPUms, r.LoadCPUmsPerLaunch)
	for _, s := range r.Server {
		fmt.Fprintf(w, "  server pid %d: %d desks, CPU %.2f cores, RSS base %.1f MB, peak %.1f MB, end %.1f MB: %.2f MB per desk\n",
			s.PID, s.Desks, s.CPUCores, s.RSSBaseMB, s.RSSPeakMB, s.RSSEndMB, s.RSSPerDeskMB)
	}
	fmt.Fprintf(w, "  errors %d (connecting: %d)\n", r.Errors, r.ConnectErrors)
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(w, "    %s\n", e)
	}
}
