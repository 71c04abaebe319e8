package server

import "runtime"

// consoleWork bounds how many desks' consoles run their Update or View at
// once, across the server, to the processors there are.
//
// A launch is a chain of short waits on the store and the provider (each
// of the store's round trips, the provider's request), and each wait ends
// with its goroutine queued for a processor. When 50 desks press enter
// together, 50 consoles are ready to draw; queued behind all of them, the
// store's writer lost its turn at every round trip and the last desk's QR
// came after the others' drawing was done (issue 18: lockstep p99 on
// PostgreSQL 254 → 180 ms). Consoles that wait for a slot are not queued
// for a processor, so the chain's next step runs as soon as it can; the
// consoles take the slots in the order they asked (a channel's waiting
// senders are served first in, first out).
//
// Only the console's own work holds a slot: never the write of a frame to
// the desk's connection, which a slow client can hold up for as long as
// its window is full. A console's Update never waits for another desk's
// (messages between desks go through goroutines: ssh.go), so a slot is
// always given back.
var consoleWork = newWorkSlots(runtime.GOMAXPROCS(0))

type workSlots chan struct{}

func newWorkSlots(n int) workSlots { return make(workSlots, max(n, 1)) }

func (w workSlots) hold() { w <- struct{}{} }
func (w workSlots) done() { <-w }
