package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/internal/qrscan"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
)

// The profile files of these tests, in the contract's format.
const (
	passportLT = `provider = "idenfy"
title = "Passport, Lithuanian"
asked = ["clientId"]
accepted = []
[values]
locale = "lt"
country = "LT"
documents = ["PASSPORT"]
`
	alibabaTicket = `provider = "alibaba"
title = "HK passport, ticket"
label = "Ticket number"
asked = ["MerchantUserId"]
accepted = []
[values]
DocType = "01000000"
`
	dwsPhone = `provider = "dws"
title = "Phone check"
asked = ["identityValue"]
accepted = []
[values]
`
)

// profileContext is testContext with profile files (name → text) in a
// temporary profiles directory, returned too.
func profileContext(t testing.TB, url string, files map[string]string) (*Context, testStore, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "profiles")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, j := testContext(t, url)
	ctx.Desk = testDeskWith(t, providers.ModeSandbox, url, j, func(o *desk.Options) { o.Profiles = desk.ProfileDir{Dir: dir} })
	return ctx, j, dir
}

func TestHomeListsProfilesFirstThenTheExplorer(t *testing.T) {
	ctx, _, _ := profileContext(t, "http://127.0.0.1:8470", map[string]string{"passport-lt": passportLT, "hk": alibabaTicket})
	m := New(ctx)
	send(m, size(100, 30))
	v := m.View()
	// Sorted by name: hk, passport-lt; then the providers numbered on.
	for _, want := range []string{"1  HK passport, ticket", "Alibaba Cloud eKYC · asks Merchant user id, Ticket number",
		"2  Passport, Lithuanian", "iDenfy · asks Client ID", "Explorer: every parameter", "7  iDenfy"} {
		if !strings.Contains(v, want) {
			t.Fatalf("home lacks %q:\n%s", want, v)
		}
	}
	if strings.Index(v, "Passport, Lithuanian") > strings.Index(v, "7  iDenfy") {
		t.Fatal("profiles are not listed before the providers")
	}
	send(m, press("7")) // the explorer keeps 7-9 however many profiles
	if m.screen != screenForm || m.form.entry.Desc.ID != "idenfy" {
		t.Fatal("the provider after the profiles did not open the explorer")
	}
}

// The target: a profile's number, the id, enter: the QR.
func TestProfileToQRInThreeKeys(t *testing.T) {
	url := startSandbox(t)
	ctx, j, _ := profileContext(t, url, map[string]string{"passport-lt": passportLT})
	m := New(ctx)
	send(m, size(80, 24))
	keys := 0
	press1 := func(s string) { keys++; send(m, press(s)) }
	press1("1")
	if m.screen != screenProfile {
		t.Fatalf("1 did not open the profile:\n%s", m.View())
	}
	send(m, press("cust-77")) // typing, not counted
	press1("enter")
	if m.screen != screenResult {
		t.Fatalf("after %d keys: screen %v\n%s", keys, m.screen, m.View())
	}
	if keys > 3 {
		t.Fatalf("%d keys besides typing", keys)
	}
	v := m.View()
	got, err := qrscan.Decode(v)
	if err != nil || got != m.result.launch.URL {
		t.Fatalf("QR decodes to %q (%v), URL %q\n%s", got, err, m.result.launch.URL, v)
	}
	list := j.Sessions()
	if len(list) != 1 || list[0].Customer != "cust-77" {
		t.Fatalf("store: %+v", list)
	}
	vals := list[0].Values()
	if vals.Get("locale") != "lt" || vals.Get("country") != "LT" || vals.Get("documents") != "PASSPORT" {
		t.Fatalf("the profile's fixed values were not sent: %v", vals)
	}
}

