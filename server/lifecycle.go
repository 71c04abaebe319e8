package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// ErrShuttingDown is Track's answer once the server has begun to stop: the
// desk should not start new work.
var ErrShuttingDown = errors.New("the server is shutting down")

// Options are what the caller wires in (as opposed to Config, the settings).
type Options struct {
	// Console builds each desk's console. Required.
	Console ConsoleFactory
	// Metrics, or nil for a new set; the caller shares it with the desk
	// workflow and the callback receiver.
	Metrics *Metrics
	// Logger, or nil for text on stderr.
	Logger *slog.Logger
	// Stdout receives the readiness lines; nil means os.Stdout.
	Stdout io.Writer
	// OnRevoke is told of each desk whose session was ended because its
	// operator's key left the operators file (to record it in the audit).
	OnRevoke func(d Desk)
}

// Server is one `kycdesk serve` process.
type Server struct {
	cfg     Config
	console ConsoleFactory
	metrics *Metrics
	log     *slog.Logger
	stdout  io.Writer
	// onRevoke: Options.OnRevoke.
	onRevoke func(Desk)
	hostKey  gossh.Signer
	ops      *operators
	guard    *connGuard
	mux      *http.ServeMux
	health   healthChecks

	sshSrv *ssh.Server
	// sshServing is set once the SSH server's Serve accepts (its first
	// Accept call), so that Shutdown never races with its start.
	sshServing once
	httpSrv    *http.Server

	ready             chan struct{}
	sshAddr, httpAddr string // set before ready is closed

	mu       sync.Mutex
	desks    map[*deskConn]struct{}
	draining bool
	running  bool
	stopReq  chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	work       sync.WaitGroup
	workCtx    context.Context // cancelled when in-flight work must give up
	workCancel context.CancelFunc
}

// New checks the configuration, loads (or creates) the host key and reads
// the operators file. It does not listen yet; Run does.
func New(cfg Config, opts Options) (*Server, error) {
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Console == nil {
		return nil, errors.New("server: no console factory")
	}
	s := &Server{
		cfg:      cfg,
		console:  opts.Console,
		metrics:  opts.Metrics,
		log:      opts.Logger,
		stdout:   opts.Stdout,
		onRevoke: opts.OnRevoke,
		mux:      http.NewServeMux(),
		ready:    make(chan struct{}),
		desks:    map[*deskConn]struct{}{},
		stopReq:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if s.stdout == nil {
		s.stdout = os.Stdout
	}
	s.workCtx, s.workCancel = context.WithCancel(context.Background())

	var err error
	if s.ops, err = loadOperators(cfg.OperatorsFile, s.log); err != nil {
		return nil, err
	}
	if err := cfg.Roles.check(s.ops.set.Load(), cfg.OperatorsFile); err != nil {
		return nil, err
	}
	s.ops.changed = func(set *operatorSet) {
		s.revoke(set)
		s.checkRolesOnReload(set)
	}
	s.guard = &connGuard{timeout: cfg.HandshakeTimeout, max: cfg.MaxUnauth, perHost: cfg.MaxUnauthPerHost,
		onRefuse: s.connRefused}
	var created bool
	if s.hostKey, created, err = loadOrCreateHostKey(cfg.HostKeyFile); err != nil {
		return nil, err
	}
	fp := gossh.FingerprintSHA256(s.hostKey.PublicKey())
	if created {
		s.log.Info("host key created", "file", cfg.HostKeyFile, "fingerprint", fp)
	} else {
		s.log.Info("host key", "file", cfg.HostKeyFile, "fingerprint", fp)
	}
	if s.sshSrv, err = s.newSSHServer(); err != nil {
		return nil, err
	}
	if s.httpSrv, err = s.newHTTPServer(); err != nil {
		return nil, err
	}
	s.mux.HandleFunc("GET /healthz", s.health.serveHealth)
	s.mux.Handle("GET /metrics", s.metrics.Handler())
	s.AddCheck("ssh", s.listenerCheck("ssh"))
	s.AddCheck("http", s.listenerCheck("http"))
	return s, nil
}

// Config is the effective configuration (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// Metrics is the server's metrics, to hand to the desk workflow and the
// callback receiver.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Handle mounts h on the HTTP listener (the callback receiver at
// /callbacks/…, the sandbox's simulators and customer pages).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// AddCheck adds a line to /healthz (e.g. "store" pinging the database).
func (s *Server) AddCheck(name string, run func(ctx context.Context) error) {
	s.health.add(Check{Name: name, Run: run})
}

func (s *Server) listenerCheck(which string) func(context.Context) error {
	return func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case s.draining:
			return errors.New("shutting down")
		case !s.running:
			return fmt.Errorf("%s listener not started", which)
		}
		return nil
	}
}

