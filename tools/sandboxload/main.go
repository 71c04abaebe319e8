// Command sandboxload measures the throughput of a real `kycdesk sandbox`
// process against a bare net/http process that answers the same JSON,
// with the load coming from this, a third, process.
//
// Issue 18's budget is "sandbox ≥ 0.8× a bare net/http handler returning
// the same JSON, at concurrency 16". BenchmarkSandboxThroughput (package
// sandbox) runs its client in the same process as the server: the
// client's garbage drives that process's collector, and the sandbox's
// kept sessions make every collection costlier, so its figure is the
// server's and the client's together. Here each server is its own
// process, started fresh for every round, and its CPU is read from
// /proc/PID/stat around the timed requests:
//
//   - sandbox: BIN sandbox --listen 127.0.0.1:PORT, in a clean environment
//     (HOME and XDG directories in a temporary directory, TZ=UTC);
//   - bare: this program re-executed with --serve-bare ADDR --sample FILE,
//     a plain net/http server that reads and discards each request's body
//     and answers 201, application/json, with the bytes of FILE: the body
//     of one real token answer, taken from a sandbox process at the start
//     of the run.
//
// The load is --concurrency goroutines over keep-alive connections, each
// POSTing iDenfy token requests (a new clientId each, as desks' launches
// do) and reading the whole answer; every answer must be 201. --warmup
// requests go untimed first. In a round both servers run at once and
// their timed requests go in --slices slices that alternate between them
// (A B, B A, A B, ...), so that the machine's slower and faster phases (a
// shared VM moves between them within seconds) fall on both alike;
// rounds alternate which server goes first. The report gives each
// round's figures, their medians, and the ratios: sandbox/bare requests
// per second (wall) and bare/sandbox CPU per request ("by CPU", which a
// shared machine moves less than the wall time). --slices 1 sends each
// server's requests in one go, one server after the other, as the tool
// did before it had slices.
//
// SANDBOXLOAD_CPUPROFILE=FILE in this program's environment makes each
// server process write its CPU profile to FILE.NAME (NAME: r1-sandbox,
// r1-bare, ..., sample-sandbox): the sandbox through KYCDESK_CPUPROFILE.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/kycdesk/kycdesk/providers"
)

func main() {
	os.Exit(cliMain(os.Args[1:], os.Stdout, os.Stderr))
}

// serveBareFlag is the hidden mode this program re-executes itself in to
// be the bare server.
const serveBareFlag = "--serve-bare"

func cliMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == serveBareFlag {
		return serveBareMain(args[1:], stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "sandboxload:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg, stderr)
	if rep != nil {
		if cfg.json {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
		} else {
			rep.text(stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "sandboxload:", err)
		return 1
	}
	if rep.Errors > 0 {
		fmt.Fprintf(stderr, "sandboxload: %d requests were not answered 201\n", rep.Errors)
		return 1
	}
	return 0
}

type config struct {
	kycdesk     string
	rounds      int
	requests    int
	slices      int
	concurrency int
	warmup      int
	quiet       bool
	json        bool
	keep        bool
}

// maxConcurrency is the sandbox's cap of open connections from one
// address (sandbox.DefaultLimits.MaxConnsPerHost): more would be closed.
const maxConcurrency = 32

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("sandboxload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.kycdesk, "kycdesk", "", "the kycdesk binary whose `sandbox` command is measured (required)")
	fs.IntVar(&c.rounds, "rounds", 5, "rounds; each starts both servers fresh, in alternating order")
	fs.IntVar(&c.requests, "requests", 18000, "timed requests per server per round")
	fs.IntVar(&c.slices, "slices", 10, "slices each server's timed requests are sent in, alternating between the two servers (1: each server's in one go, one after the other)")
	fs.IntVar(&c.concurrency, "concurrency", 16, "requests in flight at once (keep-alive connections)")
	fs.IntVar(&c.warmup, "warmup", 500, "untimed requests per server per round, before the timed ones")
	fs.BoolVar(&c.quiet, "quiet", false, "start the sandbox with --quiet (no request log lines); default: as `kycdesk sandbox` runs")
	fs.BoolVar(&c.json, "json", false, "print the report as one JSON object")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (servers' logs, the sample answer)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sandboxload --kycdesk BIN [--rounds 5] [--requests 18000] [--slices 10] [--concurrency 16] [--warmup 500] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.kycdesk == "":
		return nil, errors.New("--kycdesk BIN is required: the kycdesk binary to start `sandbox` from")
	case c.rounds < 1 || c.rounds > 100:
		return nil, fmt.Errorf("--rounds: want 1 to 100, got %d", c.rounds)
	case c.requests < 1:
		return nil, fmt.Errorf("--requests: want 1 or more, got %d", c.requests)
	case c.slices < 1 || c.slices > c.requests:
		return nil, fmt.Errorf("--slices: want 1 to --requests (%d), got %d", c.requests, c.slices)
	case c.warmup < 0:
		return nil, fmt.Errorf("--warmup: want 0 or more, got %d", c.warmup)
	case c.concurrency < 1 || c.concurrency > maxConcurrency:
		return nil, fmt.Errorf("--concurrency: want 1 to %d (the sandbox's cap of connections from one address), got %d", maxConcurrency, c.concurrency)
	case c.requests+c.warmup+1 > providers.DefaultSimCapacity:
		// Every token request is a new session in the iDenfy simulator,
		// which keeps at most DefaultSimCapacity and refuses beyond.
		return nil, fmt.Errorf("--requests %d + --warmup %d (+1) = %d sessions in one sandbox process: the iDenfy simulator keeps at most %d and refuses beyond; want --requests + --warmup at most %d",
			c.requests, c.warmup, c.requests+c.warmup+1, providers.DefaultSimCapacity, providers.DefaultSimCapacity-1)
	}
	return c, nil
}
