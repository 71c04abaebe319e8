package cli

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/kycdesk/kycdesk/providers"
)

// Commit is the commit the binary was built from, stamped by
// scripts/release.sh (-ldflags "-X github.com/kycdesk/kycdesk/cli.Commit=…");
// otherwise the Go toolchain's own VCS stamp, if any.
var Commit = ""

// commit is Commit, else the build's vcs.revision (with "-dirty" for
// uncommitted changes), else "unknown".
func commit() string {
	if Commit != "" {
		return Commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	return "unknown"
}

func cmdVersion(args []string, io *IO) error {
	if wantsHelp(args) {
		return helpRequested{flag.NewFlagSet("version", flag.ContinueOnError)}
	}
	if len(args) > 0 {
		return usage(false, "ARGS", fmt.Sprintf("unexpected argument %q: kycdesk version takes none", providers.SanitizeLine(args[0])))
	}
	fmt.Fprintf(io.Out, "kycdesk %s (commit %s, %s, %s/%s)\n", Version, commit(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
