package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/kycdesk/kycdesk/ui/qr"
)

// FuzzFitsWidth: what fitsWidth lets through, lipgloss measures no wider
// (fit then never leaves a line the renderer would crop or wrap).
func FuzzFitsWidth(f *testing.F) {
	code, _ := qr.Render("https://ivs.idenfy.com/api/v2/redirect?authToken=AbCdEf0123456789")
	for _, l := range code.StyledLines() {
		f.Add(l, 80)
	}
	st := lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")).Border(lipgloss.RoundedBorder())
	for _, l := range strings.Split(st.Render("approved ✓ 審査 e\u0301 👩‍💻 \t tab"), "\n") {
		f.Add(l, 10)
		f.Add(l, 40)
	}
	for _, s := range []string{"", "plain ascii line", "\x1b]8;;https://x\x07link\x1b]8;;\x07", "\x1b[31", "\x1b(Bx",
		"全角文字全角文字", "ｱｲｳ half-width", "\u200b\u200d zero", "\x1b]11;?\x1b\\q", strings.Repeat("─", 90)} {
		f.Add(s, 8)
		f.Add(s, 80)
	}
	f.Fuzz(func(t *testing.T, s string, w int) {
		if w < 0 || w > 400 {
			return
		}
		if fitsWidth(s, w) && lipgloss.Width(s) > w {
			t.Fatalf("fitsWidth(%q, %d) but lipgloss.Width = %d", s, w, lipgloss.Width(s))
		}
	})
}

// TestFitsWidthTellsTheCommonLines: the lines a screen is made of (styled
// text, a border, a QR) are told without measuring.
func TestFitsWidthTellsTheCommonLines(t *testing.T) {
	code, _ := qr.Render("https://ivs.idenfy.com/api/v2/redirect?authToken=AbCdEf0123456789")
	st := lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")).Border(lipgloss.RoundedBorder())
	lines := append(code.StyledLines(), strings.Split(st.Render("session k7f3qa09 · pending"), "\n")...)
	for _, l := range lines {
		if !fitsWidth(l, lipgloss.Width(l)) {
			t.Errorf("fitsWidth(%q, its own width %d) = false", l, lipgloss.Width(l))
		}
	}
}