func TestProfileScreenGoldens(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		ctx, _, _ := profileContext(t, "http://127.0.0.1:8470", map[string]string{"hk": alibabaTicket})
		ctx.Now = clocktest.New(fixedNow).Now
		m := New(ctx)
		send(m, size(sz[0], sz[1]), press("1"))
		if m.screen != screenProfile {
			t.Fatalf("no profile screen:\n%s", m.View())
		}
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			v := m.View()
			assertFits(t, v, sz[0], sz[1])
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// tab shows the review from the profile screen; esc comes back with what
// was typed; a refusal stays on the profile screen, its field named.
func TestProfileTabReviewsAndRefusalsStay(t *testing.T) {
	ctx, _, _ := profileContext(t, "http://127.0.0.1:8470", map[string]string{"passport-lt": passportLT})
	m := New(ctx)
	send(m, size(100, 30), press("1"), press("c-5"), press("tab"))
	if m.screen != screenReview || !strings.Contains(m.View(), `"clientId":"c-5"`) || !strings.Contains(m.View(), `"locale":"lt"`) {
		t.Fatalf("tab did not show the review:\n%s", m.View())
	}
	send(m, press("esc"))
	if m.screen != screenProfile || m.profile.form.Values().Get("clientId") != "c-5" {
		t.Fatalf("esc from review did not come back to the profile with the id kept:\n%s", m.View())
	}
	// A clientId over iDenfy's limit is refused at the field.
	send(m, goHomeMsg{}, press("1"), press("bad id with spaces and far too long to be a client id at all, more than a hundred characters long for sure, yes"), press("enter"))
	if m.screen != screenProfile || !strings.Contains(m.View(), "must be at most 100 characters") {
		t.Fatalf("a refusal left the profile screen:\n%s", m.View())
	}
}

// A warning the profile has not accepted goes to review; confirmed there,
// it is recorded in the profile file and not asked again.
func TestAcceptedWarningIsNotAskedAgain(t *testing.T) {
	url := startSandbox(t)
	ctx, j, dir := profileContext(t, url, map[string]string{"hk": alibabaTicket})
	m := New(ctx)
	send(m, size(100, 30), press("1"), press("walk-in-1"), press("enter"))
	// the label field comes next; enter leaves it empty and submits
	send(m, press("enter"))
	if m.screen != screenReview || !strings.Contains(m.View(), "ReturnUrl") {
		t.Fatalf("the ReturnUrl warning was not asked:\n%s", m.View())
	}
	send(m, press("enter"), press("enter")) // confirm the warning, launch
	if m.screen != screenResult {
		t.Fatalf("not launched:\n%s", m.View())
	}
	p, err := config.LoadProfile(dir, "hk")
	if err != nil || len(p.Accepted) != 1 || p.Accepted[0] != alibaba.WarnReturnURLUnset {
		t.Fatalf("accepted = %v (%v)", p.Accepted, err)
	}
	// Next customer: straight to the QR, and the label is kept and listed.
	send(m, goHomeMsg{}, press("1"), press("walk-in-2"), press("enter"), press("T-1234"), press("enter"))
	if m.screen != screenResult {
		t.Fatalf("the accepted warning was asked again:\n%s", m.View())
	}
	if len(j.Sessions()) != 2 {
		t.Fatalf("%d sessions", len(j.Sessions()))
	}
	send(m, goHomeMsg{})
	if v := m.View(); !strings.Contains(v, "#T-1234") {
		t.Fatalf("home does not show the desk label:\n%s", v)
	}
	for _, s := range j.Sessions() {
		if strings.Contains(s.Customer, "walk-in") {
			t.Fatalf("the typed Alibaba id is stored: %q", s.Customer)
		}
	}
}

// Review's p saves the reviewed setup as a profile, asking the suggested
// fields, and home lists it.
func TestReviewSavesAProfile(t *testing.T) {
	ctx, _, dir := profileContext(t, "http://127.0.0.1:8470", nil)
	m := New(ctx)
	send(m, size(100, 30))
	e := ctx.entry("idenfy")
	send(m, reviewMsg{draft: ctx.Desk.Draft(e, providers.Values{"clientId": {"c-9"}, "firstName": {"Jonas"}, "locale": {"lt"}, "documents": {"PASSPORT"}})})
	send(m, press("p"))
	if !m.review.Typing() {
		t.Fatal("the naming form does not take text")
	}
	send(m, press("lt-desk"), press("enter"), press("LT desk"), press("enter"), press("enter"), press("enter"))
	if !strings.Contains(m.View(), "saved profile lt-desk") {
		t.Fatalf("no confirmation:\n%s", m.View())
	}
	p, err := config.LoadProfile(dir, "lt-desk")
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "LT desk" || strings.Join(p.Asked, ",") != "clientId,firstName" || p.Values.Get("locale") != "lt" || p.Values.Has("clientId") || p.Values.Has("firstName") {
		t.Fatalf("saved %+v", p)
	}
	send(m, goHomeMsg{})
	if !strings.Contains(m.View(), "1  LT desk") {
		t.Fatalf("home does not list the new profile:\n%s", m.View())
	}
}

// DWS: the code screen in ≤ 3 keys from home.
func TestDWSProfileToCodeScreen(t *testing.T) {
	url := startSandbox(t)
	ctx, _, _ := profileContext(t, url, map[string]string{"phone": dwsPhone})
	m := New(ctx)
	send(m, size(100, 30), press("1"), press("+447400123456"), press("enter"))
	if m.screen != screenResult || !m.result.isChallenge() || !strings.Contains(m.View(), "one-time code") {
		t.Fatalf("not on the code screen after 2 keys:\n%s", m.View())
	}
	if !strings.Contains(m.View(), "SANDBOX") {
		t.Fatal("the code screen does not mark the mode")
	}
}

// n after a profile's launch is the next customer at the same profile:
// its screen again (not the explorer), with the asked field empty.
func TestNextCustomerStaysOnTheProfile(t *testing.T) {
	url := startSandbox(t)
	ctx, _, _ := profileContext(t, url, map[string]string{"passport-lt": passportLT})
	m := New(ctx)
	send(m, size(80, 24))
	send(m, press("1"))
	send(m, press("cust-1"))
	send(m, press("enter"))
	if m.screen != screenResult {
		t.Fatalf("no result:\n%s", m.View())
	}
	first := m.result.launch.URL
	send(m, press("n"))
	if m.screen != screenProfile {
		t.Fatalf("n went to screen %v, want the profile's screen:\n%s", m.screen, m.View())
	}
	if v := m.View(); strings.Contains(v, "cust-1") {
		t.Fatalf("the previous customer's id is still typed:\n%s", v)
	}
	send(m, press("cust-2"))
	send(m, press("enter"))
	if m.screen != screenResult || m.result.launch.URL == first {
		t.Fatalf("second customer: screen %v\n%s", m.screen, m.View())
	}
}

// Review's save-as-profile form fits 80x24: it scrolls to the field being
// typed in, and a refused name's message is on screen (it was drawn below
// the screen's edge).
func TestSaveProfileFormScrollsAt80x24(t *testing.T) {
	m := goldenScreens(t)["review"]
	send(m, size(80, 24), press("p"))
	send(m, readChunks("my desk!")...)
	send(m, press("enter"))
	v := m.View()
	assertFits(t, v, 80, 24)
	if !strings.Contains(v, "use letters, digits") {
		t.Fatalf("the refused name's message is not on screen:\n%s", v)
	}
}
