package qr

import (
	"strings"
	"testing"
)

func TestRenderDecodesToTheURL(t *testing.T) {
	for _, url := range []string{
		"http://127.0.0.1:8470/api/v2/redirect?authToken=pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC",
		"https://ivs.idenfy.com/api/v2/redirect?authToken=" + strings.Repeat("A", 40),
		"http://192.168.1.20:8470/sandbox/alibaba/verify/08573be80f944d95ac812e019e3655a8",
		"https://example.com/" + strings.Repeat("x", 180),
	} {
		c, err := Render(url)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(c.Styled, colorOn) {
			t.Fatal("colours are not forced")
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

func TestRenderCachesAndRefusesOversize(t *testing.T) {
	a, _ := Render("https://example.com/a")
	b, _ := Render("https://example.com/a")
	if a != b {
		t.Fatal("not cached")
	}
	if _, err := Render(strings.Repeat("x", MaxLen+1)); err == nil {
		t.Fatal("oversize accepted")
	}
	if _, err := Render(""); err == nil {
		t.Fatal("empty accepted")
	}
}

func TestSizeForTypicalURL(t *testing.T) {
	c, err := Render("https://ivs.idenfy.com/api/v2/redirect?authToken=" + strings.Repeat("A", 40))
	if err != nil {
		t.Fatal(err)
	}
	if c.Width > 48 || c.Height > 24 {
		t.Fatalf("a 90-char URL renders %dx%d; it must fit 80x24", c.Width, c.Height)
	}
}

func BenchmarkRender200(b *testing.B) {
	url := "https://example.com/" + strings.Repeat("x", 180)
	for i := 0; i < b.N; i++ {
		if _, err := render(url); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender200Cached(b *testing.B) {
	url := "https://example.com/" + strings.Repeat("y", 180)
	for i := 0; i < b.N; i++ {
		if _, err := Render(url); err != nil {
			b.Fatal(err)
		}
	}
}
