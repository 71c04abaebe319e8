package desk

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
)

// TestRelayLaunchFromThePhone: with a relay, an Alibaba launch records
// its intent and returns the relay link; nothing reaches Alibaba until the
// phone posts its MetaInfo, which is sent exactly as given; the phases
// follow the phone; the launch records where MetaInfo came from. A link
// that dies unused ends the intent as a failed launch.
func TestRelayLaunchFromThePhone(t *testing.T) {
	sb := startSandbox(t)
	j := openStore(t, filepath.Join(t.TempDir(), "kycdesk.db"))
	plain := newDesk(t, providers.ModeSandbox, sb.URL, j, nil)
	var links []RelayLink
	d := New(Options{Registry: catalog.All(), Mode: providers.ModeSandbox, SandboxURL: sb.URL, Store: j,
		Resolve: plain.o.Resolve, Operator: "alice", Desk: "desk-1", RelaySandbox: "http://phone-reaches.example:8471",
		Relay: func(l RelayLink) (string, time.Time, error) {
			links = append(links, l)
			return "http://phone-reaches.example:8471/relay/abc", time.Now().Add(10 * time.Minute), nil
		}})
	p, _ := d.Provider("alibaba")
	if !d.RelayPossible(p) {
		t.Fatal("no relay for Alibaba")
	}
	dr := d.Draft(p, providers.Values{"MerchantUserId": {"relay-1"}, "DocType": {"01000000"}})
	if n := d.DeviceNote(dr); !strings.Contains(n, "relay link") {
		t.Errorf("review note %q", n)
	}
	hits := sb.hits.Load()
	o, err := d.Launch(context.Background(), dr)
	if err != nil {
		t.Fatal(err)
	}
	if o.Launch.URL != "http://phone-reaches.example:8471/relay/abc" || len(links) != 1 || sb.hits.Load() != hits {
		t.Fatalf("launch %+v, %d links, %d requests to the sandbox", o.Launch, len(links), sb.hits.Load()-hits)
	}
	if got := links[0].Script; got != "http://phone-reaches.example:8471/cdn/jsvm_all.js" {
		t.Errorf("script %s, want the sandbox's stand-in", got)
	}
	if s := get(t, j, o.ID); s.Launched() {
		t.Fatalf("recorded as launched before the phone: %+v", s)
	}
	if ph := d.RelayPhase(o.ID); ph != RelayWaiting {
		t.Errorf("phase %q", ph)
	}
	links[0].Opened()
	if ph := d.RelayPhase(o.ID); ph != RelayOpened {
		t.Errorf("phase after opening %q", ph)
	}
	meta := `{"deviceType":"h5","ua":"Mozilla/5.0 (Linux; Android 14) Mobile","bioMetaInfo":"x"}`
	u, err := links[0].Start(context.Background(), meta)
	if err != nil {
		t.Fatal(err)
	}
	s := get(t, j, o.ID)
	l := s.Launch()
	if !s.Launched() || u != l.URL || !strings.Contains(u, "/sandbox/alibaba/verify/"+l.References["TransactionId"]) {
		t.Fatalf("after the phone: %s %+v", u, l)
	}
	if l.Extra[providers.ExtraDeviceSource] != "phone" || l.Extra[providers.ExtraDeviceType] != "h5" || s.Values().Get("MetaInfo") != RelayValue {
		t.Errorf("device %v, MetaInfo recorded %q", l.Extra, s.Values().Get("MetaInfo"))
	}
	// Alibaba got the phone's MetaInfo: its page shows the user agent in it.
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14) Mobile")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Mozilla/5.0 (Linux; Android 14) Mobile") {
		t.Errorf("the simulator did not get the phone's MetaInfo:\n%s", page)
	}
	if ph := d.RelayPhase(o.ID); !strings.Contains(ph, "flow") {
		t.Errorf("phase in the flow %q", ph)
	}

	// A second launch whose link dies unused.
	o2, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"MerchantUserId": {"relay-2"}, "DocType": {"01000000"}}))
	if err != nil {
		t.Fatal(err)
	}
	links[1].Failed("the link expired before the customer's phone used it")
	if s := get(t, j, o2.ID); s.Launched() || s.State == providers.StatePending {
		t.Errorf("an unused link leaves %s", s.State)
	}
	if ph := d.RelayPhase(o2.ID); !strings.Contains(ph, "n starts a new session") {
		t.Errorf("phase %q", ph)
	}
}
