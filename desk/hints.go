package desk

import (
	"errors"
	"strings"

	"github.com/kycdesk/kycdesk/providers"
)

// Explain adds what only the desk knows to a provider error: in sandbox
// mode a refused connection means no sandbox answers where the desk
// sends (KYCDESK_SANDBOX_URL), not a wrong base_url. Other errors are
// returned as they are.
func (d *Desk) Explain(err error) error {
	var pe *providers.Error
	if d.o.Mode != providers.ModeSandbox || !errors.As(err, &pe) || pe.Kind != providers.KindTransport ||
		!strings.HasPrefix(pe.Message, "connection refused") {
		return err
	}
	out := *pe
	// A session followed where it was launched: the sandbox that refused
	// may not be this desk's (an in-process sandbox of an earlier run).
	if addr := strings.TrimSpace(strings.TrimPrefix(pe.Message, "connection refused:")); addr != "" && addr != pe.Message &&
		d.o.SandboxURL != "" && !strings.Contains(d.o.SandboxURL, addr) {
		out.Action = "the sandbox at " + addr + " that issued this session no longer answers (an in-process sandbox ends with its " +
			"command or console): it cannot be followed; close it out (x in the console's sessions list), and run `kycdesk sandbox` " +
			"in another terminal for sessions that outlive a command"
		return &out
	}
	where := "the sandbox"
	if d.o.SandboxURL != "" {
		where = "the sandbox at " + d.o.SandboxURL
	}
	out.Action = "no sandbox answers: start `kycdesk sandbox`, or set KYCDESK_SANDBOX_URL to where one runs (" +
		where + " refused the connection); nothing was sent"
	return &out
}