// Ready is closed once both listeners are bound and the readiness lines
// are printed.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// SSHAddr and HTTPAddr are the bound addresses, valid after Ready.
func (s *Server) SSHAddr() string  { <-s.ready; return s.sshAddr }
func (s *Server) HTTPAddr() string { <-s.ready; return s.httpAddr }

// CallbackBaseURL is where providers send callbacks (valid after Ready).
func (s *Server) CallbackBaseURL() string { return s.cfg.CallbackBaseURL(s.HTTPAddr()) }

// ReloadOperators re-reads the operators file now (what SIGHUP does).
func (s *Server) ReloadOperators() { s.ops.reload(true) }

// Track registers work that shutdown must wait for (a launch in flight).
// Call done when it has finished or recorded its outcome. The returned
// context is cancelled when the shutdown's grace period is nearly over, so
// the work can still record an unknown outcome before the process exits.
func (s *Server) Track(parent context.Context) (ctx context.Context, done func(), err error) {
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		return nil, nil, ErrShuttingDown
	}
	s.work.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(parent)
	stop := context.AfterFunc(s.workCtx, cancel)
	return ctx, sync.OnceFunc(func() {
		stop()
		cancel()
		s.work.Done()
	}), nil
}

// Broadcast delivers msg to every connected desk's console (e.g. a session
// result from the store's change feed).
func (s *Server) Broadcast(msg tea.Msg) {
	for _, d := range s.deskList() {
		d.send(msg)
	}
}

// Desks lists the connected desks.
func (s *Server) Desks() []Desk {
	var out []Desk
	for _, d := range s.deskList() {
		out = append(out, d.desk)
	}
	return out
}

func (s *Server) deskList() []*deskConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*deskConn, 0, len(s.desks))
	for d := range s.desks {
		out = append(out, d)
	}
	return out
}

func (s *Server) addDesk(d *deskConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.desks[d] = struct{}{}
	s.metrics.deskConnected()
	return true
}

func (s *Server) removeDesk(d *deskConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.desks[d]; ok {
		delete(s.desks, d)
		s.metrics.deskDisconnected()
	}
}

// Run binds both listeners, prints `ssh listening on ADDR` and `http
// listening on ADDR`, and serves until ctx is cancelled (the caller's
// SIGTERM/SIGINT) or Shutdown is called; then it drains and returns nil.
// SIGHUP re-reads the operators file.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running || s.draining {
		s.mu.Unlock()
		return errors.New("server: Run called twice")
	}
	s.running = true
	s.mu.Unlock()
	defer close(s.done)

	// SIGHUP is taken before anyone can know the server is up (its
	// default would end the process).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	sshLn, err := net.Listen("tcp", s.cfg.SSHListen)
	if err != nil {
		return fmt.Errorf("--ssh-listen: %w", err)
	}
	httpLn, err := net.Listen("tcp", s.cfg.HTTPListen)
	if err != nil {
		sshLn.Close()
		return fmt.Errorf("--http-listen: %w", err)
	}
	s.sshAddr, s.httpAddr = sshLn.Addr().String(), httpLn.Addr().String()
	fmt.Fprintf(s.stdout, "ssh listening on %s\n", s.sshAddr)
	fmt.Fprintf(s.stdout, "http listening on %s\n", s.httpAddr)
	close(s.ready)

	failed := make(chan error, 2)
	capped := capListener{httpLn, &connGuard{max: httpMaxConns, perHost: httpMaxConnsPerHost, onRefuse: s.httpRefused}}
	go func() {
		defer s.sshServing.fire() // a Serve that failed will not start
		if err := s.sshSrv.Serve(servingListener{guardListener{quickAck(sshLn), s.guard}, &s.sshServing}); !errors.Is(err, ssh.ErrServerClosed) {
			failed <- fmt.Errorf("ssh listener: %w", err)
		}
	}()
	go func() {
		var err error
		if s.httpSrv.TLSConfig != nil {
			err = s.httpSrv.ServeTLS(capped, "", "")
		} else {
			err = s.httpSrv.Serve(capped)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("http listener: %w", err)
		}
	}()
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go s.ops.watch(s.cfg.OperatorsPoll, stopWatch)

	for {
		select {
		case <-hup:
			s.log.Info("SIGHUP: reloading the operators file")
			go s.ops.reload(true) // never between SIGTERM and the drain
		case <-ctx.Done():
			s.drain()
			return nil
		case <-s.stopReq:
			s.drain()
			return nil
		case err := <-failed:
			s.drain()
			return err
		}
	}
}

