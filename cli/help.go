package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandHelp is what `kycdesk COMMAND --help` says besides the flags.
type commandHelp struct {
	usage   string // after "kycdesk "
	summary string
	example string
}

// helps maps a flag set's name (the command; "kycdesk" for the console)
// to its help.
var helps = map[string]commandHelp{
	"kycdesk": {"[--live] [--accessible] [--store URL]",
		"The console: pick a provider or a desk profile, fill the form, launch, show the QR. Sandbox unless --live.",
		"kycdesk --live"},
	"launch": {"launch PROVIDER --set NAME=VALUE… [flags]\n       kycdesk launch --profile NAME --set NAME=VALUE… [flags]",
		"Launch one verification session and print its URL (or challenge). Exit 2 invalid input, 3 refused, 4 outcome unknown.",
		"kycdesk launch idenfy --set clientId=cust-1001 --json"},
	"verify": {"verify SESSION --code CODE [--json]",
		"Complete a DWS one-time-code session with the code the customer received.",
		"kycdesk verify k7f3qa01 --code 123456"},
	"status": {"status SESSION [--json] [--verbose]",
		"Show a session's status and history (asks the provider where its rules allow).",
		"kycdesk status k7f3qa01 --json"},
	"sessions": {"sessions [--json]",
		"List the recorded sessions, newest first.",
		"kycdesk sessions --json"},
	"params": {"params PROVIDER [--json]",
		"Every parameter of a provider: wire name, type, constraints, default and documentation.",
		"kycdesk params alibaba"},
	"sandbox": {"sandbox [flags]",
		"Run the providers' simulators as a server (so a phone can act as the customer).",
		"kycdesk sandbox --listen 0.0.0.0:8470 --public-url http://192.168.1.20:8470"},
	"serve": {"serve [flags]",
		"Serve the console to desks over SSH (desks run: ssh -p PORT DESK@HOST), with callbacks, /healthz and /metrics on the HTTP listener. SIGHUP re-reads the operators file; SIGTERM drains and stops.",
		"kycdesk serve --ssh-listen 0.0.0.0:2222 --public-url https://kyc.example.com --live"},
	"audit": {"audit verify [--store URL] [--json]",
		"Check the history's MAC chain offline: exit 0 intact, 1 at the first broken link.",
		"kycdesk audit verify --store /var/lib/kycdesk/kycdesk.db"},
	"backup": {"backup FILE [--store URL]",
		"Copy a running SQLite store consistently to FILE and verify the copy; for PostgreSQL, say how to use pg_dump.",
		"kycdesk backup /var/backups/kycdesk-$(date +%F).db"},
	"report": {"report [flags]",
		"The supervisors' figures for the sessions launched in a range, per desk, operator, provider or UTC day: launched, approved, denied, suspected, expired, unknown, pending, approval rate, median and 90th percentile time to a result. A table, --json or --csv (formats in the README).",
		"kycdesk report --since 7d --by desk"},
	"board": {"board [--store URL] [--live]",
		"The supervisors' board in this terminal: today's, 7 days' or 30 days' figures per desk, operator or provider, launches per hour, the result mix and the sessions that need attention, live. The console behind it (esc) is the local one.",
		"kycdesk board --store postgres://kycdesk@db/kycdesk"},
	"version": {"version",
		"Print the version and the commit it was built from.",
		"kycdesk version"},
}

// helpRequested carries the flag set of the command whose help was asked
// (-h, --help); report prints it and exits 0.
type helpRequested struct{ fs *flag.FlagSet }

func (h helpRequested) Error() string        { return "help requested" }
func (h helpRequested) Is(target error) bool { return target == flag.ErrHelp }

// wantsHelp reports whether args ask for help before any other flag could
// fail (the console parses its flags itself).
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}

// printHelp writes a command's usage, summary, flags with their defaults,
// and an example.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	name := fs.Name()
	h, ok := helps[name]
	if !ok {
		h = commandHelp{usage: name + " [flags]"}
	}
	usage := "kycdesk " + h.usage
	if name == "kycdesk" {
		usage = "kycdesk " + h.usage
	}
	fmt.Fprintf(w, "Usage: %s\n", usage)
	if h.summary != "" {
		fmt.Fprintf(w, "\n%s\n", h.summary)
	}
	var flags []string
	fs.VisitAll(func(f *flag.Flag) {
		kind, text := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if kind != "" {
			head += " " + kind
		}
		line := head + "\n      " + text
		switch f.DefValue {
		case "", "false", "0", "0s", "[]":
		default:
			line += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		flags = append(flags, line)
	})
	if len(flags) > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s\n", strings.Join(flags, "\n"))
	}
	if h.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", h.example)
	}
}

// asHelp turns a flag set's ErrHelp into helpRequested.
func asHelp(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return helpRequested{fs}
	}
	return err
}
