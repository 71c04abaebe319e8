package termstyle

import (
	"io"
	"strconv"
	"testing"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func renderer(p termenv.Profile, dark bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(p)
	r.SetHasDarkBackground(dark)
	return r
}

// A bound style draws exactly what the unbound one draws on that
// terminal, for every profile and background, with its colours resolved.
func TestBindDrawsTheSame(t *testing.T) {
	for _, p := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
		for _, dark := range []bool{true, false} {
			r := renderer(p, dark)
			s := r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#909090", Dark: "#626262"}).
				Background(lipgloss.Color("#F25D94")).Border(lipgloss.RoundedBorder()).
				BorderForeground(lipgloss.Color("240")).BorderBackground(lipgloss.Color("4")).Bold(true)
			want := s.Render("text")
			b := Bind(s, r)
			if got := b.Render("text"); got != want {
				t.Errorf("profile %v dark %v: bound %q, want %q", p, dark, got, want)
			}
			if p == termenv.ANSI256 {
				if _, hex := b.GetForeground().(lipgloss.AdaptiveColor); hex {
					t.Errorf("the adaptive colour was not resolved: %#v", b.GetForeground())
				}
				if c := b.GetBackground(); c != lipgloss.Color("204") {
					t.Errorf("#F25D94 on 256 colours resolved to %#v", c)
				}
			}
			if b.GetUnderline() || !b.GetBold() {
				t.Error("Bind changed a property that is not a colour")
			}
		}
	}
}

// BindAll reaches styles in nested structs; unset colours stay unset.
func TestBindAll(t *testing.T) {
	r := renderer(termenv.ANSI256, true)
	v := struct {
		Plain lipgloss.Style
		Help  help.Styles
		Note  string
	}{Plain: lipgloss.NewStyle(), Help: help.Styles{ShortKey: lipgloss.NewStyle().Foreground(lipgloss.Color("#909090"))}, Note: "x"}
	BindAll(&v, r)
	want := lipgloss.Color(strconv.Itoa(int(termenv.ANSI256.Color("#909090").(termenv.ANSI256Color))))
	if v.Help.ShortKey.GetForeground() != want {
		t.Errorf("nested style: %#v", v.Help.ShortKey.GetForeground())
	}
	if _, none := v.Plain.GetForeground().(lipgloss.NoColor); !none {
		t.Errorf("an unset colour was set: %#v", v.Plain.GetForeground())
	}
}
