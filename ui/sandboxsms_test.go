package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

var simulatedSMS = regexp.MustCompile(`the simulated SMS says: (\d{6})`)

// A pending sandbox DWS session reopened from the sessions list (in this
// console or after a restart) shows the sandbox's SMS again: the store
// never keeps the code, so the console asks the sandbox that sent it.
func TestReopenedDWSSessionShowsTheSandboxSMS(t *testing.T) {
	url := startSandbox(t)
	ctx, _, _ := profileContext(t, url, map[string]string{"phone": dwsPhone})
	m := New(ctx)
	send(m, size(80, 24), press("1"), press("+447400123456"), press("enter"))
	first := simulatedSMS.FindStringSubmatch(ansi.Strip(m.View()))
	if first == nil {
		t.Fatalf("no simulated SMS on the first launch:\n%s", m.View())
	}
	id := m.result.sessionID
	// The screens' clock a minute on: the code's true age is a minute,
	// whatever time the test took (a lost age reads "0s ago").
	later := time.Now().Add(time.Minute)
	ctx.Now = func() time.Time { return later }
	for _, how := range []string{"this console", "a restarted console"} {
		if how != "this console" {
			m = New(ctx) // the same store, a new process's screens
			send(m, size(80, 24))
		} else {
			send(m, press("esc"))
		}
		send(m, press("s"))
		if m.screen != screenSessions || len(m.sessions.rows) == 0 || m.sessions.rows[0].ID != id {
			t.Fatalf("%s: the session is not listed first:\n%s", how, m.View())
		}
		send(m, press("enter"))
		if simulatedSMS.FindStringSubmatch(ansi.Strip(m.View())) == nil && m.screen == screenResult {
			// The ask is a request to the sandbox, which the test's
			// drain follows for 300 ms only: on a busy machine it is
			// asked again here, and waited for.
			settle(m, m.result.askSandboxSMS(), 0)
		}
		v := ansi.Strip(m.View())
		got := simulatedSMS.FindStringSubmatch(v)
		if m.screen != screenResult || got == nil || got[1] != first[1] {
			t.Fatalf("%s: reopened without the sandbox's SMS %s:\n%s", how, first[1], v)
		}
		if strings.Contains(v, "code sent 0s ago") {
			t.Errorf("%s: the code's age is lost:\n%s", how, v)
		}
		send(m, press("esc"))
	}
}
