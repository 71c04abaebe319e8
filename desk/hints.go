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
	where := "the sandbox"
	if d.o.SandboxURL != "" {
		where = "the sandbox at " + d.o.SandboxURL
	}
	out.Action = "no sandbox answers: start `kycdesk sandbox`, or set KYCDESK_SANDBOX_URL to where one runs (" +
		where + " refused the connection); nothing was sent"
	return &out
}
