// Command kycdesk is a terminal console for starting identity-verification
// sessions (iDenfy, Alibaba Cloud eKYC, Alipay DWS OTP), with a built-in
// sandbox so it works with no credentials. See README.md.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const usage = `kycdesk — start identity-verification sessions from a terminal

Usage:
  kycdesk [--live] [--accessible]           the console (sandbox unless --live)
  kycdesk launch PROVIDER --set NAME=VALUE… [--from FILE.json] [--dry-run] [--json] [--live] [--qr]
  kycdesk verify SESSION --code CODE [--json]   complete a DWS one-time-code session
  kycdesk status SESSION [--json]
  kycdesk sessions [--json]
  kycdesk params PROVIDER [--json]          every parameter: type, constraints, default, doc
  kycdesk sandbox [--listen ADDR] [--public-url URL]
  kycdesk version

Exit codes: 0 done; 2 invalid input (nothing sent); 3 the provider refused;
4 outcome unknown (the journal keeps the intent); 1 anything else.
`

// IO is the process's streams, replaceable in tests (as gh's iostreams).
type IO struct {
	In          io.Reader
	Out, Err    io.Writer
	OutIsTTY    bool
	Getenv      func(string) string
	StdinIsTerm bool
}

func main() {
	io := &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, OutIsTTY: isTerminal(os.Stdout), StdinIsTerm: isTerminal(os.Stdin), Getenv: os.Getenv}
	os.Exit(run(os.Args[1:], io))
}

// run dispatches a command line and returns the exit code.
func run(args []string, io *IO) int {
	if len(args) > 0 {
		switch args[0] {
		case "launch":
			return cmdLaunch(args[1:], io)
		case "verify":
			return cmdVerify(args[1:], io)
		case "status":
			return cmdStatus(args[1:], io)
		case "sessions":
			return cmdSessions(args[1:], io)
		case "params":
			return cmdParams(args[1:], io)
		case "sandbox":
			return cmdSandbox(args[1:], io)
		case "version", "--version":
			fmt.Fprintln(io.Out, "kycdesk", version)
			return 0
		case "help", "-h", "--help":
			fmt.Fprint(io.Out, usage)
			return 0
		}
		if len(args[0]) > 0 && args[0][0] != '-' {
			fmt.Fprintf(io.Err, "kycdesk: unknown command %q\n\n%s", args[0], usage)
			return 2
		}
	}
	return cmdConsole(args, io)
}
