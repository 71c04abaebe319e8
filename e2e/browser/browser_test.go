package browser

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
)

var idenfyButtons = []string{"Approve", "Deny", "Leave suspected", "Abandon"}

// TestIdenfyOutcomes: each button of iDenfy's customer page gives the
// state the simulator documents (approve → APPROVED, deny → DENIED,
// suspect → SUSPECTED, abandon → EXPIRED), the operator's status command
// sees it, and the used link then shows iDenfy's error page.
func TestIdenfyOutcomes(t *testing.T) {
	need(t)
	cases := []struct {
		button, title, message, result, state string
		reuseStatus                           int64
		reuseTitle, reuseText                 string
	}{
		{"Approve", "Verification complete", "Thank you: your identity was verified.", "APPROVED", "approved",
			http.StatusGone, "Verification already completed", "This verification has already been completed; the link cannot be used again."},
		{"Deny", "Verification failed", "Your identity could not be verified.", "DENIED", "denied",
			http.StatusGone, "Verification already completed", "This verification has already been completed; the link cannot be used again."},
		{"Leave suspected", "Verification submitted", "Thank you: your verification will be reviewed.", "SUSPECTED", "suspected",
			http.StatusGone, "Verification already completed", "This verification has already been completed; the link cannot be used again."},
		// An abandoned session is EXPIRED at iDenfy, so its link says so.
		{"Abandon", "Verification cancelled", "The verification was not completed.", "EXPIRED", "expired",
			http.StatusGone, "Verification link has expired", "This verification session has expired. Ask the company that sent it for a new link."},
	}
	for i, c := range cases {
		t.Run(strings.ReplaceAll(c.button, " ", "_"), func(t *testing.T) {
			clientID := fmt.Sprintf("e2e-idenfy-%d", i)
			r := launch(t, "idenfy", "clientId="+clientID)
			url := customerURL(t, r)
			if !strings.Contains(url, "/api/v2/redirect?authToken="+r.References["authToken"]) {
				t.Errorf("url %s is not iDenfy's redirect URL for authToken %s", url, r.References["authToken"])
			}
			b := newTab(t)
			if st := b.open(url); st != http.StatusOK {
				t.Fatalf("customer page: HTTP %d", st)
			}
			// The provider and what the real flow asks with the defaults
			// (IDENTIFICATION, ID card or passport, instructions shown).
			b.wantText("iDenfy", "SANDBOX", "Verify your identity", "In the real flow you would now:",
				"Read the short instructions on how to take good photos.",
				"Choose the country that issued your document.",
				"Photograph your ID card or passport.",
				"Take a selfie with a liveness check.",
				"Language: English.", "Time left:",
				r.References["scanRef"], clientID, "IDENTIFICATION")
			if got := b.buttons(); !slices.Equal(got, idenfyButtons) {
				t.Fatalf("buttons %q, want %q", got, idenfyButtons)
			}
			wantStatus(t, r.Session, "pending") // opening the page decides nothing

			if st := b.click(c.button); st != http.StatusOK {
				t.Errorf("after %s: HTTP %d", c.button, st)
			}
			if h := b.heading(); h != c.title {
				t.Errorf("after %s: heading %q, want %q", c.button, h, c.title)
			}
			b.wantText("iDenfy", c.message, "Result: "+c.result, r.References["scanRef"])
			if got := b.buttons(); len(got) != 0 {
				t.Errorf("the result page offers buttons %q", got)
			}
			wantStatus(t, r.Session, c.state)

			// The link is used up: iDenfy's error page, nothing to press.
			st := b.open(url)
			b.wantErrorPage(c.reuseStatus, st, c.reuseTitle, "iDenfy", c.reuseText)
			wantStatus(t, r.Session, c.state)
		})
	}
}

// TestIdenfyPageFollowsLaunch: the page describes the flow the launch
// asked for (country, document, document-only token, locale).
func TestIdenfyPageFollowsLaunch(t *testing.T) {
	need(t)
	r := launch(t, "idenfy", "clientId=e2e-idenfy-params", "country=LT", "documents=PASSPORT",
		"tokenType=DOCUMENT", "locale=lt", "showInstructions=false")
	b := newTab(t)
	if st := b.open(customerURL(t, r)); st != http.StatusOK {
		t.Fatalf("customer page: HTTP %d", st)
	}
	b.wantText("Use a document issued by Lithuania (LT).", "Photograph your passport.",
		"The real flow would be in Lithuanian; this sandbox page is in English.", "DOCUMENT")
	page := b.text()
	for _, absent := range []string{"selfie", "short instructions", "ID card"} {
		if strings.Contains(page, absent) {
			t.Errorf("a document-only flow without instructions mentions %q:\n%s", absent, page)
		}
	}
}

