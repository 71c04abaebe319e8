package cli

import (
	"errors"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

func TestExitCodes(t *testing.T) {
	for kind, code := range map[providers.ErrorKind]int{providers.KindInvalid: 2, providers.KindRejected: 3,
		providers.KindUnknown: 4, providers.KindTransport: 1} {
		if got := ExitCode(&providers.Error{Kind: kind}); got != code {
			t.Errorf("%s: %d, want %d", kind, got, code)
		}
	}
	if ExitCode(nil) != 0 || ExitCode(errors.New("x")) != 1 || ExitCode(exitCode(4)) != 4 {
		t.Error("nil, plain errors or printed exit codes")
	}
}
