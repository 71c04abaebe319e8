package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"
)

// Desk is who is on the other end of one SSH session, handed to the
// console factory.
type Desk struct {
	Operator string // the operators file comment for the key that logged in
	// Supervisor: the operator is one of [serve.roles] supervisors (sees
	// every desk's sessions); otherwise only their own desk's.
	Supervisor  bool
	Name        string // the SSH user name: the desk (desk-12)
	Fingerprint string // SHA256:… of the operator's key
	RemoteAddr  string
	Term        string // the client's TERM
	// Width and Height are the client's window at connect; resizes arrive
	// as tea.WindowSizeMsg.
	Width, Height int
	// Renderer draws for the client's terminal (its colour profile and
	// background), not the server's: build every lipgloss style from it.
	Renderer *lipgloss.Renderer
	// Context ends when the SSH session does.
	Context context.Context
	// Clipboard asks the desk's terminal to put text on its clipboard
	// (OSC 52 written to the session), as the local console asks its own.
	Clipboard func(text string) error
}

// ConsoleFactory builds the console for one desk. The returned options
// may set e.g. tea.WithFPS; input, output, signal handling and drawing are
// the server's (a desk's console has the whole screen: the alternate
// screen). An error is shown to the desk as one line and the session ends.
type ConsoleFactory func(d Desk) (tea.Model, []tea.ProgramOption, error)

// ShuttingDownMsg reaches every desk's program when the server starts to
// stop; the server's own frame shows it above the console.
type ShuttingDownMsg struct{ Deadline time.Time }

