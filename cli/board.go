package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/ui"
)

// cmdBoard is the supervisors' board in a terminal on the server: the
// console opened on the board, over the store the server uses. It knows
// the store's figures and the sessions needing attention; the desks
// connected to a running kycdesk serve are on the board of a supervisor's
// desk (b at home).
func cmdBoard(args []string, io *IO) error {
	fs := flag.NewFlagSet("board", flag.ContinueOnError)
	live := fs.Bool("live", false, "the console behind the board sends to the providers' live endpoints")
	store := storeFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usage(false, "ARGS", fmt.Sprintf("unexpected argument %q: kycdesk board takes only flags", providers.SanitizeLine(pos[0])))
	}
	a, err := openApp(io, *live, true, *store)
	if err != nil {
		fmt.Fprintln(io.Err, "kycdesk:", err)
		return exitCode(exitOther)
	}
	defer a.close()
	a.desk.StartFollowing(context.Background())
	if io.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	p := tea.NewProgram(ui.NewBoard(a.uiContext(io)), tea.WithAltScreen(), tea.WithFPS(120))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrInterrupted) {
		fmt.Fprintln(io.Err, "kycdesk:", err)
		return exitCode(exitOther)
	}
	return nil
}
