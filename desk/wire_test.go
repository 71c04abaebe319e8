package desk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
)

// wireMarker is in the provider's answer only (a header and a field no
// client reads); the history must never hold it.
const wireMarker = "wire-only-5be1c0"

// echoingSandbox is the sandbox behind a proxy that echoes the sent first
// name and the marker in a header of every answer; with refuse set it
// answers iDenfy's token call with an error body carrying the marker.
func echoingSandbox(t *testing.T, refuse bool) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: base})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", "firstName=Jonas")
		w.Header().Set("X-Debug", wireMarker)
		if refuse && r.URL.Path == "/api/v2/token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"identifier":"MISSING_PARAMETER","message":"Missing parameter","debug":"` + wireMarker + ` JONAS"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// noMarkerIn fails when any file under dir holds the marker.
func noMarkerIn(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), wireMarker) {
			t.Errorf("%s holds the raw response", path)
		}
		return nil
	})
}

func TestALaunchCarriesTheRawResponseMaskedAndNeverRecordsIt(t *testing.T) {
	dir := t.TempDir()
	j := openStore(t, filepath.Join(dir, "kycdesk.db"))
	d := newDesk(t, providers.ModeSandbox, echoingSandbox(t, false), j, providers.Masked)
	p, _ := d.Provider("idenfy")
	o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"wire-1"}, "firstName": {"Jonas"}}))
	if err != nil {
		t.Fatal(err)
	}
	r := o.Response
	if r == nil || len(o.Exchanges) != 1 || r.Request != "POST /api/v2/token" || !strings.HasPrefix(r.Status, "20") {
		t.Fatalf("response %+v, %d exchanges", r, len(o.Exchanges))
	}
	if r.Headers["X-Debug"] != wireMarker || r.Headers["X-Echo"] != "firstName="+providers.Mask ||
		!strings.Contains(r.Body, o.Launch.References["scanRef"]) || strings.Contains(strings.ToLower(r.Text()), "jonas") {
		t.Fatalf("not the masked answer:\n%s", r.Text())
	}
	noMarkerIn(t, dir)

	// DWS: the launch's answer is initAuthentication's; the code it sends
	// after is among the exchanges.
	p, _ = d.Provider("dws")
	o, err = d.Launch(context.Background(), d.Draft(p, providers.Values{"identityValue": {"+447400123456"}}))
	if err != nil || o.CodeErr != nil {
		t.Fatal(err, o.CodeErr)
	}
	if len(o.Exchanges) != 2 || o.Response != &o.Exchanges[0] || !strings.Contains(o.Response.Request, "initAuthentication") ||
		!strings.Contains(o.Exchanges[1].Request, "triggerChallenge") {
		t.Fatalf("DWS exchanges: %+v", o.Exchanges)
	}
	if strings.Contains(o.Exchanges[0].Text()+o.Exchanges[1].Text(), "7400123456") {
		t.Fatal("the sent phone number is shown")
	}
	noMarkerIn(t, dir)
}

func TestARefusedLaunchsErrorCarriesTheRawResponse(t *testing.T) {
	dir := t.TempDir()
	j := openStore(t, filepath.Join(dir, "kycdesk.db"))
	d := newDesk(t, providers.ModeSandbox, echoingSandbox(t, true), j, providers.Masked)
	p, _ := d.Provider("idenfy")
	_, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"wire-2"}, "firstName": {"Jonas"}}))
	pe := providers.AsError(err)
	if pe == nil || pe.Kind != providers.KindRejected || len(pe.Exchanges) != 1 {
		t.Fatalf("error %+v", pe)
	}
	e := pe.Exchanges[0]
	if e.Status != "400 Bad Request" || !strings.Contains(e.Body, wireMarker+" "+providers.Mask) || strings.Contains(e.Text(), "JONAS") {
		t.Fatalf("error's answer:\n%s", e.Text())
	}
	noMarkerIn(t, dir)
}
