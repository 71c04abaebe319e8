package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kycdesk/kycdesk/internal/termstyle"
	"github.com/kycdesk/kycdesk/ui/qr"
)

// styles are built once per console from its renderer: the local
// terminal's (lipgloss's default renderer), or a served desk's, so colours
// follow the terminal the operator looks at. With NO_COLOR (or a terminal
// without colours) the profile is Ascii and they degrade to plain text.
type styles struct {
	Banner, BannerLive, Title, Subtle, Error, Warn, OK, Key, Selected, Disabled, Box, Code lipgloss.Style
	// Help draws the footer's key help.
	Help help.Styles
	// Spinner draws the launching spinner.
	Spinner lipgloss.Style
	// QR are the sequences drawn around each line of a QR code.
	QR qr.Colors
}

func newStyles(r *lipgloss.Renderer) styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	subtle := r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "243", Dark: "246"})
	// The footer's colours are bubbles/help's own, drawn for this terminal.
	helpKey := r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#909090", Dark: "#626262"})
	helpDesc := r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#B2B2B2", Dark: "#4A4A4A"})
	helpSep := r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#DDDADA", Dark: "#3C3C3C"})
	st := styles{
		Banner:     r.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("11")).Padding(0, 1),
		BannerLive: r.NewStyle().Bold(true).Foreground(lipgloss.Color("15")).Background(lipgloss.Color("1")).Padding(0, 1),
		Title:      r.NewStyle().Bold(true),
		Subtle:     subtle,
		Error:      r.NewStyle().Foreground(lipgloss.Color("9")).Bold(true),
		Warn:       r.NewStyle().Foreground(lipgloss.Color("214")),
		OK:         r.NewStyle().Foreground(lipgloss.Color("10")).Bold(true),
		Key:        r.NewStyle().Bold(true),
		Selected:   r.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		Disabled:   r.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "250", Dark: "240"}),
		Box:        r.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1),
		Code:       r.NewStyle(),
		Help: help.Styles{ShortKey: helpKey, ShortDesc: helpDesc, ShortSeparator: helpSep, Ellipsis: helpSep,
			FullKey: helpKey, FullDesc: helpDesc, FullSeparator: helpSep},
		Spinner: r.NewStyle(),
		QR:      qrColors(r),
	}
	termstyle.BindAll(&st, r) // colours resolved once for this terminal, not per render
	return st
}

// qrColors are the QR's light-on-dark sequences for r's terminal: bright
// white modules on a black background, drawn the way r draws colours. A
// terminal without colours (Ascii) still gets the 16-colour pair, as a
// QR must be dark on light whatever the theme to scan (DESIGN: forced
// black on white).
func qrColors(r *lipgloss.Renderer) qr.Colors {
	if r.ColorProfile() == termenv.Ascii {
		return qr.ForcedColors
	}
	const mark = "\x00"
	s := r.NewStyle().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("0")).Render(mark)
	on, off, ok := strings.Cut(s, mark)
	if !ok || on == "" {
		return qr.ForcedColors
	}
	return qr.Colors{On: on, Off: off}
}
