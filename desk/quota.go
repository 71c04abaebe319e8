package desk

import (
	"fmt"
	"sort"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// quotaRefused is the store's refusal of a launch beyond a quota, as the
// operator reads it; the refusal is audited (nothing was sent).
func (d *Desk) quotaRefused(desc providers.Descriptor, q *session.QuotaError) *providers.Error {
	ctx, cancel := d.storeCtx()
	defer cancel()
	_ = d.o.Store.Audit(ctx, session.AuditEntry{Action: "launch refused", Detail: desc.ID + ": " + q.Error()})
	return &providers.Error{
		Kind:    providers.KindInvalid,
		Code:    "QUOTA",
		Message: q.Error(),
		Action:  fmt.Sprintf("wait until %s UTC, or ask a supervisor to raise %s in [serve.quotas]; nothing was sent", q.Resets.UTC().Format("15:04"), q.Limit),
		Err:     q,
	}
}

// NearLimit is a desk or an operator at 80% or more of a quota.
type NearLimit struct {
	Who   string // "desk desk-1", "operator alice"
	Limit string // desk_per_hour…
	Count int
	Max   int
	// Resets is when the limit's window ends (session.QuotaResets).
	Resets time.Time
}

// nearShare is how close to a limit the board starts to show it.
const nearShare = 0.8

// nearLimits are the desks and operators at nearShare or more of a quota,
// the closest first.
func nearLimits(q session.Quotas, use []session.QuotaUse, at time.Time) []NearLimit {
	var out []NearLimit
	add := func(who, limit string, n, max int) {
		if max > 0 && float64(n) >= nearShare*float64(max) {
			out = append(out, NearLimit{Who: who, Limit: limit, Count: n, Max: max, Resets: session.QuotaResets(limit, at)})
		}
	}
	for _, u := range use {
		if u.Desk != "" {
			add("desk "+u.Desk, "desk_per_hour", u.Hour, q.DeskPerHour)
			add("desk "+u.Desk, "desk_per_day", u.Day, q.DeskPerDay)
		} else {
			add("operator "+u.Operator, "operator_per_hour", u.Hour, q.OperatorPerHour)
			add("operator "+u.Operator, "operator_per_day", u.Day, q.OperatorPerDay)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return float64(out[i].Count)/float64(out[i].Max) > float64(out[j].Count)/float64(out[j].Max)
	})
	return out
}
