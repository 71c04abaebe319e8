package cli

import (
	"context"
	"regexp"
	"testing"

	"github.com/kycdesk/kycdesk/server"
)

// A serve restart in the middle of a customer's session: the desk that
// connects again with the same desk name is back on that session's
// screen, with the same URL; leaving the screen forgets it.
func TestServeRestartResumesTheDesk(t *testing.T) {
	alice := newOperator(t, "alice")
	ts1 := startTestServe(t, 0, alice)
	a := openDeskTerm(t, ts1.srv.SSHAddr(), "desk-7", alice, 220, 50)
	a.waitFor(t, `alice@desk-7`)
	a.launchIdenfy(t, "resume-1")
	s := newestSession(t, ts1.store, "idenfy")
	if s.URL == "" {
		t.Fatal("the launch has no URL")
	}
	a.waitFor(t, regexp.QuoteMeta(s.URL))
	ds := ts1.store.(deskStates)
	eventually(t, "the desk's screen is recorded", func() bool {
		st, found, err := ds.DeskState(context.Background(), "desk-7")
		return err == nil && found && st.Session == s.ID
	})
	if err := ts1.stop(t); err != nil {
		t.Fatal(err)
	}

	// The same directories (store, configuration), a new process.
	ts2 := startTestServeWith(t, 0, func(env map[string]string, cfg *server.Config) {
		for k, v := range ts1.env {
			env[k] = v
		}
	}, alice)
	b := openDeskTerm(t, ts2.srv.SSHAddr(), "desk-7", alice, 220, 50)
	line := b.waitFor(t, regexp.QuoteMeta(s.URL))
	t.Logf("the reconnected desk shows: %s", line)
	b.waitFor(t, `(?i)pending`)

	// Another desk starts at home.
	c := openDeskTerm(t, ts2.srv.SSHAddr(), "desk-8", alice, 220, 50)
	c.waitFor(t, "Start a verification session")
	if c.shows(regexp.QuoteMeta(s.URL)) {
		t.Error("another desk was resumed on desk-7's session")
	}

	// esc leaves the session: the desk is no longer on it.
	b.keys("\x1b")
	ds2 := ts2.store.(deskStates)
	eventually(t, "leaving the screen is recorded", func() bool {
		_, found, err := ds2.DeskState(context.Background(), "desk-7")
		return err == nil && !found
	})
}

// A dropped connection: the desk that connects again to the same server
// is back on its session's screen.
func TestServeDroppedConnectionResumesTheDesk(t *testing.T) {
	alice := newOperator(t, "alice")
	ts := startTestServe(t, 0, alice)
	a := openDeskTerm(t, ts.srv.SSHAddr(), "desk-5", alice, 220, 50)
	a.waitFor(t, `alice@desk-5`)
	a.launchIdenfy(t, "dropped-1")
	s := newestSession(t, ts.store, "idenfy")
	a.waitFor(t, regexp.QuoteMeta(s.URL))
	ds := ts.store.(deskStates)
	eventually(t, "the desk's screen is recorded", func() bool {
		st, found, err := ds.DeskState(context.Background(), "desk-5")
		return err == nil && found && st.Session == s.ID
	})
	a.conn.Close() // the connection drops
	eventually(t, "the server sees the desk gone", func() bool { return len(ts.srv.Desks()) == 0 })
	b := openDeskTerm(t, ts.srv.SSHAddr(), "desk-5", alice, 220, 50)
	b.waitFor(t, regexp.QuoteMeta(s.URL))
}
