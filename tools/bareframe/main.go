// Command bareframe is a bare Bubble Tea program: scripts/firstframe.py
// measures kycdesk's first frame against it, in the same run, through the
// same pty. It draws at the console's frame rate (120 fps): at Bubble
// Tea's default 60 the first frame waits for a longer tick, and the
// comparison would flatter the console. And it draws a screen like the
// console's home, once it knows the window's size as the console does: a
// banner, a title, a list, a footer of keys, styled with lipgloss (which
// Bubble Tea links anyway), filling the window — a one-line program would
// compare the console with less than a screen. Nothing else: no
// configuration, no store, no sandbox.
package main

import (
	"fmt"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

var (
	title    = lipgloss.NewStyle().Bold(true)
	banner   = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("11")).Padding(0, 1)
	subtle   = lipgloss.NewStyle().Foreground(lipgloss.Color("246"))
	selected = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12"))
)

type model struct{ w, h int }

func (m model) Init() tea.Cmd { return nil }

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.KeyMsg:
		return m, tea.Quit
	}
	return m, nil
}

func (m model) View() string {
	if m.w == 0 || m.h == 0 {
		return ""
	}
	lines := []string{
		title.Render("bareframe") + " " + banner.Render("SANDBOX") + " http://127.0.0.1:8470" + subtle.Render(" · a bare program"),
		title.Render("Start a verification session"),
		"",
	}
	for i, item := range []string{"First item", "Second item", "Third item"} {
		cur := "  "
		name := fmt.Sprintf("%d  %-22s", i+7, item)
		if i == 0 {
			cur, name = selected.Render("▸ "), selected.Render(name)
		}
		lines = append(lines, cur+name+" "+subtle.Render("a line of text that says what this item does, cut to fit"))
	}
	lines = append(lines, "", title.Render("Recent items")+subtle.Render(" (none)"), subtle.Render("none yet"))
	for len(lines) < m.h-1 {
		lines = append(lines, "")
	}
	lines = append(lines, subtle.Render("↑/↓ move · enter open · 7-9 pick · s list · ? help · q quit"))
	for i, l := range lines {
		if lipgloss.Width(l) > m.w {
			l = lipgloss.NewStyle().MaxWidth(m.w).Render(l)
		}
		lines[i] = l
	}
	return strings.Join(lines[:m.h], "\n")
}

func main() {
	if _, err := tea.NewProgram(model{}, tea.WithAltScreen(), tea.WithFPS(120)).Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
