package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/aymanbagabas/go-osc52/v2"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/ui"
)

func cmdConsole(args []string, io *IO) int {
	fs := flag.NewFlagSet("kycdesk", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	live := fs.Bool("live", false, "send requests to the providers' live endpoints")
	accessible := fs.Bool("accessible", false, "use huh's accessible mode for forms")
	fs.Usage = func() { fmt.Fprint(io.Err, usage) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	a, err := newApp(io, *live)
	if err != nil {
		fmt.Fprintln(io.Err, "kycdesk:", err)
		return 1
	}
	defer a.close()
	if *accessible || os.Getenv("TERM") == "dumb" {
		return runAccessible(a, io)
	}

	// Detect the background before Bubble Tea owns the terminal: asked
	// later, the reply would leak into the input (lipgloss#73).
	if os.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	} else {
		lipgloss.SetHasDarkBackground(termenv.HasDarkBackground())
	}

	ctx := &ui.Context{
		Entries:    a.entries(),
		Mode:       a.mode,
		Endpoint:   a.sandboxURL,
		SandboxMsg: shortSandboxNote(a),
		Recorder:   ui.NewJournalRecorder(a.journal, a.mode, a.reg),
		Copy:       copyOSC52,
		Open:       openBrowser,
		SavePreset: config.SavePreset,
		LoadPreset: config.LoadPreset,
	}
	// 120 fps: the first frame (and every key) reaches the screen sooner.
	p := tea.NewProgram(ui.New(ctx), tea.WithAltScreen(), tea.WithFPS(120))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrInterrupted) {
		fmt.Fprintln(io.Err, "kycdesk:", err)
		return 1
	}
	return 0
}

func shortSandboxNote(a *app) string {
	if a.inProcess != nil {
		return "in-process: URLs live while this console runs"
	}
	return ""
}

// copyOSC52 puts text on the clipboard of the terminal the operator sits
// at, even over SSH, with an OSC 52 sequence (wrapped for tmux/screen).
func copyOSC52(s string) error {
	seq := osc52.New(s)
	if os.Getenv("TMUX") != "" {
		seq = seq.Tmux()
	} else if os.Getenv("STY") != "" {
		seq = seq.Screen()
	}
	_, err := seq.WriteTo(os.Stderr)
	return err
}

// openBrowser opens url with the desktop's opener.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	cmd.Stdout, cmd.Stderr = nil, nil
	return cmd.Start()
}
