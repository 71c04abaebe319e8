//go:build race

package sandbox

// raceEnabled: the race detector slows the soak about tenfold, so it runs
// the short size.
const raceEnabled = true
