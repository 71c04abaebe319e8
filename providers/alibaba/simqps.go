package alibaba

import (
	"sync"
	"time"
)

// SimAccountQPS is the limit the simulator enforces, as Alibaba documents
// it: 10 calls per second per Alibaba Cloud account and per API (eKYC),
// shared by every RAM user; more returns Throttling.Api (HTTP 403)
// (reference/alibaba.md §6). The client keeps below it (Follow.AccountQPS).
const SimAccountQPS = 10

// simRate counts calls per account and API in a sliding one-second window:
// a call is refused when SimAccountQPS calls were already accepted in the
// second before it. Which calls count is not documented; every
// authenticated call does here (flow control sits in front of the API's
// own checks). The window is the simulator's clock (SimOptions.Now), as
// every other time it keeps; tests that freeze it and send more than the
// limit on purpose turn the limit off.
type simRate struct {
	mu    sync.Mutex
	calls map[string][]time.Time // the last SimAccountQPS accepted calls, oldest first
	// unlimited turns the limit off (tests that send requests faster on
	// purpose).
	unlimited bool
}

// allow reports whether a call of key (account/API) at now is within the
// limit, and counts it if so.
func (q *simRate) allow(key string, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.unlimited {
		return true
	}
	if q.calls == nil {
		q.calls = map[string][]time.Time{}
	}
	ts := q.calls[key]
	if len(ts) == SimAccountQPS && now.Sub(ts[0]) < time.Second {
		return false
	}
	if len(ts) == SimAccountQPS {
		ts = append(ts[:0], ts[1:]...)
	}
	q.calls[key] = append(ts, now)
	return true
}

// simFlowControl is Alibaba's answer to a call over the QPS limit.
func simFlowControl() *simError {
	return simErr(403, "Throttling.Api", "Request was denied due to api flow control.")
}
