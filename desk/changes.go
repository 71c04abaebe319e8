package desk

// changeBuffer is how many change notices wait for a slow reader; beyond
// it notices are dropped (Changed never blocks a receiver or a follower),
// which only delays a screen until the next notice or its own reload.
const changeBuffer = 256

// Changes is the desk's change feed: the id of each session whose history
// changed (a launch, a status the desk asked, a callback the receiver
// recorded, a verify). The console reads it and redraws the result
// screen, home and the sessions list at once. One reader per desk.
func (d *Desk) Changes() <-chan string { return d.changes }

// Changed announces that session id changed. The desk calls it for what it
// records itself; it reaches this desk's feed and, through Announce, the
// other desks of a server at once. What other processes record comes
// from the store's change feed (history.go, Notify). It never blocks.
func (d *Desk) Changed(id string) {
	d.Notify(id)
	if d.o.Announce != nil {
		d.o.Announce(id)
	}
}

// Notify puts id on this desk's feed only: what another desk of the same
// process recorded (a served desk's fan-out, Options.Announce), or what
// the store's change feed reports.
func (d *Desk) Notify(id string) {
	select {
	case d.changes <- id:
	default:
	}
}

// Close stops the desk's background follower and ends Closed: a reader
// of Changes (the console's listener) stops waiting. A served desk closes
// it when its SSH session ends.
func (d *Desk) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stop != nil {
		d.stop()
	}
	select {
	case <-d.closed:
	default:
		close(d.closed)
	}
}

// Closed is closed once the desk is.
func (d *Desk) Closed() <-chan struct{} { return d.closed }
