package ui

import (
	"github.com/kycdesk/kycdesk/providers"
)

// Messages between screens are typed; async replies carry an id so stale
// ones are dropped.

type goHomeMsg struct{}

type startFormMsg struct {
	provider string
	values   providers.Values
	note     string // shown above the form (why we are here)
	problems bool   // note lists problems to fix (else it is information)
	// only, when set, limits the form to these fields (the ones a
	// cross-field rule named); the other values are kept as they are.
	only []string
	// retryOf is a session whose outcome is unknown: the form completes
	// its values (personal ones are not journaled) and the launch re-sends
	// the same request under the same idempotency key.
	retryOf string
}

type reviewMsg struct {
	entry   *Entry
	values  providers.Values
	retryOf string
}

type launchMsg struct {
	entry  *Entry
	values providers.Values
}

type retryMsg struct {
	entry     *Entry
	sessionID string
	values    providers.Values
}

type launchDoneMsg struct {
	id        int
	sessionID string
	launch    *providers.Launch
	err       error
}

type showErrorMsg struct {
	title string
	err   *providers.Error
	retry *retryMsg
}

type showSessionMsg struct {
	entry *Entry
	row   SessionRow
}

type showSessionsMsg struct{}

// statusMsg is a status reply for a session; gen drops replies from a
// screen that has since been left.
type statusMsg struct {
	gen       int
	sessionID string
	status    *providers.Status
	err       error
}

// pollMsg asks for the next scheduled status poll.
type pollMsg struct{ gen int }

// tickMsg redraws countdowns once a second.
type tickMsg struct{ gen int }

type challengeMsg struct {
	gen       int
	challenge *providers.Challenge
	err       error
}

type verifyMsg struct {
	gen    int
	status *providers.Status
	err    error
}

type flashMsg struct {
	gen  int
	text string
	err  error
}
