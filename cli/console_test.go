package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// The console's wiring: its loopback receiver is the in-process sandbox's
// webhook (signed), or, with a `kycdesk sandbox` already running on this
// machine, each session's callbackUrl; either way the customer's approval
// lands in the history and on the desk's change feed.
func TestConsoleReceiverGetsTheSandboxsCallbacks(t *testing.T) {
	for _, external := range []bool{false, true} {
		name := "in-process sandbox"
		if external {
			name = "running sandbox"
		}
		t.Run(name, func(t *testing.T) {
			isolate(t)
			if external {
				startSandbox(t, nil) // sets KYCDESK_SANDBOX_URL
			}
			var errb bytes.Buffer
			a, err := openApp(&IO{Out: &bytes.Buffer{}, Err: &errb, Getenv: os.Getenv}, false, true)
			if err != nil {
				t.Fatal(err)
			}
			defer a.close()
			if (a.inProcess == nil) != external || a.callback == nil || a.receiver == nil {
				t.Fatalf("in-process %v, receiver %v", a.inProcess != nil, a.callback)
			}
			d := a.desk
			p, err := d.Provider(idenfy.ID)
			if err != nil {
				t.Fatal(err)
			}
			dr := d.Draft(p, providers.Values{"clientId": {"console-cb-1"}})
			if cb := dr.Values.Get("callbackUrl"); cb != a.callback.URL(idenfy.ID) {
				t.Fatalf("callbackUrl %q, want the receiver %s", cb, a.callback.URL(idenfy.ID))
			}
			o, err := d.Launch(context.Background(), dr)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.PostForm(a.sandboxURL+idenfy.RedirectPath+"/"+idenfy.ActionApprove, url.Values{"authToken": {o.Launch.References["authToken"]}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			deadline := time.After(20 * time.Second) // a hang, not a measure
			for {
				s, _ := d.Session(o.ID)
				if s.State == providers.StateApproved {
					break
				}
				select {
				case <-d.Changes():
				case <-deadline:
					t.Fatalf("the approval never reached the history (state %s)", s.State)
				}
			}
			if strings.Contains(errb.String(), "callbacks:") {
				t.Errorf("the receiver wrote on the console's terminal: %s", errb.String())
			}
		})
	}
}

func TestSandboxRefusesABadWebhookURL(t *testing.T) {
	isolate(t)
	r := cli(t, nil, "sandbox", "--listen", "127.0.0.1:0", "--webhook-url", "http://hooks.example.com/idenfy")
	if r.code != exitInvalid || !strings.Contains(r.err, "--webhook-url") || !strings.Contains(r.err, "https") {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
}
