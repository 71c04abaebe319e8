package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
)

const verboseMarker = "wire-only-c41d"

// markingSandbox is the sandbox behind a proxy that adds a marker header
// (and the sent first name) to every answer; with refuse it refuses
// iDenfy's token call with a body that echoes the name.
func markingSandbox(t *testing.T, refuse bool) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: base, Env: noEnv})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Debug", verboseMarker+" Jonas")
		if refuse && r.URL.Path == "/api/v2/token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"identifier":"MISSING_PARAMETER","message":"Missing parameter","echo":"JONAS"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	t.Setenv("KYCDESK_SANDBOX_URL", base)
}

// stateHolds reports whether a file of the state directory (the history)
// holds s.
func stateHolds(t *testing.T, s string) bool {
	t.Helper()
	found := false
	_ = filepath.Walk(os.Getenv("XDG_STATE_HOME"), func(path string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(path)
			found = found || strings.Contains(string(b), s)
		}
		return nil
	})
	return found
}

func TestLaunchVerboseJSONHasTheRawResponse(t *testing.T) {
	isolate(t)
	markingSandbox(t, false)
	r := cli(t, []string{"Jonas", "JONAS"}, "launch", "idenfy", "--set", "clientId=v-1", "--set", "firstName=Jonas", "--json", "--verbose")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	m := oneJSON(t, r.out)
	resp, ok := m["response"].(map[string]any)
	if !ok {
		t.Fatalf("response = %v, want an object", m["response"])
	}
	headers, _ := resp["headers"].(map[string]any)
	body, _ := resp["body"].(string)
	refs, _ := m["references"].(map[string]any)
	if resp["status"] != "201 Created" || resp["request"] != "POST /api/v2/token" || headers["X-Debug"] != verboseMarker+" ••••••" ||
		!strings.Contains(body, refs["scanRef"].(string)) {
		t.Fatalf("response = %v", resp)
	}
	if _, ok := m["responses"]; ok {
		t.Error("responses listed for a launch with one answer")
	}
	delete(m, "response")
	checkLaunchJSON(t, m, "idenfy", "scanRef") // the rest of the contract unchanged
	if stateHolds(t, verboseMarker) {
		t.Fatal("the raw response reached the history")
	}

	// A DWS launch also sends its code: every answer is listed.
	r = run0(t, "launch", "dws", "--set", "identityValue=+447400123456", "--json", "--verbose")
	m = oneJSON(t, r.out)
	all, _ := m["responses"].([]any)
	resp, _ = m["response"].(map[string]any)
	if len(all) != 2 || !strings.Contains(resp["request"].(string), "initAuthentication") || strings.Contains(r.out, "7400123456") {
		t.Fatalf("DWS: response %v, responses %v", m["response"], m["responses"])
	}
}

func TestLaunchVerboseTextAndFailures(t *testing.T) {
	isolate(t)
	markingSandbox(t, false)
	r := run0(t, "launch", "idenfy", "--set", "clientId=v-2", "--verbose")
	if !strings.Contains(r.out, "scanRef") || strings.Contains(r.out, verboseMarker) {
		t.Fatalf("stdout:\n%s", r.out)
	}
	if !strings.Contains(r.err, "provider response") || !strings.Contains(r.err, "201 Created") || !strings.Contains(r.err, "X-Debug: "+verboseMarker) {
		t.Fatalf("stderr lacks the response:\n%s", r.err)
	}
	// Without --verbose there is none.
	if r := run0(t, "launch", "idenfy", "--set", "clientId=v-3", "--json"); strings.Contains(r.out+r.err, verboseMarker) {
		t.Fatalf("the response printed without --verbose:\n%s\n%s", r.out, r.err)
	}

	markingSandbox(t, true)
	r = cli(t, []string{"Jonas", "JONAS"}, "launch", "idenfy", "--set", "clientId=v-4", "--set", "firstName=Jonas", "--json", "--verbose")
	m := oneJSON(t, r.out)
	resp, _ := m["response"].(map[string]any)
	if r.code != exitRefused || m["error"] == nil || resp["status"] != "400 Bad Request" || !strings.Contains(resp["body"].(string), `"echo":"••••••"`) {
		t.Fatalf("exit %d, %v", r.code, m)
	}
	r = cli(t, []string{"Jonas", "JONAS"}, "launch", "idenfy", "--set", "clientId=v-5", "--set", "firstName=Jonas", "--verbose")
	if r.code != exitRefused || !strings.Contains(r.err, "MISSING_PARAMETER") || !strings.Contains(r.err, "400 Bad Request") {
		t.Fatalf("exit %d\n%s", r.code, r.err)
	}
	if stateHolds(t, verboseMarker) {
		t.Fatal("the raw response reached the history")
	}
}