// TestIdenfyTwoTabs: a customer who opened the link twice and decides in
// one tab cannot change the outcome from the other.
func TestIdenfyTwoTabs(t *testing.T) {
	need(t)
	r := launch(t, "idenfy", "clientId=e2e-idenfy-tabs")
	url := customerURL(t, r)
	first, second := newTab(t), newTab(t)
	for _, b := range []*tab{first, second} {
		if st := b.open(url); st != http.StatusOK {
			t.Fatalf("customer page: HTTP %d", st)
		}
	}
	first.click("Approve")
	st := second.click("Deny")
	second.wantErrorPage(http.StatusGone, st, "Verification already completed", "the link cannot be used again")
	wantStatus(t, r.Session, "approved")
}

// TestIdenfyExpiredLink: a token whose expiryTime (1 s, the documented
// minimum) passed before the customer opened it shows iDenfy's expiry page
// and the session is expired.
func TestIdenfyExpiredLink(t *testing.T) {
	need(t)
	r := launch(t, "idenfy", "clientId=e2e-idenfy-expiry", "expiryTime=1")
	time.Sleep(1200 * time.Millisecond)
	b := newTab(t)
	st := b.open(customerURL(t, r))
	b.wantErrorPage(http.StatusGone, st, "Verification link has expired", "iDenfy",
		"This verification session has expired. Ask the company that sent it for a new link.")
	wantStatus(t, r.Session, "expired")
}

