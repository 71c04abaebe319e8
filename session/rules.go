package session

import (
	"fmt"
	"strings"

	"github.com/kycdesk/kycdesk/providers"
)

// The record's rules about results. They are applied by Store.Status
// inside its write transaction, after the session's row is read under its
// lock, so that two desks or two servers sharing a store cannot both pass
// a check and then write what it forbids.

// StatusVerdict is what the rules make of a status for a session.
type StatusVerdict int

const (
	// StatusAppend: the status is recorded.
	StatusAppend StatusVerdict = iota
	// StatusSame: identical to the last one (state and detail, or the
	// same final state): nothing is appended.
	StatusSame
	// StatusKeptFinal: the session is decided and the status would not
	// supersede it (not final, an expiry, the same state, or not the
	// provider's word): nothing is appended.
	StatusKeptFinal
)

// verdicts are the provider's decisions about the customer: the final
// states that may supersede an earlier final state (a manual review after
// an automatic result, a resubmission, an expired link that the customer
// finished in time after all).
func verdict(s providers.State) bool {
	return s == providers.StateApproved || s == providers.StateDenied || s == providers.StateSuspected
}

// StatusRule says whether a status st from src is recorded for cur:
//   - identical to the last status (state and detail): nothing;
//   - cur is final (a provider's final state, or closed out by the
//     operator): only a different verdict (approved, denied, suspected)
//     from the provider itself (a signed callback or its API) is
//     recorded, superseding the earlier one; a non-final status, an
//     expiry, the same state again or an operator's word are not;
//   - otherwise it is recorded.
func StatusRule(cur *Session, st providers.State, detail string, src Source) StatusVerdict {
	last := ""
	if n := len(cur.History); n > 0 {
		last = cur.History[n-1].Detail
	}
	if st == cur.State && detail == last {
		return StatusSame
	}
	if !cur.Final() {
		return StatusAppend
	}
	if st == cur.State {
		return StatusSame
	}
	if verdict(st) && src.FromProvider() {
		return StatusAppend
	}
	return StatusKeptFinal
}

// StatusDetail is the detail Store.Status records for st (one line,
// trimmed, clipped): the detail StatusRule compares.
func StatusDetail(st *providers.Status) string {
	return clip(strings.TrimSpace(providers.SanitizeLine(st.Detail)), 500)
}

// checkSource refuses a status without a known source: every status
// names where it came from.
func checkSource(src Source) error {
	switch src {
	case SourceCallback, SourceAPI, SourceOperator:
		return nil
	case SourceLaunch:
		return fmt.Errorf("status: a launch's status is its outcome (Store.Outcome)")
	}
	return fmt.Errorf("status: unknown source %q", src)
}
