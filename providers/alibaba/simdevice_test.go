package alibaba

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

const (
	phoneUA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
	pcUA    = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)

// scriptMeta loads the stand-in script as a browser with user agent ua
// would and returns what its getMetaInfo() returns (the script builds it
// from navigator.userAgent: here, the same fields from the served text).
func scriptMeta(t *testing.T, base, ua string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+ScriptPath, nil)
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/javascript") {
		t.Fatalf("script: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	js := string(body)
	for _, want := range []string{"window.getMetaInfo = function ()", "navigator.userAgent", `deviceType: mobile ? "h5" : "web"`} {
		if !strings.Contains(js, want) {
			t.Fatalf("the script lacks %q:\n%s", want, js)
		}
	}
	m := regexp.MustCompile(`var apdidToken = "([0-9a-f]*)";`).FindStringSubmatch(js)
	if m == nil || m[1] == "" {
		t.Fatalf("no device token in the script:\n%s", js)
	}
	dt := DeviceWeb
	if MobileBrowser(ua) {
		dt = DeviceH5
	}
	b, _ := json.Marshal(map[string]string{"apdidToken": m[1], "appName": "kycdesk-sandbox-jsvm", "bioMetaInfo": "4.1.0:2916352,0", "deviceType": dt, "ua": ua})
	return string(b)
}

// openAs opens a TransactionUrl with a browser's user agent.
func openAs(t *testing.T, u, ua string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// TestSimulatorComparesTheOpenerWithMetaInfo: a phone's MetaInfo opened
// in a computer's browser, and a computer's on a phone, get Alibaba-like
// errors and the link stays usable on the right device.
func TestSimulatorComparesTheOpenerWithMetaInfo(t *testing.T) {
	c, _, _ := sandbox(t, newClock())
	for _, tc := range []struct {
		meta, wrongUA, rightUA, title string
	}{
		{MetaInfoMobileH5, pcUA, phoneUA, "Please use your mobile phone"},
		{MetaInfoPCWeb, phoneUA, pcUA, "Please use a computer"},
	} {
		v := validValues()
		v.Set("MetaInfo", tc.meta)
		l, err := c.Launch(t.Context(), c.Prepare(v))
		if err != nil {
			t.Fatal(err)
		}
		code, body := openAs(t, l.URL, tc.wrongUA)
		if code != http.StatusForbidden || !strings.Contains(body, "<h1>"+tc.title+"</h1>") || strings.Contains(body, "<form") {
			t.Fatalf("%s opened by %s: %d\n%s", DeviceTypeOf(tc.meta), tc.wrongUA, code, body)
		}
		if code, body := openAs(t, l.URL, tc.rightUA); code != http.StatusOK || !strings.Contains(body, "<form") {
			t.Fatalf("then on the right device: %d\n%s", code, body)
		}
	}
}

// TestSimulatorDeviceRisk: under SecurityLevel 02, a preset MetaInfo is a
// device risk (Approve gives Passed N, SubCode 206); the stand-in script's
// MetaInfo from the browser that opens the page is not; a script token
// presented with another user agent is not the script's either.
func TestSimulatorDeviceRisk(t *testing.T) {
	c, _, srv := sandbox(t, newClock())
	launch := func(level, meta string) *providers.Launch {
		v := validValues()
		v.Set("SecurityLevel", level)
		v.Set("MetaInfo", meta)
		l, err := c.Launch(t.Context(), c.Prepare(v))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	approve := func(l *providers.Launch, ua string) (string, *providers.Status) {
		code, body := openAs(t, l.URL, ua)
		if code != 200 {
			t.Fatalf("page: %d %s", code, body)
		}
		tok := tokenRE.FindStringSubmatch(body)
		if tok == nil {
			t.Fatalf("no token:\n%s", body)
		}
		resp, err := http.PostForm(l.URL, url.Values{"action": {"approve"}, "token": {tok[1]}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		st, err := c.Status(t.Context(), l)
		if err != nil {
			t.Fatal(err)
		}
		return body, st
	}

	body, st := approve(launch("02", MetaInfoMobileH5), phoneUA)
	if !strings.Contains(body, "SubCode 206") || !strings.Contains(body, "not produced by Alibaba&#39;s script") {
		t.Errorf("the page does not warn of the device risk:\n%s", body)
	}
	if st.State != providers.StateDenied || st.Fields["SubCode"] != "206" || st.Fields["Passed"] != "N" {
		t.Errorf("a preset under 02, approved: %s %v, want denied with SubCode 206", st.State, st.Fields)
	}
	body, st = approve(launch("02", scriptMeta(t, srv.URL, phoneUA)), phoneUA)
	if st.State != providers.StateApproved || strings.Contains(body, "SubCode 206") || !strings.Contains(body, phoneUA) {
		t.Errorf("the script's MetaInfo under 02: %s %v\n%s", st.State, st.Fields, body)
	}
	if _, st = approve(launch("01", MetaInfoMobileH5), phoneUA); st.State != providers.StateApproved {
		t.Errorf("a preset under 01: %s, want approved", st.State)
	}
	// A token the script issued to another browser, pasted with this one's
	// user agent, is not the script's MetaInfo.
	var m map[string]string
	json.Unmarshal([]byte(scriptMeta(t, srv.URL, pcUA)), &m)
	m["ua"], m["deviceType"] = phoneUA, DeviceH5
	forged, _ := json.Marshal(m)
	if _, st = approve(launch("02", string(forged)), phoneUA); st.State != providers.StateDenied || st.Fields["SubCode"] != "206" {
		t.Errorf("another browser's token: %s %v, want SubCode 206", st.State, st.Fields)
	}
}

func TestBrowserProblem(t *testing.T) {
	for ua, bad := range map[string]bool{
		phoneUA: false, pcUA: false,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1":       false,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 10_3 like Mac OS X) AppleWebKit/603.1.30 (KHTML, like Gecko) Version/10.0 Mobile/14E277 Safari/602.1":       true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 14_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/87.0.4280.77 Mobile/15E148 Safari/604.1": true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 14_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/87.0.4280.77 Mobile/15E148 Safari/604.1": false,
		"Mozilla/5.0 (Linux; Android 4.4.2; GT-I9505) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/34.0.1847.114 Mobile Safari/537.36":                 true,
		"Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/55.0 Mobile Safari/537.36":                                       true,
		"Mozilla/5.0 (Linux; Android 13; wv) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.40":            true,
		"Mozilla/5.0 (X11; Linux x86_64; rv:52.0) Gecko/20100101 Firefox/52.0":                                                                          true,
		"": true,
	} {
		if got := BrowserProblem(ua) != ""; got != bad {
			t.Errorf("BrowserProblem(%q) = %q, want a problem: %v", ua, BrowserProblem(ua), bad)
		}
	}
}
