package qrscan

import (
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/ui/qr"
)

func TestRenderDecodesToTheURL(t *testing.T) {
	for _, url := range []string{
		"http://127.0.0.1:8470/api/v2/redirect?authToken=pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC",
		"https://ivs.idenfy.com/api/v2/redirect?authToken=" + strings.Repeat("A", 40),
		"http://192.168.1.20:8470/sandbox/alibaba/verify/08573be80f944d95ac812e019e3655a8",
		"https://example.com/" + strings.Repeat("x", 180),
	} {
		c, err := qr.Render(url)
		if err != nil {
			t.Fatal(err)
		}
		// Surround it with text as a screen would.
		var screen []string
		screen = append(screen, "kycdesk  SANDBOX — sessions", "")
		for _, l := range strings.Split(c.Plain, "\n") {
			screen = append(screen, "  "+l+"   scanRef: abc")
		}
		got, err := Decode(strings.Join(screen, "\n"))
		if err != nil {
			t.Fatalf("%s: %v\n%s", url, err, c.Plain)
		}
		if got != url {
			t.Fatalf("decoded %q, want %q", got, url)
		}
	}
}

// A code grown for a large window (each module k×k cells) decodes too,
// on a screen with text beside it.
func TestScaledRenderDecodes(t *testing.T) {
	url := "https://ivs.idenfy.com/api/v2/redirect?authToken=" + strings.Repeat("B", 40)
	base, err := qr.Render(url)
	if err != nil {
		t.Fatal(err)
	}
	for k := 2; k <= qr.MaxScale; k++ {
		c, err := qr.RenderScaled(url, k)
		if err != nil {
			t.Fatal(err)
		}
		if c.Scale != k || c.Width != base.Width*k || c.Height < base.Height*k-k {
			t.Fatalf("scale %d: %dx%d from %dx%d", k, c.Width, c.Height, base.Width, base.Height)
		}
		if again, _ := qr.RenderScaled(url, k); again != c {
			t.Fatalf("scale %d not cached", k)
		}
		var screen []string
		screen = append(screen, "kycdesk  SANDBOX", "")
		for _, l := range strings.Split(c.Plain, "\n") {
			screen = append(screen, " "+l+"  scanRef abc")
		}
		got, err := Decode(strings.Join(screen, "\n"))
		if err != nil || got != url {
			t.Fatalf("scale %d: decoded %q, %v", k, got, err)
		}
	}
}
