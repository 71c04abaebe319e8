//go:build unix

package cli

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/kycdesk/kycdesk/e2e/chrome"
)

// The Alibaba relay end to end (issue 19): `kycdesk serve` in sandbox
// mode with a public URL, a desk over SSH launches Alibaba through a desk
// profile, the desk's QR is a relay link, headless Chromium playing the
// customer's phone opens it, the page runs the sandbox's stand-in for
// Alibaba's script, Initialize gets the phone's own MetaInfo (the
// simulator's page shows the user agent it received), the phone lands on
// the TransactionUrl, approves, and the desk shows APPROVED. Then: the
// spent link a second time, and a browser Alibaba does not support.
//
// It lives here rather than in e2e/browser because it drives a real SSH
// desk with this package's serve helpers (startServeProc, openDeskTerm).
func TestRelayPhoneToDesk(t *testing.T) {
	if _, err := os.Stat(chrome.Path); err != nil {
		t.Skip("no headless browser: install Debian's chromium for " + chrome.Path)
	}
	bin := filepath.Join(t.TempDir(), "kycdesk")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kycdesk/kycdesk").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	public := "http://" + addr
	alice := newOperator(t, "alice")
	p := startServeProc(t, bin, nil, []operator{alice},
		map[string]string{"walkin": "provider = \"alibaba\"\nasked = [\"MerchantUserId\"]\naccepted = []\n[values]\nDocType = \"01000000\"\n"},
		"--http-listen", addr, "--public-url", public)

	d := openDeskTerm(t, p.sshAddr, "desk-1", alice, 140, 40)
	d.waitFor(t, `alice@desk-1 .*SANDBOX`)
	d.keys(d.homeKey(t, "walkin"))
	d.waitFor(t, "MerchantUserId|Merchant user id")
	d.keys("relay-walk-in-1")
	line := d.confirmUntil(t, `/relay/`)
	relayRE := regexp.MustCompile(regexp.QuoteMeta(public) + `/relay/[A-Za-z0-9_-]+`)
	link := relayRE.FindString(line)
	if link == "" {
		t.Fatalf("the desk shows no relay link of %s: %q", public, line)
	}
	d.waitFor(t, "scan the QR with the customer's phone")
	if d.shows(`TransactionId`) {
		t.Fatal("the desk shows a TransactionId before any phone opened the link: Initialize was called with a preset")
	}

	// The phone.
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chrome.Options(filepath.Join(t.TempDir(), "profile"))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // the browser, once; tabs open in it
		t.Fatalf("start %s: %v", chrome.Path, err)
	}
	tab := func(ua string, mobile bool) (context.Context, context.CancelFunc) {
		tctx, cancelTab := chromedp.NewContext(browser)
		ctx, cancel := context.WithTimeout(tctx, serveWait)
		info := device.Info{Name: "e2e", UserAgent: ua, Width: 1280, Height: 800, Scale: 1}
		if mobile {
			info.Width, info.Height, info.Scale, info.Mobile, info.Touch = 390, 844, 3, true, true
		}
		if err := chromedp.Do(ctx, chromedp.Emulate(info)); err != nil {
			t.Fatal(err)
		}
		return ctx, func() { cancel(); cancelTab() }
	}
	phone, closePhone := tab(chrome.PhoneUA, true)
	defer closePhone()
	d.from()
	// The page goes on by itself to the TransactionUrl.
	if err := chromedp.Do(phone, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.Search(`//button[normalize-space(.)="Approve"]`))); err != nil {
		t.Fatalf("the phone did not reach Alibaba's page from %s: %v\nserve log:\n%s", link, err, p.errb.String())
	}
	heading, _ := chromedp.Run(phone, chromedp.Text(chromedp.CSS("h1")))
	page, _ := chromedp.Run(phone, chromedp.Text(chromedp.CSS("body")))
	at, _ := chromedp.Run(phone, chromedp.Location())
	if !strings.HasPrefix(at, public+"/sandbox/alibaba/verify/") {
		t.Errorf("the phone is at %s, not the TransactionUrl", at)
	}
	if heading != "Verify your identity" || !strings.Contains(page, chrome.PhoneUA) || !strings.Contains(page, "from the script on this device") ||
		strings.Contains(page, "SubCode 206") {
		t.Fatalf("the simulator did not get the phone's MetaInfo (want its user agent %q, from the script):\n%s", chrome.PhoneUA, page)
	}
	d.waitFor(t, `in Alibaba Cloud eKYC's flow`)
	d.from()
	if err := chromedp.Do(phone, chromedp.Click(chromedp.Search(`//button[normalize-space(.)="Approve"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space(.)="Verification complete"]`))); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if _, _, ok := d.await(`APPROVED`); !ok {
		t.Fatalf("the desk never showed APPROVED; last lines:\n%s\nserve log:\n%s", strings.Join(tail(d.lines(), 30), "\n"), p.errb.String())
	}

	// The record says where MetaInfo came from.
	cmd := exec.Command(bin, "sessions", "--json")
	cmd.Env = p.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sessions --json: %v", err)
	}
	var list struct {
		Sessions []struct {
			Provider, Status string
			Device           *struct{ Source, DeviceType string }
		}
	}
	if err := json.Unmarshal(out, &list); err != nil || len(list.Sessions) == 0 {
		t.Fatalf("sessions --json: %v\n%s", err, out)
	}
	s := list.Sessions[0]
	if s.Provider != "alibaba" || s.Status != "approved" || s.Device == nil || s.Device.Source != "phone" || s.Device.DeviceType != "h5" {
		t.Errorf("sessions --json: %s", out)
	}

	// The spent link, opened again (a reload, a second phone).
	again, closeAgain := tab(chrome.PhoneUA, true)
	defer closeAgain()
	if err := chromedp.Do(again, chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	text, _ := chromedp.Run(again, chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(text, "Link already used") || strings.Contains(text, "verify/") {
		t.Errorf("a second visit to the spent link shows:\n%s", text)
	}

	// A browser outside Alibaba's list gets the list, and no launch.
	d.from()
	d.keys("n") // the next customer: the profile's screen again
	d.waitFor(t, "MerchantUserId|Merchant user id")
	d.keys("relay-walk-in-2")
	line = d.confirmUntil(t, `/relay/`)
	link2 := relayRE.FindString(line)
	wechat, closeWeChat := tab("Mozilla/5.0 (Linux; Android 13; wv) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.40", true)
	defer closeWeChat()
	if err := chromedp.Do(wechat, chromedp.Navigate(link2)); err != nil {
		t.Fatal(err)
	}
	text, _ = chromedp.Run(wechat, chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(text, "This browser is not supported") || !strings.Contains(text, "Chrome 60 or later") {
		t.Errorf("WeChat gets:\n%s", text)
	}
}

// confirmUntil presses enter on a profile's last field, then on the
// review and on its warnings if they come up, until a line matches want.
func (d *deskTerm) confirmUntil(t *testing.T, want string) string {
	t.Helper()
	for range 3 {
		d.from()
		d.keys("\r")
		l := d.waitFor(t, want+`|Review: the exact request|Press enter again`)
		if regexp.MustCompile(want).MatchString(l) {
			return l
		}
	}
	return d.waitFor(t, want)
}
