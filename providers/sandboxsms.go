package providers

import (
	"context"
	"time"
)

// SandboxSMS is implemented by Challengers whose sandbox can say again
// which code it "sent" for a session (DWS): the code is never stored, so
// a code screen reopened from the store asks the sandbox for it. Only in
// sandbox mode; a live client returns l's challenge unchanged.
type SandboxSMS interface {
	// SandboxSMS returns l's challenge with the sandbox's newest code for
	// it in SandboxCode (a copy), and when that code was sent; l's
	// challenge and a zero time when the sandbox sent none.
	SandboxSMS(ctx context.Context, l *Launch) (*Challenge, time.Time, error)
}
