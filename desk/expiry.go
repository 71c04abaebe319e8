package desk

import (
	"context"
	"time"
)

// expiryMargin is how long after a link's expiry the desk asks about a
// session its callbacks said nothing of: the provider has forgotten an
// unfinished transaction by then.
const expiryMargin = 5 * time.Second

// watchExpiry asks the provider once, when f's link expires, about a
// session whose results come by callback but whose provider sends none
// for a customer who gives up (Alibaba: an abandoned or unfinished
// TransactionUrl is only forgotten, CheckResult then says so). Nothing is
// asked when a result arrived first. It runs until then, or until
// following stops.
func (d *Desk) watchExpiry(ctx context.Context, f *Follow) {
	wait := f.Launch.ExpiresAt.Add(expiryMargin).Sub(d.Now())
	select {
	case <-ctx.Done():
		return
	case <-d.after(max(wait, 0)):
	}
	if st, _, ok := f.Recorded(); ok && st.State.Final() {
		return // a callback, another screen or another desk got there first
	}
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, _ = f.Status(actx) // one CheckResult, under the account's token bucket
}
