package ui

import "github.com/charmbracelet/lipgloss"

// styles are built once; with NO_COLOR the renderer's profile is Ascii and
// they degrade to plain text.
type styles struct {
	Banner, BannerLive, Title, Subtle, Error, Warn, OK, Key, Selected, Disabled, Box, Code lipgloss.Style
}

func newStyles() styles {
	return styles{
		Banner:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("11")).Padding(0, 1),
		BannerLive: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("15")).Background(lipgloss.Color("1")).Padding(0, 1),
		Title:      lipgloss.NewStyle().Bold(true),
		Subtle:     lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "243", Dark: "246"}),
		Error:      lipgloss.NewStyle().Foreground(lipgloss.Color("9")).Bold(true),
		Warn:       lipgloss.NewStyle().Foreground(lipgloss.Color("214")),
		OK:         lipgloss.NewStyle().Foreground(lipgloss.Color("10")).Bold(true),
		Key:        lipgloss.NewStyle().Bold(true),
		Selected:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		Disabled:   lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "250", Dark: "240"}),
		Box:        lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1),
		Code:       lipgloss.NewStyle(),
	}
}
