package qr

import (
	"strings"
	"testing"
)

func TestRenderForcesColours(t *testing.T) {
	c, err := Render("https://example.com/a")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Styled, colorOn) {
		t.Fatal("colours are not forced")
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

func TestScaleToFit(t *testing.T) {
	c, err := Render("https://ivs.idenfy.com/api/v2/redirect?authToken=" + strings.Repeat("A", 40))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ w, h, want int }{
		{c.Width, c.Height, 1},                  // only room for one cell per module
		{c.Width*2 - 1, c.Height * 2, 1},        // one column short of 2×
		{c.Width * 2, c.Height * 2, 2},          // 2×
		{c.Width * 3, c.Height * 2, 2},          // wide but not tall enough for 3×
		{c.Width * 10, c.Height * 10, MaxScale}, // capped
		{0, 0, 1},                               // never below 1
	} {
		if got := ScaleToFit(c, tc.w, tc.h); got != tc.want {
			t.Errorf("ScaleToFit(%d×%d) = %d, want %d", tc.w, tc.h, got, tc.want)
		}
	}
	s2, _ := RenderScaled(c.Text, 2)
	if s2.Width != 2*c.Width || s2.Height > 2*c.Height || s2.Scale != 2 || !strings.Contains(s2.Styled, colorOn) {
		t.Fatalf("2×: %d×%d from %d×%d", s2.Width, s2.Height, c.Width, c.Height)
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

// BenchmarkScale2 is growing a rendered 200-character code to 2×2 cells
// per module (done once per URL and scale, then cached).
func BenchmarkScale2(b *testing.B) {
	base, err := Render("https://example.com/" + strings.Repeat("z", 180))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = scaled(base, 2)
	}
}
