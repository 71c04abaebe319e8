// Package cli is kycdesk's command line: one file per command, the
// console and the accessible console as front ends, all launching,
// following and verifying through the desk. Commands return errors;
// report (exit.go) turns them into output and exit codes.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Version is set at build time with -ldflags "-X github.com/kycdesk/kycdesk/cli.Version=…".
var Version = "0.1.0-dev"

const usageText = `kycdesk — start identity-verification sessions from a terminal

Usage:
  kycdesk [--live] [--accessible]           the console (sandbox unless --live)
  kycdesk launch PROVIDER --set NAME=VALUE… [--from FILE.json] [--dry-run] [--json] [--live] [--qr] [--verbose]
  kycdesk launch --profile NAME --set NAME=VALUE… [--label TEXT] [same flags]
  kycdesk verify SESSION --code CODE [--json]   complete a DWS one-time-code session
  kycdesk status SESSION [--json] [--verbose]
  kycdesk sessions [--json]
  kycdesk params PROVIDER [--json]          every parameter: type, constraints, default, doc
  kycdesk sandbox [--listen ADDR] [--public-url URL] [--webhook-url URL]
  kycdesk serve [--ssh-listen ADDR] [--http-listen ADDR] [--public-url URL] [--operators FILE]
                [--store URL] [--host-key FILE] [--live] [--tls-cert FILE --tls-key FILE] [--idle-timeout D]
                                            desks connect with: ssh desk-12@HOST -p PORT
  kycdesk audit verify [--store URL] [--json]   check the history's MAC chain (tampering)
  kycdesk backup FILE [--store URL]        a verified copy of a running SQLite store
  kycdesk report [--since 7d | --from DATE [--to DATE]] [--by desk|operator|provider|day] [--json|--csv] [--mode M]
                                            launches and results per group (see README)
  kycdesk board [--store URL]               the supervisors' board in this terminal
  kycdesk version

Every command that reads the history (the console, launch, verify, status,
sessions, report, board, serve) takes --store URL: a SQLite file (default
$XDG_STATE_HOME/kycdesk/kycdesk.db), sqlite:PATH or postgres://…; else
KYCDESK_STORE, else store = "…" in config.toml.

Exit codes: 0 done; 2 invalid input (nothing sent); 3 the provider refused;
4 outcome unknown (the store keeps the intent); 1 anything else.
`

// commands maps a command name to its function.
var commands = map[string]func(args []string, io *IO) error{
	"launch":    cmdLaunch,
	"verify":    cmdVerify,
	"status":    cmdStatus,
	"sessions":  cmdSessions,
	"report":    cmdReport,
	"board":     cmdBoard,
	"params":    cmdParams,
	"sandbox":   cmdSandbox,
	"serve":     cmdServe,
	"audit":     cmdAudit,
	"backup":    cmdBackup,
	"version":   cmdVersion,
	"--version": cmdVersion,
}

// Main runs a command line and returns the process's exit code.
func Main(args []string, io *IO) int {
	return report(io, run(args, io))
}

func run(args []string, io *IO) error {
	if len(args) > 0 {
		if cmd, ok := commands[args[0]]; ok {
			return cmd(args[1:], io)
		}
		switch args[0] {
		case "help", "-h", "--help":
			fmt.Fprint(io.Out, usageText)
			return nil
		}
		if len(args[0]) > 0 && args[0][0] != '-' {
			fmt.Fprintf(io.Err, "kycdesk: unknown command %q\n\n%s", args[0], usageText)
			return exitCode(exitInvalid)
		}
	}
	return cmdConsole(args, io)
}

// setFlags collects repeated --set NAME=VALUE.
type setFlags []string

func (s *setFlags) String() string     { return strings.Join(*s, " ") }
func (s *setFlags) Set(v string) error { *s = append(*s, v); return nil }

// parse parses flags that may come before or after positional arguments
// (`launch idenfy --set …` and `launch --json idenfy …`); a bad flag is
// invalid input (exit 2), as JSON when --json was among the arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	fs.SetOutput(io.Discard) // errors are reported by report, as the contract says
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpRequested{fs}
			}
			return nil, usage(jsonWanted(args), "flags", err.Error())
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
}

func jsonWanted(args []string) bool {
	for _, a := range args {
		if a == "--json" || a == "-json" || a == "--json=true" {
			return true
		}
	}
	return false
}
