package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/desk"
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
	// its values (personal ones are not stored) and the launch re-sends
	// the same request under the same idempotency key.
	retryOf string
	// focus names the field the form opens on (an edit from review, the
	// field an error names); "" is the first.
	focus string
}

// startProfileMsg opens a desk profile's screen, with what was typed when
// coming back from review.
type startProfileMsg struct {
	name  string
	typed providers.Values
	label string
}

// reviewMsg shows a draft (its RetryOf set when it resumes a session).
type reviewMsg struct{ draft *desk.Draft }

type launchMsg struct{ draft *desk.Draft }

// retryMsg re-sends an outcome-unknown session's request from draft.
type retryMsg struct {
	draft     *desk.Draft
	sessionID string
}

type launchDoneMsg struct {
	id      int
	outcome *desk.Outcome // nil when nothing was recorded
	err     error
}

type showErrorMsg struct {
	title string
	err   *providers.Error
	retry *retryMsg
}

// showSessionMsg reopens a recorded session, followed at its own
// endpoint and mode.
type showSessionMsg struct {
	follow *desk.Follow
	row    desk.Row
	// back is where esc returns (nil: the sessions list).
	back tea.Msg
}

type showSessionsMsg struct{}

// statusMsg is a status reply for a session; gen drops replies from a
// screen that has since been left.
type statusMsg struct {
	gen       int
	sessionID string
	status    *providers.Status
	err       error
	wire      []providers.Exchange // the provider's raw answers
}

// changedMsg: a session's history changed (desk.Changes): a callback
// the receiver recorded, the desk's follower, another screen.
type changedMsg struct {
	id  string
	seq int64 // its last event as the notice knows it (desk.Change; 0: not known)
}

// recheckMsg: a screen that shows changes has just become the one shown;
// what changed before its listener listened for it is read once.
type recheckMsg struct {
	dropped dropped // what the listener dropped before the screen was watched
}

// recordedMsg is the result screen's session as the store has it, read
// after a change notice; gen and read tell a later screen's or a later
// read's answer.
type recordedMsg struct {
	gen, read int
	status    *providers.Status
	seq       int64 // the session's last event, as read
	ok        bool
}

// ageTickMsg redraws the ages on home and the sessions list once a
// second, while one of them is shown.
type ageTickMsg struct{}

// tickMsg redraws countdowns once a second.
type tickMsg struct{ gen int }

type challengeMsg struct {
	gen       int
	challenge *providers.Challenge
	err       error
	wire      []providers.Exchange
}

type verifyMsg struct {
	gen    int
	status *providers.Status
	err    error
	wire   []providers.Exchange
}

type flashMsg struct {
	gen  int
	text string
	err  error
}