// TestIdenfyPhone: the page at a phone's viewport (390×844 CSS px): laid
// out for the width (no sideways scrolling), thumb-sized buttons, a
// full-page screenshot, and a touch tap that approves.
func TestIdenfyPhone(t *testing.T) {
	need(t)
	r := launch(t, "idenfy", "clientId=e2e-idenfy-phone")
	b := newTab(t)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(390, 844,
		chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	if st := b.open(customerURL(t, r)); st != http.StatusOK {
		t.Fatalf("customer page: HTTP %d", st)
	}
	type box struct {
		Label         string
		Left, Right   float64
		Width, Height float64
	}
	type layout struct {
		InnerWidth, ScrollWidth int
		FontSize                float64
		Buttons                 []box
	}
	l, err := chromedp.Run(b.ctx, chromedp.Evaluate[layout](`({
		innerWidth: window.innerWidth,
		scrollWidth: document.documentElement.scrollWidth,
		fontSize: parseFloat(getComputedStyle(document.body).fontSize),
		buttons: [...document.querySelectorAll('button')].map(b => {
			const r = b.getBoundingClientRect();
			return {label: b.innerText.trim(), left: r.left, right: r.right, width: r.width, height: r.height};
		}),
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if l.InnerWidth != 390 {
		t.Errorf("layout viewport %d px wide, want 390 (a missing viewport meta tag lays out at 980)", l.InnerWidth)
	}
	if l.ScrollWidth > 390 {
		t.Errorf("the page is %d px wide: the customer must scroll sideways on a 390 px phone", l.ScrollWidth)
	}
	if l.FontSize < 14 {
		t.Errorf("body text %.1f px: too small to read on a phone", l.FontSize)
	}
	if len(l.Buttons) != len(idenfyButtons) {
		t.Fatalf("buttons %+v, want %q", l.Buttons, idenfyButtons)
	}
	for _, bt := range l.Buttons {
		// 44 px: the smallest comfortable touch target (Apple HIG; WCAG 2.5.5).
		if bt.Height < 44 || bt.Width < 280 || bt.Left < 0 || bt.Right > 390 {
			t.Errorf("button %q at %.0f–%.0f px, %.0f×%.0f: not a full-width thumb-sized target on a 390 px phone",
				bt.Label, bt.Left, bt.Right, bt.Width, bt.Height)
		}
	}

	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w != 390*3 {
		t.Errorf("screenshot %d px wide, want %d (390 CSS px at 3×)", w, 390*3)
	}
	if h := img.Bounds().Dy(); h < 844*3 {
		t.Errorf("screenshot %d px high, want at least the viewport's %d", h, 844*3)
	}
	path := filepath.Join(t.TempDir(), "idenfy-390x844.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("KYCDESK_E2E_SCREENSHOTS"); dir != "" { // keep it past the test
		if err := os.WriteFile(filepath.Join(dir, "idenfy-390x844.png"), shot, 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("screenshot of the iDenfy page at 390×844: %s (%d bytes, %dx%d)", path, len(shot), img.Bounds().Dx(), img.Bounds().Dy())

	if st := b.tap("Approve"); st != http.StatusOK {
		t.Errorf("after a tap on Approve: HTTP %d", st)
	}
	if h := b.heading(); h != "Verification complete" {
		t.Errorf("after a tap on Approve: heading %q", h)
	}
	wantStatus(t, r.Session, "approved")
}

// TestAlibabaOutcomes: Alibaba's TransactionUrl page (single use, 30
// minutes): Approve → approved (Passed Y), Deny → denied (Passed N,
// SubCode 206), Abandon → unknown: the simulator answers
// TransactionIdInvalid as Alibaba does for a customer who gave up
// (decisions.go D4), which kycdesk reports as state unknown.
func TestAlibabaOutcomes(t *testing.T) {
	need(t)
	cases := []struct{ button, title, message, state string }{
		{"Approve", "Verification complete", "Thank you. Your identity was verified (sandbox: approved).", "approved"},
		{"Deny", "Verification failed", "Your identity could not be verified (sandbox: denied).", "denied"},
		{"Abandon", "Verification abandoned", "You left the verification (sandbox: abandoned). The merchant will see no result.", "unknown"},
	}
	for _, c := range cases {
		t.Run(c.button, func(t *testing.T) {
			// The mobile preset (SecurityLevel 01: under 02 Device Guard
			// refuses a preset, TestAlibabaPresetDeviceRisk), opened on a phone.
			r := launch(t, "alibaba", "MerchantUserId=u1", "DocType=01000000", "SecurityLevel=01")
			url := customerURL(t, r)
			tx := r.References["TransactionId"]
			if tx == "" || !strings.HasSuffix(url, "/sandbox/alibaba/verify/"+tx) {
				t.Fatalf("url %s does not end with the TransactionId %q", url, tx)
			}
			b := phoneTab(t)
			if st := b.open(url); st != http.StatusOK {
				t.Fatalf("customer page: HTTP %d", st)
			}
			b.wantText("Alibaba Cloud ID Verification", "sandbox", "Verify your identity",
				"In the real flow Alibaba would now ask you to:",
				"Photograph your Global passport (DocType 01000000).",
				"Complete the liveness check: blink at the camera", "works once", tx)
			if got, want := b.buttons(), []string{"Approve", "Deny", "Abandon"}; !slices.Equal(got, want) {
				t.Fatalf("buttons %q, want %q", got, want)
			}
			wantStatus(t, r.Session, "pending") // ProcessNotCompleted

			if st := b.click(c.button); st != http.StatusOK {
				t.Errorf("after %s: HTTP %d", c.button, st)
			}
			if h := b.heading(); h != c.title {
				t.Errorf("after %s: heading %q, want %q", c.button, h, c.title)
			}
			b.wantText(c.message)
			if got := b.buttons(); len(got) != 0 {
				t.Errorf("the result page offers buttons %q", got)
			}
			wantStatus(t, r.Session, c.state)

			// Single use: a second visit is refused.
			st := b.open(url)
			b.wantErrorPage(http.StatusForbidden, st, "Verification link already used",
				"Alibaba Cloud ID Verification", "a verification link can be used only once")
			wantStatus(t, r.Session, c.state)
		})
	}
}

// TestAlibabaSingleVisit: the TransactionUrl works for one visit even
// before a decision: a second tab (a forwarded link) is refused, and the
// first visit's buttons still work.
func TestAlibabaSingleVisit(t *testing.T) {
	need(t)
	r := launch(t, "alibaba", "MerchantUserId=u2", "DocType=01000000", "SecurityLevel=01")
	url := customerURL(t, r)
	first, second := phoneTab(t), phoneTab(t)
	if st := first.open(url); st != http.StatusOK {
		t.Fatalf("first visit: HTTP %d", st)
	}
	st := second.open(url)
	second.wantErrorPage(http.StatusForbidden, st, "Verification link already used", "can be used only once")
	if st := first.click("Approve"); st != http.StatusOK {
		t.Errorf("approve from the first visit: HTTP %d", st)
	}
	first.wantText("Verification complete")
	wantStatus(t, r.Session, "approved")
}

// TestAlibabaExpiredLink: 30 minutes cannot be shortened from outside the
// sandbox process, so this runs the same sandbox handler in-process with a
// clock the test moves (sandbox.Options.Now), launches with the provider's
// client, and opens the expired TransactionUrl in the browser. (The
// provider package tests the same with plain HTTP:
// TestSessionExpiresAfter30Minutes.)
func TestAlibabaExpiredLink(t *testing.T) {
	need(t)
	clk := clocktest.New(time.Now())
	srv, err := sandbox.Start(catalog.All(), "127.0.0.1:0", sandbox.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	c, err := alibaba.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Now: clk.Now, Timeout: cliTimeout})
	if err != nil {
		t.Fatal(err)
	}
	values := c.Prepare(providers.Values{"MerchantUserId": {"u3"}, "DocType": {"01000000"}})
	l, err := c.Launch(t.Context(), values)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(alibaba.SessionTTL + time.Second)
	b := newTab(t)
	st := b.open(l.URL)
	b.wantErrorPage(http.StatusGone, st, "Verification link expired", "Alibaba Cloud ID Verification",
		"it must be used within 30 minutes")
	s, err := c.Status(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != providers.StateExpired || s.Fields["Code"] != "TransactionIdInvalid" {
		t.Errorf("status after 30 minutes: %s %v, want expired (TransactionIdInvalid past the link's expiry)", s.State, s.Fields)
	}
}

// TestDWSInbox: the customer's SMS, as the sandbox's inbox page shows it,
// completes the OTP flow: the operator types the code the page shows for
// the masked number into `kycdesk verify`.
func TestDWSInbox(t *testing.T) {
	need(t)
	r := launch(t, "dws", "identityValue=+447400123456")
	ch := r.Challenge
	if ch == nil || !ch.Triggered || ch.ChallengeID == "" {
		t.Fatalf("launch dws: challenge %+v, want a triggered SMS challenge", ch)
	}
	if ch.RenderValue != "+44******3456" {
		t.Errorf("masked number %q, want +44******3456", ch.RenderValue)
	}
	b := newTab(t)
	if st := b.open(suite.sandboxURL + "/sandbox/dws/"); st != http.StatusOK {
		t.Fatalf("SMS inbox: HTTP %d", st)
	}
	b.wantText("DWS sandbox — SMS inbox")
	if page := b.text(); strings.Contains(page, "7400123456") {
		t.Errorf("the inbox shows the whole phone number:\n%s", page)
	}
	// The row of this authentication: masked number and code.
	row := fmt.Sprintf(`//tr[td[normalize-space(.)=%q]]`, ch.ChallengeID)
	to, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.Search(row+`/td[1]`)))
	if err != nil {
		t.Fatalf("no inbox row for authenticationId %s: %v\n%s", ch.ChallengeID, err, b.text())
	}
	if to = strings.TrimSpace(to); to != ch.RenderValue {
		t.Errorf("the inbox row is to %q, want %q", to, ch.RenderValue)
	}
	code, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.Search(row+`/td[@class="code"]`)))
	if err != nil {
		t.Fatal(err)
	}
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("the inbox shows code %q, want 6 digits", code)
	}
	if ch.SandboxCode != "" && ch.SandboxCode != code {
		t.Errorf("the inbox shows %s, the launch said the SMS says %s", code, ch.SandboxCode)
	}

	// A wrong code is refused and decides nothing.
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1000000)
	out, errOut, exit := cli(t, "verify", r.Session, "--code", wrong, "--json")
	if exit == 0 || !strings.Contains(out, "OTP_INCORRECT") {
		t.Errorf("verify with a wrong code: exit %d, want the provider's refusal OTP_INCORRECT\nstdout: %s\nstderr: %s", exit, out, errOut)
	}

	if got := cliJSON(t, "verify", r.Session, "--code", code).Status; got != "approved" {
		t.Errorf("kycdesk verify with the inbox's code: %q, want approved", got)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestAlibabaPCBrowserOnPhoneMetaInfo: a TransactionUrl made for a phone
// (the mobile H5 MetaInfo) opened in a computer's browser gets Alibaba's
// error, and still works on the phone.
func TestAlibabaPCBrowserOnPhoneMetaInfo(t *testing.T) {
	need(t)
	r := launch(t, "alibaba", "MerchantUserId=u4", "DocType=01000000", "SecurityLevel=01", "MetaInfo=h5")
	url := customerURL(t, r)
	pc := newTab(t) // headless Chromium on Linux: a computer's browser
	st := pc.open(url)
	pc.wantErrorPage(http.StatusForbidden, st, "Please use your mobile phone", "Alibaba Cloud ID Verification",
		`started for a mobile phone (MetaInfo deviceType "h5")`)
	phone := phoneTab(t)
	if st := phone.open(url); st != http.StatusOK {
		t.Fatalf("the same link on a phone: HTTP %d", st)
	}
	phone.wantText("Verify your identity")
}

// TestAlibabaPresetDeviceRisk: under SecurityLevel 02 (the default) a
// preset MetaInfo is what Device Guard refuses: the page says so and an
// approval is recorded as denied with SubCode 206.
func TestAlibabaPresetDeviceRisk(t *testing.T) {
	need(t)
	r := launch(t, "alibaba", "MerchantUserId=u5", "DocType=01000000", "SecurityLevel=02")
	b := phoneTab(t)
	if st := b.open(customerURL(t, r)); st != http.StatusOK {
		t.Fatalf("customer page: HTTP %d", st)
	}
	b.wantText("not produced by Alibaba's script", "SubCode 206")
	b.click("Approve")
	b.wantText("Verification failed", "SubCode 206")
	wantStatus(t, r.Session, "denied")
}
