package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/kycdesk/kycdesk/e2e/chrome"
)

// chromiumPath is Debian's chromium; CI installs it before the tests.
const chromiumPath = chrome.Path

// Bounds of every wait.
const (
	buildTimeout   = 3 * time.Minute // a cold module cache; usually a second or two
	startTimeout   = 15 * time.Second
	cliTimeout     = 20 * time.Second
	tabTimeout     = 25 * time.Second
	shutdownWait   = 5 * time.Second
	sandboxRetries = 3
)

// suite is what TestMain sets up once for every test.
var suite struct {
	skip       string // why the tests skip (no browser)
	err        error  // why setup failed: the tests fail
	dir        string
	bin        string // the built kycdesk
	env        []string
	sandboxURL string
	sandboxLog string

	sandbox       *exec.Cmd
	sandboxExited chan struct{}
	browserCtx    context.Context
	stopBrowser   func()
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if _, err := os.Stat(chromiumPath); err != nil {
		suite.skip = "no headless browser: install Debian's chromium (apt-get install -y chromium) for " + chromiumPath
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "kycdesk-browser-e2e-")
	if err != nil {
		suite.err = err
		return m.Run()
	}
	suite.dir = dir
	defer os.RemoveAll(dir)
	defer stopSandbox()
	defer func() {
		if suite.stopBrowser != nil {
			suite.stopBrowser()
		}
	}()
	if err := setup(dir); err != nil {
		suite.err = err
	}
	return m.Run()
}

// setup builds kycdesk, starts `kycdesk sandbox` and the browser.
func setup(dir string) error {
	for _, d := range []string{"state", "config", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	suite.bin = filepath.Join(dir, "kycdesk")
	if err := build(suite.bin); err != nil {
		return err
	}
	suite.env = isolatedEnv(dir)
	if err := startSandbox(dir); err != nil {
		return err
	}
	suite.env = append(suite.env, "KYCDESK_SANDBOX_URL="+suite.sandboxURL)
	return startBrowser(dir)
}

func build(out string) error {
	goBin, err := exec.LookPath("go") // go test puts GOROOT/bin first in PATH
	if err != nil {
		return fmt.Errorf("no go command to build kycdesk: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, "github.com/kycdesk/kycdesk")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build kycdesk: %v\n%s", err, b)
	}
	return nil
}

// isolatedEnv is this process's environment without anything that would
// point kycdesk at real credentials, endpoints or the user's journal.
func isolatedEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "KYCDESK_"), strings.HasPrefix(k, "IDENFY_"),
			strings.HasPrefix(k, "ALIBABA_CLOUD_"), strings.HasPrefix(k, "DWS_"),
			k == "XDG_STATE_HOME", k == "XDG_CONFIG_HOME", k == "HOME":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"XDG_STATE_HOME="+filepath.Join(dir, "state"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"HOME="+filepath.Join(dir, "home"),
	)
}

// freePort asks the kernel for a free loopback port. Another process can
// take it before the sandbox binds it; startSandbox then retries.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startSandbox(dir string) error {
	suite.sandboxLog = filepath.Join(dir, "sandbox.log")
	var last error
	for range sandboxRetries {
		port, err := freePort()
		if err != nil {
			return err
		}
		if last = trySandbox(port); last == nil {
			return nil
		}
	}
	return fmt.Errorf("kycdesk sandbox did not start: %v", last)
}

