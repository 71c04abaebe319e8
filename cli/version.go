package cli

import (
	"flag"
	"fmt"

	"github.com/kycdesk/kycdesk/providers"
)

func cmdVersion(args []string, io *IO) error {
	if wantsHelp(args) {
		return helpRequested{flag.NewFlagSet("version", flag.ContinueOnError)}
	}
	if len(args) > 0 {
		return usage(false, "ARGS", fmt.Sprintf("unexpected argument %q: kycdesk version takes none", providers.SanitizeLine(args[0])))
	}
	fmt.Fprintln(io.Out, "kycdesk", Version)
	return nil
}
