// Package clock is how production code takes its time source: a Func in
// an Options field named Now (or a constructor argument), nil meaning the
// system clock. Tests pass a clocktest.Clock's Now, which they set and
// advance.
package clock

import "time"

// Func returns the present time.
type Func func() time.Time

// Now reads f, or the system clock when f is nil (an Options left zero).
func (f Func) Now() time.Time {
	if f == nil {
		return time.Now()
	}
	return f()
}

// Or is f, or the system clock when f is nil: for code that keeps the
// clock it was given.
func (f Func) Or() Func {
	if f == nil {
		return time.Now
	}
	return f
}
