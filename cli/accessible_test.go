package cli

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// lineReader hands out one line per Read, as a terminal in line mode does,
// so each accessible prompt reads exactly its own answer.
type lineReader struct{ lines []string }

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.lines[0]+"\n")
	l.lines = l.lines[1:]
	return n, nil
}

func TestAccessibleConsoleLaunchesIdenfy(t *testing.T) {
	isolate(t)
	in := &lineReader{lines: []string{
		"1",         // provider: iDenfy
		"desk-a11y", // clientId
		"", "",      // firstName, lastName
		"",  // locale: not set (typed; empty keeps the default)
		"",  // country
		"0", // documents: confirm none
		"1", // tokenType: not set
		"",  // expiryTime
		"n", // advanced
		"y", // launch
		"n", // another session
	}}
	var out, errb bytes.Buffer
	code := Main([]string{"--accessible"}, &IO{In: in, Out: &out, Err: &errb, Getenv: os.Getenv})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"Requests go to SANDBOX", `"clientId":"desk-a11y"`, "Basic ••••••", "scanRef", "url        http://127.0.0.1:",
		"A unique string identifying the client on your side", "[required, max length 100, ASCII only]"} { // field descriptions, not only labels
		if !strings.Contains(out.String(), want) {
			t.Errorf("accessible output lacks %q:\n%s", want, out.String())
		}
	}
	for _, s := range sandboxSecrets() {
		if strings.Contains(out.String(), s) {
			t.Errorf("secret %q printed", s)
		}
	}
	if strings.Contains(out.String(), "\x1b[?1049h") {
		t.Error("accessible mode switched to the alternate screen")
	}
}

func TestAccessibleConsoleEndsAtEndOfInput(t *testing.T) {
	isolate(t)
	var out, errb bytes.Buffer
	code := Main([]string{"--accessible"}, &IO{In: &lineReader{lines: []string{"1"}}, Out: &out, Err: &errb, Getenv: os.Getenv})
	if code != 0 {
		t.Fatalf("exit %d at end of input\n%s", code, errb.String())
	}
}

// The accessible console warns before a second billed live launch for a
// customer with one pending, as the console and `launch` do.
func TestAccessibleConsoleWarnsOfAPendingLiveSession(t *testing.T) {
	isolate(t)
	t.Setenv("IDENFY_API_KEY", "live-key")
	t.Setenv("IDENFY_API_SECRET", "live-secret-value")
	sb := startSandbox(t, envOf(map[string]string{"IDENFY_API_KEY": "live-key", "IDENFY_API_SECRET": "live-secret-value"}))
	t.Setenv("KYCDESK_IDENFY_URL", sb.URL)
	first := oneJSON(t, cli(t, []string{"live-secret-value"}, "launch", "idenfy", "--live", "--set", "clientId=desk-a11y", "--json").out)
	in := &lineReader{lines: []string{
		"1",         // provider: iDenfy (the only one with live credentials)
		"desk-a11y", // clientId
		"", "",      // firstName, lastName
		"",  // locale: not set (typed; empty keeps the default)
		"",  // country
		"0", // documents: confirm none
		"1", // tokenType: not set
		"",  // expiryTime
		"n", // advanced
		"n", // launch: no
		"n", // another session
	}}
	var out, errb bytes.Buffer
	code := Main([]string{"--accessible", "--live"}, &IO{In: in, Out: &out, Err: &errb, Getenv: os.Getenv})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "already has a pending live session ("+first["session"].(string)+")") {
		t.Errorf("no duplicate warning:\n%s", out.String())
	}
	if strings.Contains(out.String(), "live-secret-value") {
		t.Error("the live secret was printed")
	}
}

// Accessible mode offers the desk profiles, asks only their fields,
// follows the session after launch, and a multi-select finishes on an
// empty enter.
func TestAccessibleProfileAndFollow(t *testing.T) {
	isolate(t)
	writeProfile(t, "lt", lt)
	in := &lineReader{lines: []string{
		"1",      // profile lt (profiles come first)
		"a11y-p", // clientId, the only field asked
		"y",      // launch
		"",       // enter: ask the provider now
		"n",      // go on without waiting
		"n",      // another session
	}}
	var out, errb bytes.Buffer
	if code := Main([]string{"--accessible"}, &IO{In: in, Out: &out, Err: &errb, Getenv: os.Getenv}); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	o := out.String()
	for _, want := range []string{"Profile lt", `"clientId":"a11y-p"`, `"locale":"lt"`, "scanRef", "Waiting for the result", "Still pending"} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "First name") {
		t.Error("a field the profile does not ask was asked")
	}
}

func TestAccessibleMultiSelectEndsOnEmptyEnter(t *testing.T) {
	isolate(t)
	in := &lineReader{lines: []string{
		"1", "desk-ms", "", "", "", "",
		"2", // documents: toggle the second option
		"",  // documents: an empty enter finishes the list
		"1", // tokenType: not set
		"",  // expiryTime
		"n", // advanced
		"y", // launch
		"n", // status
		"n", // another session
	}}
	var out, errb bytes.Buffer
	if code := Main([]string{"--accessible"}, &IO{In: in, Out: &out, Err: &errb, Getenv: os.Getenv}); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), `"documents":[`) || !strings.Contains(out.String(), "scanRef") {
		t.Fatalf("the list did not finish on an empty enter:\n%s", out.String())
	}
}

// DWS in accessible mode: the signature is not read aloud, and r sends a
// new code.
func TestAccessibleDWSResendAndNoSignatureAloud(t *testing.T) {
	isolate(t)
	writeProfile(t, "phone", "provider = \"dws\"\nasked = [\"identityValue\"]\naccepted = []\n[values]\n")
	in := &lineReader{lines: []string{"1", "+447400123456", "y", "r", "", "n"}}
	var out, errb bytes.Buffer
	if code := Main([]string{"--accessible"}, &IO{In: in, Out: &out, Err: &errb, Getenv: os.Getenv}); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	o := out.String()
	if !strings.Contains(o, "signature=(a ") || !strings.Contains(o, "not read aloud") {
		t.Errorf("the signature is read aloud:\n%s", o)
	}
	// The sandbox refuses a second code within 30 s, as DWS does: the
	// answer shows that r asked it.
	if !strings.Contains(o, "A new code was sent") && !strings.Contains(o, "RESEND_TOO_SOON") {
		t.Errorf("r did not ask for a new code:\n%s", o)
	}
}

// Accessible mode says the result when it arrives (the sandbox's webhook
// to the console's receiver), with no key pressed.
func TestAccessibleAnnouncesTheResultWhenItArrives(t *testing.T) {
	isolate(t)
	writeProfile(t, "lt", lt)
	pr, pw := io.Pipe()
	out := newLockedBuffer()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- Main([]string{"--accessible"}, &IO{In: pr, Out: out, Err: &errb, Getenv: os.Getenv}) }()
	waitOut := func(what string) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second) // a bound, not a measure
		for !strings.Contains(out.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("never said %q:\n%s", what, out.String())
			}
			select {
			case <-out.grew:
			case <-time.After(100 * time.Millisecond):
			}
		}
		return out.String()
	}
	io.WriteString(pw, "1\na11y-w\ny\n")
	o := waitOut("Waiting for the result")
	url := regexp.MustCompile(`(?m)^url +(\S+)`).FindStringSubmatch(o)
	if url == nil {
		t.Fatalf("no url:\n%s", o)
	}
	approveOnCustomerPage(t, url[1])
	waitOut("Result: approved.")
	io.WriteString(pw, "n\n")
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
}