// deskNameRE is what an SSH user name must look like to name a desk.
var deskNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`) })

type endReason int

const (
	endNormal endReason = iota
	endIdle
	endShutdown
	endRevoked
)

// endWords name the reasons in the log.
var endWords = [...]string{"quit", "idle", "shutdown", "revoked"}

// deskConn is one connected desk: its program and why it ended.
type deskConn struct {
	desk      Desk
	key       string       // the operator key's wire encoding
	sess      ssh.Session  // closed if the console does not end when told
	lastInput atomic.Int64 // unix nanos of the last byte from the desk

	mu      sync.Mutex
	program *tea.Program
	screen  *screen // draws the program's frames
	reason  endReason
	ended   bool
}

// setProgram attaches the program, unless the desk was already told to end.
func (d *deskConn) setProgram(p *tea.Program) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ended {
		return false
	}
	d.program = p
	return true
}

// end asks the desk's program to quit; the first reason wins.
func (d *deskConn) end(r endReason) {
	d.mu.Lock()
	if !d.ended {
		d.ended, d.reason = true, r
	}
	p := d.program
	d.mu.Unlock()
	if p != nil {
		go p.Quit()
	}
}

func (d *deskConn) endReason() endReason {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reason
}

// send delivers msg without blocking the caller (Program.Send waits for
// the program's loop).
func (d *deskConn) send(msg tea.Msg) {
	d.mu.Lock()
	p := d.program
	d.mu.Unlock()
	if p != nil {
		go p.Send(msg)
	}
}

// inputReader notes when the desk last sent a byte, for the idle timeout.
type inputReader struct {
	r io.Reader
	d *deskConn
}

func (in inputReader) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	if n > 0 {
		in.d.lastInput.Store(time.Now().UnixNano())
	}
	return n, err
}

// newSSHServer builds the wish server: public-key auth against the
// operators file only (no password, no keyboard-interactive), one console
// per session.
func (s *Server) newSSHServer() (*ssh.Server, error) {
	srv, err := wish.NewServer(
		func(srv *ssh.Server) error { srv.AddHostKey(s.hostKey); return nil },
		wish.WithVersion("kycdesk"),
		ssh.PublicKeyAuth(s.authorize),
		wish.WithMiddleware(func(ssh.Handler) ssh.Handler { return s.handleSession }),
	)
	if err != nil {
		return nil, err
	}
	// A backstop for dead connections: the desk's own idle timer (which
	// counts keys, not traffic, because a countdown on screen is traffic)
	// ends sessions first.
	srv.IdleTimeout = s.cfg.IdleTimeout + time.Minute
	srv.ConnCallback = keepGuard
	return srv, nil
}

// authorize is the handshake's public-key check.
func (s *Server) authorize(ctx ssh.Context, key ssh.PublicKey) bool {
	if _, ok := s.ops.lookup(key); ok {
		if gc := guardOf(ctx); gc != nil {
			gc.authenticated()
		}
		return true
	}
	s.metrics.keyRefused()
	fp := gossh.FingerprintSHA256(key)
	if log, suppressed := s.ops.refuse.note(fp, time.Now()); log {
		s.log.Warn("ssh key refused: not in the operators file",
			"fingerprint", fp, "type", key.Type(), "user", cleanForLog(ctx.User()),
			"remote", ctx.RemoteAddr().String(), "refusals_not_logged", suppressed)
	}
	return false
}

// cleanForLog caps network text for a log line (the slog handler quotes
// and escapes it).
func cleanForLog(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// handleSession runs one desk: admission, the console program, and the
// line that says why it ended.
func (s *Server) handleSession(sess ssh.Session) {
	ptyReq, _, hasPty := sess.Pty()
	switch {
	case !hasPty:
		refuse(sess, "kycdesk: the console needs a terminal; connect with: ssh -t "+portFlag(sess.LocalAddr())+safeUser(sess.User())+"@HOST")
		return
	case len(sess.Command()) > 0 || sess.Subsystem() != "":
		refuse(sess, "kycdesk: this server only serves the console; connect without a command")
		return
	case !deskNameRE().MatchString(sess.User()):
		refuse(sess, "kycdesk: the SSH user names the desk: letters, digits, '.', '_' or '-', up to 32 (e.g. ssh desk-12@HOST)")
		return
	}
	d := &deskConn{}
	operator, ok := s.ops.lookup(sess.PublicKey())
	if !ok { // removed from the operators file since the handshake
		refuse(sess, "kycdesk: this key is no longer an operator's")
		return
	}
	start := time.Now()
	in := newDeskInput(sess)
	defer in.close()
	d.key, d.sess = string(sess.PublicKey().Marshal()), sess
	d.desk = Desk{
		Operator:    operator,
		Supervisor:  s.supervisor(operator),
		Name:        sess.User(),
		Fingerprint: gossh.FingerprintSHA256(sess.PublicKey()),
		RemoteAddr:  sess.RemoteAddr().String(),
		Term:        ptyReq.Term,
		Width:       ptyReq.Window.Width,
		Height:      ptyReq.Window.Height,
		// Asks the client's terminal for its background: one round trip,
		// bounded (a terminal that never answers costs terminalQueryTimeout).
		Renderer: deskRenderer(sess, ptyReq.Term, in),
		Context:  sess.Context(),
		Clipboard: func(text string) error {
			_, err := osc52.New(text).WriteTo(sess)
			return err
		},
	}
	s.metrics.sessionStage("terminal_query", time.Since(start))
	d.lastInput.Store(time.Now().UnixNano())
	// Added before the key is checked again: a reload between the two
	// either finds the desk or is seen by the check.
	if !s.addDesk(d) {
		refuse(sess, "kycdesk: the server is shutting down; try again in a minute")
		return
	}
	defer s.removeDesk(d)
	if now, ok := s.ops.lookup(sess.PublicKey()); !ok || now != operator {
		refuse(sess, "kycdesk: this key is no longer an operator's")
		return
	}
	s.log.Info("desk connected", "operator", operator, "desk", d.desk.Name, "fingerprint", d.desk.Fingerprint, "remote", d.desk.RemoteAddr)
	// The idle timer runs from now, whether or not the console starts.
	stopIdle := make(chan struct{})
	go s.watchIdle(d, stopIdle)

	var startErr error
	run := bubbletea.MiddlewareWithProgramHandler(func(sess ssh.Session) *tea.Program {
		p, err := s.newProgram(d, sess, in, start)
		if err != nil {
			startErr = err
			return nil
		}
		if !d.setProgram(p) {
			return nil
		}
		return p
	}, termenv.Ascii)
	run(func(ssh.Session) {})(sess)
	close(stopIdle)
	if d.screen != nil {
		d.screen.close()
	}

	code, line := 0, ""
	switch {
	case startErr != nil:
		code, line = 1, "kycdesk: the console could not start: "+redact(startErr.Error())
	case d.endReason() == endIdle:
		line = fmt.Sprintf("kycdesk: no key pressed for %s; session closed.", s.cfg.IdleTimeout)
	case d.endReason() == endShutdown:
		line = "kycdesk: the server is shutting down; reconnect in a minute."
	case d.endReason() == endRevoked:
		line = "kycdesk: your operator key was removed or changed in the operators file; session closed."
	}
	if line != "" {
		_, _ = io.WriteString(sess, line+"\r\n")
	}
	_ = sess.Exit(code)
	s.log.Info("desk disconnected", "operator", operator, "desk", d.desk.Name, "remote", d.desk.RemoteAddr, "why", endWords[d.endReason()])
}

// revoke ends the sessions of desks whose key set no longer lists, or
// lists under another name: a removed operator leaves at once, not at the
// next idle timeout.
func (s *Server) revoke(set *operatorSet) {
	for _, d := range s.deskList() {
		if name, ok := set.byKey[d.key]; ok && name == d.desk.Operator {
			continue
		}
		s.log.Warn("operator's key removed: ending their session", "operator", d.desk.Operator, "desk", d.desk.Name, "fingerprint", d.desk.Fingerprint)
		d.end(endRevoked)
		if s.onRevoke != nil {
			go s.onRevoke(d.desk)
		}
		// A console that does not quit (busy in an update) loses its
		// connection instead.
		go func() {
			select {
			case <-d.desk.Context.Done():
			case <-time.After(revokeGrace):
				s.log.Warn("closing the connection of a revoked desk whose console did not end", "desk", d.desk.Name)
				_ = d.sess.Close()
			}
		}()
	}
}

// revokeGrace is how long a revoked desk's console has to end before its
// connection is closed (the promise is 2 s from the reload).
const revokeGrace = 1500 * time.Millisecond

func safeUser(u string) string {
	if deskNameRE().MatchString(u) {
		return u
	}
	return "desk-1"
}

// refuse ends a session with one line.
func refuse(sess ssh.Session, line string) {
	_, _ = io.WriteString(sess, line+"\r\n")
	_ = sess.Exit(1)
}

// newProgram builds the desk's console: the factory's model inside the server's frame, session input and output.
func (s *Server) newProgram(d *deskConn, sess ssh.Session, in io.Reader, start time.Time) (*tea.Program, error) {
	model, opts, err := s.console(d.desk)
	if err != nil {
		return nil, err
	}
	if model == nil {
		return nil, fmt.Errorf("no console for this desk")
	}
	s.metrics.sessionStage("console", time.Since(start))
	frame := &deskFrame{inner: model, renderer: d.desk.Renderer, width: d.desk.Width, height: d.desk.Height}
	out := &firstFrameWriter{w: sess, frame: frame, start: start, observe: s.metrics.sessionStage}
	frame.screen = newScreen(out, d.desk.Width, d.desk.Height)
	d.screen = frame.screen
	opts = append(opts,
		tea.WithInput(inputReader{r: in, d: d}),
		tea.WithOutput(out),
		// The server's screen draws the frames (the alternate screen,
		// whatever the factory's options), not Bubble Tea's renderer.
		tea.WithoutRenderer(),
		// The process's SIGINT/SIGTERM belong to Run's shutdown, not to
		// each desk's program.
		tea.WithoutSignalHandler(),
	)
	return tea.NewProgram(frame, opts...), nil
}

// firstFrameWriter is a desk's program output: it notes when the first
// frame with content (the first write after a non-empty View; the program
// writes its terminal set-up before) reaches the session.
type firstFrameWriter struct {
	w       io.Writer
	frame   *deskFrame
	start   time.Time
	observe func(stage string, d time.Duration)
	done    atomic.Bool
}

func (f *firstFrameWriter) Write(p []byte) (int, error) {
	drawn := !f.done.Load() && f.frame.drawn.Load()
	n, err := f.w.Write(p)
	if drawn && f.done.CompareAndSwap(false, true) {
		f.observe("first_frame", time.Since(f.start))
	}
	return n, err
}

// watchIdle ends the desk's program once no key has come for IdleTimeout.
func (s *Server) watchIdle(d *deskConn, stop <-chan struct{}) {
	t := time.NewTimer(s.cfg.IdleTimeout)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			idle := time.Since(time.Unix(0, d.lastInput.Load()))
			if idle >= s.cfg.IdleTimeout {
				d.end(endIdle)
				return
			}
			t.Reset(s.cfg.IdleTimeout - idle)
		}
	}
}

// deskFrame wraps a desk's console: when the server is stopping it takes
// the top line for a notice and gives the console one line less, so any
// console shows it without knowing it runs over SSH.
type deskFrame struct {
	inner         tea.Model
	renderer      *lipgloss.Renderer
	notice        string
	width, height int
	// drawn: View has returned a frame with content.
	drawn  atomic.Bool
	screen *screen
}

func (f *deskFrame) Init() tea.Cmd { return f.inner.Init() }

func (f *deskFrame) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		f.width, f.height = msg.Width, msg.Height
		if f.screen != nil {
			f.screen.resize(msg.Width, msg.Height)
		}
		return f.forward(f.innerSize())
	case ShuttingDownMsg:
		f.notice = "The server is stopping: this session ends in a few seconds."
		return f.forward(f.innerSize())
	}
	return f.forward(msg)
}

func (f *deskFrame) innerSize() tea.WindowSizeMsg {
	h := f.height
	if f.notice != "" && h > 1 {
		h--
	}
	return tea.WindowSizeMsg{Width: f.width, Height: h}
}

func (f *deskFrame) forward(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	consoleWork.hold()
	defer consoleWork.done()
	f.inner, cmd = f.inner.Update(msg)
	return f, cmd
}

// View is the frame; the program has no renderer of its own: the screen
// draws it.
func (f *deskFrame) View() string {
	v := f.view()
	if f.screen != nil {
		f.screen.show(v)
	}
	return v
}

func (f *deskFrame) view() string {
	v := f.innerView()
	if v != "" && !f.drawn.Load() {
		f.drawn.Store(true)
	}
	if f.notice == "" {
		return v
	}
	notice := f.notice
	if f.width > 0 && len(notice) > f.width {
		notice = notice[:f.width]
	}
	return f.renderer.NewStyle().Reverse(true).Render(notice) + "\n" + strings.TrimPrefix(v, "\n")
}

func (f *deskFrame) innerView() string {
	consoleWork.hold()
	defer consoleWork.done()
	return f.inner.View()
}

// portFlag is "-p PORT " for the port this desk connected to, so that the
// command the refusal suggests works as typed; "" on ssh's own port 22.
func portFlag(local net.Addr) string {
	if local == nil {
		return ""
	}
	_, port, err := net.SplitHostPort(local.String())
	if err != nil || port == "" || port == "22" {
		return ""
	}
	return "-p " + port + " "
}
