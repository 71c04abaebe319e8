package cli

import (
	"fmt"

	"github.com/kycdesk/kycdesk/providers"
)

func cmdVersion(args []string, io *IO) error {
	if len(args) > 0 {
		return usage(false, "ARGS", fmt.Sprintf("unexpected argument %q: kycdesk version takes none", providers.SanitizeLine(args[0])))
	}
	fmt.Fprintln(io.Out, "kycdesk", Version)
	return nil
}
