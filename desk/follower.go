package desk

import (
	"context"
	"sort"
	"time"
)

// Bounds of the background follower: a session is followed until its
// result is final, until followGrace after its link expired (a customer
// who opened it in time may still be finishing), at most followMax when
// the provider gave no expiry, and it gives up after followErrors
// failures in a row (the sandbox that issued it is gone).
const (
	followGrace  = 10 * time.Minute
	followMax    = 2 * time.Hour
	followErrors = 5
)

// StartFollowing turns the desk's background follower on until ctx ends:
// the sessions handed to Watch keep being followed after the operator
// leaves their screen, and what it learns reaches every screen through
// Changes, as does what other processes record in the store (its change
// feed). The console calls it once; a desk that never does (the command
// line) follows nothing by itself.
func (d *Desk) StartFollowing(ctx context.Context) {
	d.mu.Lock()
	d.follow, d.stop = context.WithCancel(ctx)
	follow := d.follow
	d.mu.Unlock()
	// What other processes record reaches the screens too.
	d.watchStore(follow)
}

// Watch follows f in the background per its policy, once per session,
// while following is on (StartFollowing, until Close). Only a session the provider lets
// kycdesk poll and whose results reach no receiver here is asked (Alibaba:
// CheckResult every PollDelay, under the account's token bucket in its
// client); iDenfy is never polled, callbacks need nothing asked (but
// Alibaba's once, when the link expires: expiry.go), and a DWS result is
// the verify answer. It reports whether a poller was started.
func (f *Follow) Watch() bool {
	d := f.desk
	// A provider that may be asked, but whose callbacks say nothing when
	// the customer gives up (Alibaba), is asked once when the link
	// expires (expiry.go).
	once := !f.AutoPolls() && f.Policy.AutoPoll && f.Callbacks && f.Launch != nil && !f.Launch.ExpiresAt.IsZero()
	if f.ID == "" || !f.AutoPolls() && !once {
		return false
	}
	d.mu.Lock()
	ctx := d.follow
	if ctx == nil || ctx.Err() != nil || d.watched[f.ID] {
		d.mu.Unlock()
		return false
	}
	d.watched[f.ID] = true
	d.mu.Unlock()
	go func() {
		defer func() {
			d.mu.Lock()
			delete(d.watched, f.ID)
			d.mu.Unlock()
		}()
		if once {
			d.watchExpiry(ctx, f)
			return
		}
		d.poll(ctx, f)
	}()
	return true
}

func (d *Desk) after(w time.Duration) <-chan time.Time {
	if d.o.After != nil {
		return d.o.After(w)
	}
	return time.After(w)
}

// poll asks for f's status after each of the policy's delays until the
// result is final or a bound is reached.
func (d *Desk) poll(ctx context.Context, f *Follow) {
	start := d.Now()
	errs := 0
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-d.after(f.NextPoll(n)):
		}
		if st, _, ok := f.Recorded(); ok && st.State.Final() {
			return // a callback, another screen or another desk got there first
		}
		now := d.Now()
		last := false
		switch exp := f.Launch.ExpiresAt; {
		case !exp.IsZero() && now.After(exp.Add(followGrace)):
			last = true
		case exp.IsZero() && now.Sub(start) > followMax:
			last = true
		}
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		st, err := f.Status(actx)
		cancel()
		switch {
		case err != nil:
			if errs++; errs >= followErrors {
				return
			}
		case st.State.Final():
			return
		default:
			errs = 0
		}
		if last || ctx.Err() != nil {
			return
		}
	}
}

// Following lists the sessions the follower is polling now (tests, a
// served desk's status page).
func (d *Desk) Following() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.watched))
	for id := range d.watched {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
