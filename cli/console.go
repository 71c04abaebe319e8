package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os/exec"
	"runtime"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/aymanbagabas/go-osc52/v2"

	"github.com/kycdesk/kycdesk/ui"
)

func cmdConsole(args []string, io *IO) error {
	fs := flag.NewFlagSet("kycdesk", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	live := fs.Bool("live", false, "send requests to the providers' live endpoints")
	accessible := fs.Bool("accessible", false, "use huh's accessible mode for forms")
	store := storeFlag(fs)
	fs.Usage = func() { fmt.Fprint(io.Err, usageText) }
	if wantsHelp(args) {
		return helpRequested{fs}
	}
	if err := fs.Parse(args); err != nil {
		return exitCode(exitInvalid)
	}
	if *accessible || io.Getenv("TERM") == "dumb" {
		a, err := openApp(io, *live, true, *store)
		if err != nil {
			fmt.Fprintln(io.Err, "kycdesk:", err)
			return exitCode(exitOther)
		}
		defer a.close()
		a.desk.StartFollowing(context.Background())
		return runAccessible(a, io)
	}

	// The background is asked once, before Bubble Tea owns the terminal:
	// bubbletea's package init asks it (tea_init.go) and lipgloss keeps
	// the answer, which every style here reads; asking again would cost a
	// second round trip to the terminal (issue 12, Speed).
	if io.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}

	// The store and the sandbox open while Bubble Tea starts: its first
	// frame waits for the renderer's first tick (8 ms at 120 fps) whatever
	// the model, so opening them in that wait rather than before it brings
	// the first frame sooner. What opening says (notes) is printed when the
	// console ends, where it was seen before: the screen is Bubble Tea's.
	var (
		a       *app
		openErr error
		notes   bytes.Buffer
		opened  = make(chan struct{})
	)
	go func() {
		defer close(opened)
		quiet := *io
		quiet.Err = &notes
		if a, openErr = openApp(&quiet, *live, true, *store); openErr == nil {
			// Sessions launched here keep being followed after the operator
			// leaves their screen, until the console ends (a.close).
			a.desk.StartFollowing(context.Background())
		}
	}()
	start := func() (tea.Model, error) {
		<-opened
		if openErr != nil {
			return nil, openErr
		}
		return ui.New(a.uiContext(io)), nil
	}
	// 120 fps: the first frame (and every key) reaches the screen sooner.
	p := tea.NewProgram(&opening{start: start}, tea.WithAltScreen(), tea.WithFPS(120))
	go func() {
		// A store that takes its time (a PostgreSQL server that does not
		// answer) gets a line saying what the console waits for.
		t := time.NewTimer(openingNoteAfter)
		defer t.Stop()
		select {
		case <-opened:
		case <-t.C:
			p.Send(slowOpeningMsg{})
		}
	}()
	final, err := p.Run()
	if o, ok := final.(*opening); ok && (o.quit || err != nil) {
		// ctrl+c (or a signal) before the console was there: the store
		// may still be connecting, which is not waited for; what it
		// opened ends with the process.
		select {
		case <-opened:
			if a != nil {
				a.close()
			}
		default:
		}
		return exitCode(exitInterrupted)
	}
	<-opened
	io.Err.Write(notes.Bytes())
	if a != nil {
		defer a.close()
	}
	if openErr != nil {
		fmt.Fprintln(io.Err, "kycdesk:", openErr)
		return exitCode(exitOther)
	}
	if err != nil && !errors.Is(err, tea.ErrInterrupted) {
		fmt.Fprintln(io.Err, "kycdesk:", err)
		return exitCode(exitOther)
	}
	return nil
}

// opening is the console until start gives it (see cmdConsole): it draws
// nothing, keeps the messages that arrive (the window's size, an early
// key) and hands them, in order, to the console once it is there.
type opening struct {
	start   func() (tea.Model, error)
	waiting []tea.Msg
	// slow: opening has taken openingNoteAfter; a line says so.
	slow bool
	// quit: ctrl+c before the console was there.
	quit bool
}

// openingQuit ends the program while it opens: the console's own keys
// are not there yet, and a store that does not answer must not hold the
// terminal.
var openingQuit = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit"))

// openingNoteAfter is how long opening goes undrawn (the first frame
// comes in a few ms when the store and the sandbox answer).
const openingNoteAfter = 300 * time.Millisecond

type slowOpeningMsg struct{}

type openedMsg struct {
	m   tea.Model
	err error
}

func (o *opening) Init() tea.Cmd {
	return func() tea.Msg {
		m, err := o.start()
		return openedMsg{m, err}
	}
}

func (o *opening) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case slowOpeningMsg:
		o.slow = true
		return o, nil
	case tea.KeyMsg:
		if key.Matches(msg, openingQuit) {
			o.quit = true
			return o, tea.Quit
		}
	}
	opened, ok := msg.(openedMsg)
	if !ok {
		o.waiting = append(o.waiting, msg)
		return o, nil
	}
	if opened.err != nil {
		return o, tea.Quit
	}
	m := opened.m
	cmds := []tea.Cmd{m.Init()}
	for _, w := range o.waiting {
		var cmd tea.Cmd
		m, cmd = m.Update(w)
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

func (o *opening) View() string {
	if o.slow {
		return "Opening the session store and the sandbox… (ctrl+c quits)"
	}
	return ""
}

// uiContext is what the console's screens (the desk and the board) are
// given in a terminal of this process.
func (a *app) uiContext(io *IO) *ui.Context {
	return &ui.Context{
		Desk:       a.desk,
		SandboxMsg: shortSandboxNote(a),
		Copy:       func(s string) error { return copyOSC52(io, s) },
		Open:       openBrowser,
	}
}

func shortSandboxNote(a *app) string {
	note := ""
	if a.inProcess != nil {
		note = "in-process: URLs live while this console runs"
	}
	if a.receiverNote != "" {
		if note != "" {
			note += "; "
		}
		note += a.receiverNote
	}
	return note
}

// copyOSC52 asks the terminal the operator sits at (even over SSH) to put
// text on its clipboard, with an OSC 52 sequence written to the terminal
// itself (/dev/tty: stdout belongs to the renderer, stderr may be
// redirected). tmux takes a plain OSC 52 when set-clipboard is on (its
// default, "external", passes it on); the passthrough wrapping would need
// allow-passthrough, off by default. Whether the terminal honours it
// cannot be known, so the console says it asked, not that it copied.
func copyOSC52(io *IO, s string) error {
	if io.TTY == nil {
		return errors.New("no terminal to ask")
	}
	tty, err := io.TTY()
	if err != nil {
		return fmt.Errorf("no terminal to ask: %w", err)
	}
	defer tty.Close()
	seq := osc52.New(s)
	if io.Getenv("STY") != "" {
		seq = seq.Screen()
	}
	_, err = seq.WriteTo(tty)
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