// trySandbox starts the sandbox on port and waits until this very process
// says it listens (so a foreign sandbox that took the port is not mistaken
// for ours) and its health document answers.
func trySandbox(port int) error {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logf, err := os.OpenFile(suite.sandboxLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(suite.bin, "sandbox", "--listen", addr)
	cmd.Env = suite.env
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		want := "kycdesk sandbox listening on http://" + addr
		said := false
		for sc.Scan() {
			fmt.Fprintln(logf, "stdout:", sc.Text())
			if !said && strings.HasPrefix(sc.Text(), want) {
				said = true
				close(listening)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	deadline := time.After(startTimeout)
	select {
	case <-listening:
	case <-exited:
		return fmt.Errorf("kycdesk sandbox --listen %s exited at start (%s)", addr, lastLines(suite.sandboxLog, 3))
	case <-deadline:
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("kycdesk sandbox --listen %s did not say it listens within %s", addr, startTimeout)
	}
	suite.sandbox, suite.sandboxExited = cmd, exited
	suite.sandboxURL = "http://" + addr
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(suite.sandboxURL + "/sandbox/health")
		if err == nil {
			var h struct {
				Service string `json:"service"`
			}
			derr := json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && derr == nil && h.Service == "kycdesk-sandbox" {
				return nil
			}
		}
		select {
		case <-deadline:
			stopSandbox()
			return fmt.Errorf("%s/sandbox/health did not answer within %s", suite.sandboxURL, startTimeout)
		case <-exited:
			return fmt.Errorf("kycdesk sandbox exited (%s)", lastLines(suite.sandboxLog, 3))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func stopSandbox() {
	if suite.sandbox == nil {
		return
	}
	_ = suite.sandbox.Process.Signal(os.Interrupt)
	select {
	case <-suite.sandboxExited:
	case <-time.After(shutdownWait):
		_ = suite.sandbox.Process.Kill()
		<-suite.sandboxExited
	}
	suite.sandbox = nil
}

func lastLines(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// startBrowser starts one headless Chromium for the whole package; each
// test opens its own tabs in it.
func startBrowser(dir string) error {
	logf, err := os.Create(filepath.Join(dir, "chromium.log"))
	if err != nil {
		return err
	}
	opts := chrome.Options(filepath.Join(dir, "chromium-profile"), chromedp.CombinedOutput(logf))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	stop := func() {
		done := make(chan struct{})
		go func() {
			_ = chromedp.Cancel(browserCtx) // closes the browser gracefully
			cancelBrowser()
			cancelAlloc()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(shutdownWait):
		}
		logf.Close()
	}
	// The first Do starts the browser and binds its life to browserCtx,
	// which has no deadline; the wait for it is bounded here instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browserCtx) }()
	select {
	case err = <-started:
	case <-time.After(startTimeout):
		err = fmt.Errorf("chromium did not start within %s", startTimeout)
	}
	if err != nil {
		stop()
		return fmt.Errorf("start %s: %v (%s)", chromiumPath, err, lastLines(filepath.Join(dir, "chromium.log"), 5))
	}
	suite.browserCtx, suite.stopBrowser = browserCtx, stop
	return nil
}

// need skips the test without a browser and fails it when setup failed.
// On failure it logs the end of the sandbox's request log.
func need(t *testing.T) {
	t.Helper()
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	if suite.err != nil {
		t.Fatal(suite.err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sandbox log (last lines): %s", lastLines(suite.sandboxLog, 12))
		}
	})
}

// ---- the CLI ----

// cli runs the built kycdesk with the isolated environment.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.bin, args...)
	cmd.Env = suite.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		code = ee.ExitCode()
	default:
		t.Fatalf("kycdesk %s: %v (stderr: %s)", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String(), code
}

// result is the --json object of launch, status and verify.
type result struct {
	Session    string            `json:"session"`
	Provider   string            `json:"provider"`
	Mode       string            `json:"mode"`
	URL        *string           `json:"url"`
	References map[string]string `json:"references"`
	ExpiresAt  *string           `json:"expiresAt"`
	Status     string            `json:"status"`
	Challenge  *struct {
		Type        string `json:"challengeType"`
		RenderValue string `json:"challengeRenderValue"`
		ChallengeID string `json:"challengeId"`
		Triggered   bool   `json:"triggered"`
		SandboxCode string `json:"sandboxCode"`
	} `json:"challenge"`
	Error *struct {
		Kind, Field, Code, Message, Action string
	} `json:"error"`
}

// cliJSON runs a --json command that must succeed.
func cliJSON(t *testing.T, args ...string) result {
	t.Helper()
	args = append(args, "--json")
	out, errOut, code := cli(t, args...)
	var r result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("kycdesk %s: exit %d, not one JSON object: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, err, out, errOut)
	}
	if code != 0 || r.Error != nil {
		t.Fatalf("kycdesk %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return r
}

// launch starts a sandbox session with the CLI.
func launch(t *testing.T, provider string, sets ...string) result {
	t.Helper()
	args := []string{"launch", provider}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	r := cliJSON(t, args...)
	if r.Provider != provider || r.Mode != "sandbox" || r.Status != "pending" || r.Session == "" {
		t.Fatalf("launch %s: got provider %q mode %q status %q session %q; want %s, sandbox, pending", provider, r.Provider, r.Mode, r.Status, r.Session, provider)
	}
	return r
}

// wantStatus checks what `kycdesk status SESSION --json` reports.
func wantStatus(t *testing.T, session, want string) {
	t.Helper()
	if got := cliJSON(t, "status", session).Status; got != want {
		t.Errorf("kycdesk status %s: %q, want %q", session, got, want)
	}
}

// customerURL is the hosted-flow URL of a launch, which must point at the
// sandbox.
func customerURL(t *testing.T, r result) string {
	t.Helper()
	if r.URL == nil || !strings.HasPrefix(*r.URL, suite.sandboxURL+"/") {
		t.Fatalf("launch %s: url %v, want one under %s", r.Provider, r.URL, suite.sandboxURL)
	}
	return *r.URL
}

// ---- the browser ----

// tab is one browser tab, the customer's phone or laptop.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab opens a tab whose every action is bounded by tabTimeout.
func newTab(t *testing.T) *tab {
	t.Helper()
	tctx, cancelTab := chromedp.NewContext(suite.browserCtx)
	ctx, cancel := context.WithTimeout(tctx, tabTimeout)
	t.Cleanup(func() { cancel(); cancelTab() })
	return &tab{t: t, ctx: ctx}
}

// phoneUA is the user agent a phone tab sends (Chrome on Android).
const phoneUA = chrome.PhoneUA

// phoneTab is a tab that passes for a phone: its user agent, viewport and
// touch screen.
func phoneTab(t *testing.T) *tab {
	t.Helper()
	return uaTab(t, phoneUA, true)
}

// uaTab is a tab with user agent ua, a phone's screen when mobile.
func uaTab(t *testing.T, ua string, mobile bool) *tab {
	t.Helper()
	b := newTab(t)
	d := device.Info{Name: "kycdesk e2e", UserAgent: ua, Width: 1280, Height: 800, Scale: 1}
	if mobile {
		d.Width, d.Height, d.Scale, d.Mobile, d.Touch = 390, 844, 3, true, true
	}
	if err := chromedp.Do(b.ctx, chromedp.Emulate(d)); err != nil {
		t.Fatal(err)
	}
	return b
}

// open loads url and returns the document's HTTP status.
func (b *tab) open(url string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	return resp.Status
}

// click clicks the button labelled label, as a customer does, waits for the
// page the form posts to and returns its HTTP status.
func (b *tab) click(label string) int64 {
	b.t.Helper()
	return b.submit(label, chromedp.Click(buttonLabelled(label)))
}

// tap is click with a touch screen (needs touch emulation).
func (b *tab) tap(label string) int64 {
	b.t.Helper()
	return b.submit(label, chromedp.Tap(buttonLabelled(label)))
}

func (b *tab) submit(label string, act chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, act)
	if err != nil {
		b.t.Fatalf("press %q: %v", label, err)
	}
	return resp.Status
}

// buttonLabelled finds a button by the text the customer reads.
func buttonLabelled(label string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//button[normalize-space(.)=%q]`, label))
}

// text is what the page shows (innerText of the body).
func (b *tab) text() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		b.t.Fatalf("read the page: %v", err)
	}
	return s
}

// heading is the page's first h1.
func (b *tab) heading() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		b.t.Fatalf("read the heading: %v", err)
	}
	return strings.TrimSpace(s)
}

// buttons are the labels of the page's buttons, in order.
func (b *tab) buttons() []string {
	b.t.Helper()
	nodes, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSSAll("button"), chromedp.AtLeast(0)))
	if err != nil {
		b.t.Fatalf("list the buttons: %v", err)
	}
	var labels []string
	for _, n := range nodes {
		s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.NodeIDs{n.NodeID}))
		if err != nil {
			b.t.Fatalf("read a button: %v", err)
		}
		labels = append(labels, strings.TrimSpace(s))
	}
	return labels
}

// wantText checks that the page shows every one of want.
func (b *tab) wantText(want ...string) {
	b.t.Helper()
	page := b.text()
	for _, w := range want {
		if !strings.Contains(page, w) {
			b.t.Errorf("the page does not show %q; it shows:\n%s", w, page)
		}
	}
}

// wantErrorPage checks a provider-like error page: its HTTP status, its
// heading, its text, and that nothing can be pressed any more.
func (b *tab) wantErrorPage(status, gotStatus int64, title string, text ...string) {
	b.t.Helper()
	if gotStatus != status {
		b.t.Errorf("HTTP status %d, want %d", gotStatus, status)
	}
	if h := b.heading(); h != title {
		b.t.Errorf("heading %q, want %q", h, title)
	}
	b.wantText(text...)
	if btns := b.buttons(); len(btns) != 0 {
		b.t.Errorf("the error page still offers buttons %q", btns)
	}
	forms, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSSAll("form"), chromedp.AtLeast(0)))
	if err != nil {
		b.t.Fatalf("list the forms: %v", err)
	}
	if len(forms) != 0 {
		b.t.Errorf("the error page still has %d form(s)", len(forms))
	}
}
