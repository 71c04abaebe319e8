// Command deskload drives real SSH desks against a `kycdesk serve` that
// runs in another process, and reports what the desks waited for and what
// the server spent.
//
// Each desk is an SSH client with a pty (golang.org/x/crypto/ssh), as
// OpenSSH would be: it reads the screens the server draws and answers the
// terminal's queries. Two models:
//
//   - peak hour (default): customers arrive at each desk at random
//     (Poisson, --rate launches per desk per minute); the desk types the
//     customer's id at --typing keys per second, launches (through a desk
//     profile, or the explorer form with --flow form), the customer
//     answers on the sandbox page after a random --answer delay, and the
//     desk starts the next customer;
//   - --lockstep: every desk presses enter at the same instant, every
//     --period: the worst burst. A desk goes on to its next customer half
//     a period after the burst (the customer scans the QR first).
//
// It reports launch-to-QR (the enter that launches to the output that
// shows the QR with its scanRef), key-to-echo (a typed key to the output
// that shows it), answer-to-desk (the customer's answer on the sandbox
// page to the desk showing the result), the server's CPU and RSS from
// /proc of its pid (per desk), and errors, as text or --json.
//
// With --kycdesk BIN it starts the server(s) itself (BIN serve, sandbox
// mode, a fresh config and state directory each, --store passed on, and
// KYCDESK_STORE_KEY or KYCDESK_STORE_KEY_FILE from this environment: a
// shared store needs the same key at every server), as separate processes; with --ssh/--http/--pid/--key it drives a server
// that is already running.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(cliMain(os.Args[1:], os.Stdout, os.Stderr))
}

func cliMain(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "deskload:", err)
		return 2
	}
	// DESKLOAD_CPUPROFILE: this tool's own CPU profile (what the desks'
	// side costs; --cpuprofile is the servers').
	if path := os.Getenv("DESKLOAD_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "deskload:", err)
		return 1
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		rep.text(stdout)
	}
	if rep.Errors > 0 {
		return 1
	}
	return 0
}

