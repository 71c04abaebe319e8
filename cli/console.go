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

	"github.com/kycdesk/kycdesk/providers"
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
	// the first frame sooner. Home is drawn as soon as the configuration
	// is read (ui.Preview), so the first frame does not wait for them
	// either: on a busy machine they missed the first tick. What opening
	// says (notes) is printed when the console ends, where it was seen
	// before: the screen is Bubble Tea's.
	var (
		a       *app
		openErr error
		notes   bytes.Buffer
		opened  = make(chan struct{})
		steps   = make(chan tea.Msg, 2) // a previewMsg, then an openedMsg
	)
	go func() {
		defer close(opened)
		quiet := *io
		quiet.Err = &notes
		loaded, err := loadApp(&quiet, *live)
		if err != nil {
			openErr = err
			steps <- openedMsg{err: err}
			return
		}
		// The store opens while the preview is drawn here, at
		// the window's size: the program's loop only takes it.
		loaded.startStore(*store)
		preview := ui.NewPreview(&ui.Context{Desk: loaded.previewDesk()})
		if w, h := io.windowSize(); w > 0 && h > 0 {
			preview.Resize(w, h)
			preview.View()
		}
		steps <- previewMsg{preview, loaded.mode}
		if openErr = loaded.open(true); openErr != nil {
			steps <- openedMsg{err: openErr}
			return
		}
		a = loaded
		// Sessions launched here keep being followed after the operator
		// leaves their screen, until the console ends (a.close).
		a.desk.StartFollowing(context.Background())
		steps <- openedMsg{m: ui.New(a.uiContext(io))}
	}()
	// 120 fps: the first frame (and every key) reaches the screen sooner.
	p := tea.NewProgram(&opening{next: func() tea.Msg { return <-steps }}, tea.WithAltScreen(), tea.WithFPS(120))
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

// opening is the console until it is open (see cmdConsole): next gives
// what opening brings, in order — home's preview once the configuration
// is read (previewMsg), then the console or why there is none
// (openedMsg). Meanwhile it draws the preview (nothing before it), keeps
// the messages that arrive (the window's size, an early key) and hands
// them, in order, to the console once it is there.
type opening struct {
	next    func() tea.Msg
	preview *ui.Preview
	mode    providers.Mode // the preview's ("": not known yet)
	w, h    int            // the window, for a preview that comes after its size
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

// openingNoteAfter is how long opening goes without a word (the console
// is there in a few ms when the store and the sandbox answer).
const openingNoteAfter = 300 * time.Millisecond

// openingNote is what a slow opening says; live, no sandbox is opened.
const (
	openingNote     = "Opening the session store and the sandbox… (ctrl+c quits)"
	openingNoteLive = "Opening the session store… (ctrl+c quits)"
)

type slowOpeningMsg struct{}

// previewMsg is home before the console is open, and its mode.
type previewMsg struct {
	p    *ui.Preview
	mode providers.Mode
}

// openedMsg is the console, or why it could not open.
type openedMsg struct {
	m   tea.Model
	err error
}

func (o *opening) Init() tea.Cmd { return o.next }

func (o *opening) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case slowOpeningMsg:
		o.slow = true
		if o.preview != nil {
			o.preview.Note(o.note())
		}
		return o, nil
	case previewMsg:
		o.preview, o.mode = msg.p, msg.mode
		if o.w > 0 {
			o.preview.Resize(o.w, o.h)
		}
		if o.slow {
			o.preview.Note(o.note())
		}
		return o, o.next
	case tea.WindowSizeMsg:
		o.w, o.h = msg.Width, msg.Height
		if o.preview != nil {
			o.preview.Resize(o.w, o.h)
		}
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

// note is what a slow opening says.
func (o *opening) note() string {
	if o.mode == providers.ModeLive {
		return openingNoteLive
	}
	return openingNote
}

func (o *opening) View() string {
	switch {
	case o.preview != nil:
		return o.preview.View()
	case o.slow:
		return o.note()
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
