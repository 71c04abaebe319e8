package forms

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/kycdesk/kycdesk/internal/teabench"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// keystroke is a typed letter: what an operator's key costs is huh's Update
// plus the View that message makes the console draw.
var keystroke = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'a'}}

// formModel is a Form as the tea.Model a program holds.
type formModel struct{ f *Form }

func (m formModel) Init() tea.Cmd                           { return m.f.Init() }
func (m formModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) { return m, m.f.Update(msg) }
func (m formModel) View() string                            { return m.f.View() }

// BenchmarkFormKeystroke measures a key in iDenfy's form at 120×40 as a
// program handles it (teabench.Press: Update, the commands it returns and
// the messages they bring, a View after each; budget ≤ 0.5 ms, ≤ 0.5 MB),
// and a bare huh form with one input and a fixed theme (built once, as
// the console's) the same way in the same run: a form keystroke should
// cost no more than the bare form's.
func BenchmarkFormKeystroke(b *testing.B) {
	b.Run("kycdesk", func(b *testing.B) {
		f := New("iDenfy", idenfy.Spec(), nil, false)
		f.SetSize(120, 40)
		f.Init()
		p := teabench.New(b, formModel{f})
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%64 == 63 { // keep the field within its length limit
				p.Press(tea.KeyMsg{Type: tea.KeyCtrlU})
			}
			p.Press(keystroke)
		}
		p.Finish()
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
		p := teabench.New(b, formModel{f})
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			p.Press(keys[i%2])
		}
		p.Finish()
	})
	b.Run("bare-huh", func(b *testing.B) {
		var s string
		theme := huh.ThemeCharm()
		in := huh.NewInput().Title("Client ID").Value(&s)
		in.WithTheme(theme)
		var m tea.Model = huh.NewForm(huh.NewGroup(in).WithTheme(theme)).WithTheme(theme).
			WithWidth(120).WithHeight(40)
		m.Init()
		p := teabench.New(b, m)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if i%64 == 63 {
				p.Press(tea.KeyMsg{Type: tea.KeyCtrlU})
			}
			p.Press(keystroke)
		}
		p.Finish()
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
