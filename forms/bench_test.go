package forms

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// keystroke is a typed letter: what an operator's key costs is huh's Update
// plus the View that message makes the console draw.
var keystroke = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'a'}}

// BenchmarkFormKeystroke measures Update + View of one typed letter in
// iDenfy's form at 120×40 (the budget: ≤ 0.5 ms, ≤ 0.5 MB), and a bare huh
// form with one input in the same run for comparison.
func BenchmarkFormKeystroke(b *testing.B) {
	b.Run("kycdesk", func(b *testing.B) {
		f := New("iDenfy", idenfy.Spec(), nil, false)
		f.SetSize(120, 40)
		f.Init()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%64 == 63 { // keep the field within its length limit
				f.Update(tea.KeyMsg{Type: tea.KeyCtrlU})
			}
			f.Update(keystroke)
			_ = f.View()
		}
	})
	// The heaviest page: iDenfy's 24 locales, moved through with ↓ and ↑.
	b.Run("kycdesk-dropdown", func(b *testing.B) {
		f := New("iDenfy", idenfy.Spec(), nil, false)
		f.SetSize(120, 40)
		f.Init()
		if !f.Focus("locale") {
			b.Fatal("no locale field")
		}
		keys := []tea.KeyMsg{{Type: tea.KeyDown}, {Type: tea.KeyUp}}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			f.Update(keys[i%2])
			_ = f.View()
		}
	})
	b.Run("bare-huh", func(b *testing.B) {
		var s string
		var m tea.Model = huh.NewForm(huh.NewGroup(huh.NewInput().Title("Client ID").Value(&s))).
			WithWidth(120).WithHeight(40)
		m.Init()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%64 == 63 {
				m, _ = m.Update(tea.KeyMsg{Type: tea.KeyCtrlU})
			}
			m, _ = m.Update(keystroke)
			_ = m.View()
		}
	})
}

// BenchmarkNew measures what opening a provider's form costs a console:
// building iDenfy's form, sizing it to 120×40, and its first View (a
// served desk opens one per launch; issue 14's 50-desk budget).
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f := New("iDenfy", idenfy.Spec(), nil, false)
		f.SetSize(120, 40)
		f.Init()
		_ = f.View()
	}
}