type config struct {
	desks     int
	duration  time.Duration
	lockstep  bool
	period    time.Duration
	flow      string // profile | form
	rate      float64
	answerMin time.Duration
	answerMax time.Duration
	typing    float64
	baseline  int
	connect   int // desks connected per second
	wait      time.Duration
	width     int
	height    int
	json      bool
	seed      uint64

	// Starting servers.
	kycdesk string
	serves  int
	store   string
	label   string
	keep    bool
	cpuprof string

	// A running server.
	sshAddr string
	httpURL string
	pid     int
	keyFile string
	profile string // the profile's title on home
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("deskload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.desks, "desks", 50, "SSH desks connected at once")
	fs.DurationVar(&c.duration, "duration", time.Minute, "how long desks start new customers (launches in flight then finish)")
	fs.BoolVar(&c.lockstep, "lockstep", false, "every desk launches at the same instant, every --period (no customer answers)")
	fs.DurationVar(&c.period, "period", 2*time.Second, "with --lockstep: time between the bursts")
	fs.StringVar(&c.flow, "flow", "profile", "how a desk launches: profile (a desk profile asking the customer's id) or form (the explorer's iDenfy form)")
	fs.Float64Var(&c.rate, "rate", 1, "peak hour: mean customers per desk per minute (Poisson arrivals)")
	answer := fs.String("answer", "5s-60s", "peak hour: the customer answers on the sandbox page after a uniform random delay in MIN-MAX")
	fs.Float64Var(&c.typing, "typing", 5, "peak hour: keys per second as the desk types the customer's id")
	fs.IntVar(&c.baseline, "baseline", 10, "launches of one desk alone, before the load, in the same run (0: none)")
	fs.IntVar(&c.connect, "connect-rate", 50, "desks connected per second at the start")
	fs.DurationVar(&c.wait, "wait", 30*time.Second, "bound of every wait for a screen (a launch that takes longer is an error)")
	fs.IntVar(&c.width, "width", 100, "desk terminal width")
	fs.IntVar(&c.height, "height", 32, "desk terminal height")
	fs.BoolVar(&c.json, "json", false, "print the report as one JSON object")
	fs.Uint64Var(&c.seed, "seed", 0, "random seed (0: a new one each run)")
	fs.StringVar(&c.kycdesk, "kycdesk", "", "start the server(s) from this kycdesk binary, in separate processes")
	fs.IntVar(&c.serves, "serves", 1, "with --kycdesk: servers sharing --store (desks split evenly)")
	fs.StringVar(&c.store, "store", "", "with --kycdesk: the servers' --store (default: a fresh SQLite store)")
	fs.StringVar(&c.label, "label", "", "a label for the report (e.g. the store)")
	fs.BoolVar(&c.keep, "keep", false, "with --kycdesk: keep the servers' directories (logs, store)")
	fs.StringVar(&c.cpuprof, "cpuprofile", "", "with --kycdesk: each server writes its CPU profile of the run to this file (FILE.N for server N > 0), through KYCDESK_CPUPROFILE")
	fs.StringVar(&c.sshAddr, "ssh", "", "a running server's SSH address (without --kycdesk)")
	fs.StringVar(&c.httpURL, "http", "", "a running server's HTTP base URL, its sandbox (without --kycdesk)")
	fs.IntVar(&c.pid, "pid", 0, "a running server's pid, for its CPU and RSS (without --kycdesk)")
	fs.StringVar(&c.keyFile, "key", "", "an operator's private key file (without --kycdesk)")
	fs.StringVar(&c.profile, "profile", "Load desk", "the title of the desk profile the profile flow opens from home (without --kycdesk)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deskload [flags] (--kycdesk BIN [--store URL] | --ssh ADDR --http URL --pid PID --key FILE)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	lo, hi, ok := strings.Cut(*answer, "-")
	var err1, err2 error
	c.answerMin, err1 = time.ParseDuration(lo)
	c.answerMax, err2 = time.ParseDuration(hi)
	switch {
	case !ok || err1 != nil || err2 != nil || c.answerMin < 0 || c.answerMax < c.answerMin:
		return nil, fmt.Errorf("--answer: want MIN-MAX durations such as 5s-60s, got %q", *answer)
	case c.desks < 1 || c.desks > 5000:
		return nil, fmt.Errorf("--desks: want 1 to 5000, got %d", c.desks)
	case c.duration <= 0 || c.duration > time.Hour:
		return nil, fmt.Errorf("--duration: want more than 0 and at most 1h, got %v", c.duration)
	case c.period <= 0:
		return nil, fmt.Errorf("--period: want more than 0, got %v", c.period)
	case c.flow != "profile" && c.flow != "form":
		return nil, fmt.Errorf("--flow: want profile or form, got %q", c.flow)
	case c.rate <= 0:
		return nil, fmt.Errorf("--rate: want more than 0, got %v", c.rate)
	case c.typing <= 0:
		return nil, fmt.Errorf("--typing: want more than 0 keys per second, got %v", c.typing)
	case c.baseline < 0:
		return nil, fmt.Errorf("--baseline: want 0 or more, got %d", c.baseline)
	case c.connect < 1:
		return nil, fmt.Errorf("--connect-rate: want 1 or more, got %d", c.connect)
	case c.wait <= 0:
		return nil, fmt.Errorf("--wait: want more than 0, got %v", c.wait)
	case c.width < 80 || c.height < 24:
		return nil, fmt.Errorf("--width/--height: want at least 80×24 (the QR must fit), got %d×%d", c.width, c.height)
	case c.serves < 1 || c.serves > 8:
		return nil, fmt.Errorf("--serves: want 1 to 8, got %d", c.serves)
	}
	if c.kycdesk == "" {
		var missing []string
		for _, f := range []struct {
			name string
			set  bool
		}{{"--ssh", c.sshAddr != ""}, {"--http", c.httpURL != ""}, {"--pid", c.pid > 0}, {"--key", c.keyFile != ""}} {
			if !f.set {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("without --kycdesk, a running server needs %s", strings.Join(missing, ", "))
		}
		if c.serves != 1 {
			return nil, errors.New("--serves needs --kycdesk (a running server is one server)")
		}
	} else if c.sshAddr != "" || c.httpURL != "" || c.pid != 0 || c.keyFile != "" {
		return nil, errors.New("--kycdesk starts its own servers: leave out --ssh, --http, --pid and --key")
	}
	if c.cpuprof != "" && c.kycdesk == "" {
		return nil, errors.New("--cpuprofile needs --kycdesk (a running server is started with KYCDESK_CPUPROFILE itself)")
	}
	if c.seed == 0 {
		c.seed = mrand.Uint64()
	}
	return c, nil
}

// newSigner is a fresh operator key.
func newKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}
