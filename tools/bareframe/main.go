// Command bareframe is a bare Bubble Tea program (alt screen, one line):
// scripts/firstframe.py measures kycdesk's first frame against it, in
// the same run, through the same pty. It draws at the console's frame
// rate (120 fps): at Bubble Tea's default 60 the first frame waits for a
// longer tick, and the comparison would flatter the console.
package main

import (
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
)

type model struct{}

func (model) Init() tea.Cmd { return nil }
func (model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(tea.KeyMsg); ok {
		return model{}, tea.Quit
	}
	return model{}, nil
}
func (model) View() string { return "Start a verification session" }

func main() {
	if _, err := tea.NewProgram(model{}, tea.WithAltScreen(), tea.WithFPS(120)).Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
