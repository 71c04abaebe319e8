// Command kycdesk is a terminal console for starting identity-verification
// sessions (iDenfy, Alibaba Cloud eKYC, Alipay DWS OTP), with a built-in
// sandbox so it works with no credentials. See README.md.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/kycdesk/kycdesk/cli"
)

func main() { os.Exit(run()) }

// run is the command, with a CPU profile written to the file named by
// KYCDESK_CPUPROFILE (a debugging aid, off unless set, not in --help): a
// served desk's CPU per action is measured with tools/deskload against a
// serve in another process, and this is how that process's time is seen.
// The profile is complete when the command returns (serve: on SIGINT or
// SIGTERM).
func run() int {
	if p := os.Getenv("KYCDESK_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kycdesk: KYCDESK_CPUPROFILE:", err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "kycdesk: KYCDESK_CPUPROFILE:", err)
			f.Close()
			return 1
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	return cli.Main(os.Args[1:], cli.System())
}