// connRefused counts and logs (once a minute per address) a connection
// closed because too many are in their handshake.
func (s *Server) connRefused(host string) {
	s.metrics.connRefused()
	if log, suppressed := s.ops.refuse.note("conn "+host, time.Now()); log {
		s.log.Warn("ssh connection refused: too many still in their handshake", "remote", host,
			"waiting", s.guard.waiting(), "refusals_not_logged", suppressed)
	}
}

// httpRefused logs (once a minute per address) a connection closed at
// the HTTP listener's caps.
func (s *Server) httpRefused(host string) {
	if log, suppressed := s.ops.refuse.note("http "+host, time.Now()); log {
		s.log.Warn("http connection refused: too many open from its address or in all", "remote", host, "refusals_not_logged", suppressed)
	}
}

// Shutdown stops the server as a cancelled Run context does and waits
// until Run has returned or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stopReq) })
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	if !running {
		return nil
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain is the shutdown within ShutdownGrace: stop accepting desks, tell
// the connected ones, let tracked work finish (cancelling it when the grace
// is nearly over so it can record an unknown outcome), end the consoles,
// then close the listeners. The HTTP listener serves until the work is
// done, because sandbox launches and callbacks in flight go through it.
func (s *Server) drain() {
	start := time.Now()
	grace := s.cfg.ShutdownGrace
	deadline := start.Add(grace)
	workCutoff := deadline.Add(-grace / 5) // then cancel tracked work…
	endDesks := deadline.Add(-grace / 10)  // …and end the consoles by here

	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	s.log.Info("shutting down", "grace", grace.String())

	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	sshClosed := make(chan struct{})
	go func() {
		// The SSH library tracks its listener when Serve starts, with a
		// WaitGroup its Shutdown waits on: a Shutdown before Serve got
		// there races with it. Serve has got there once it accepts.
		s.sshServing.wait(ctx)
		_ = s.sshSrv.Shutdown(ctx) // closes the listener at once
		close(sshClosed)
	}()
	for _, d := range s.deskList() {
		d.send(ShuttingDownMsg{Deadline: deadline})
	}

	workDone := make(chan struct{})
	go func() { s.work.Wait(); close(workDone) }()
	if !waitUntil(workDone, workCutoff) {
		s.log.Warn("launches still in flight; cancelling them so they record an unknown outcome")
		s.workCancel()
		if !waitUntil(workDone, endDesks) {
			s.log.Error("launches did not finish within the grace period")
		}
	}
	s.workCancel()

	for _, d := range s.deskList() {
		d.end(endShutdown)
	}
	// Consoles end within a frame or two; a connection left without a
	// console (a client that keeps it open) is closed rather than waited for.
	if !waitUntil(s.desksGone(), deadline) {
		s.log.Warn("closing desk connections whose console did not end")
	}
	select {
	case <-sshClosed:
	default:
		_ = s.sshSrv.Close()
	}
	if err := s.httpSrv.Shutdown(ctx); err != nil {
		_ = s.httpSrv.Close()
	}
	s.log.Info("stopped", "took", time.Since(start).Round(time.Millisecond).String())
}

// desksGone is closed once no desk is connected.
func (s *Server) desksGone() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for len(s.deskList()) > 0 {
			select {
			case <-s.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return ch
}

// waitUntil waits for ch to close until t; it reports whether it did.
func waitUntil(ch <-chan struct{}, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	}
}

// once is an event that happens once (a channel closed once), whose
// zero value is ready to use.
type once struct {
	mu   sync.Mutex
	ch   chan struct{}
	done bool
}

func (o *once) chanLocked() chan struct{} {
	if o.ch == nil {
		o.ch = make(chan struct{})
	}
	return o.ch
}

// fire marks the event.
func (o *once) fire() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.done {
		o.done = true
		close(o.chanLocked())
	}
}

// wait waits for the event, or for ctx to end.
func (o *once) wait(ctx context.Context) {
	o.mu.Lock()
	ch := o.chanLocked()
	o.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// servingListener fires serving at its first Accept: the server using it
// has started serving.
type servingListener struct {
	net.Listener
	serving *once
}

func (l servingListener) Accept() (net.Conn, error) {
	l.serving.fire()
	return l.Listener.Accept()
}
