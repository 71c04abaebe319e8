package cli

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/callbacks"
	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/sandbox/token"
	"github.com/kycdesk/kycdesk/server"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/ui"
)

// IdenfyWebhookKeyEnv holds the signing key of the iDenfy account's
// webhook (dashboard → Notifications → Headers) in live mode.
const IdenfyWebhookKeyEnv = "IDENFY_WEBHOOK_SIGNING_KEY"

func cmdServe(args []string, io *IO) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags := server.NewFlags(fs) // every setting, listed once in server.Settings
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usage(false, "serve", fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	reg := catalog.All()
	f, err := config.Load(config.DefaultPath(io.Getenv), reg)
	if err != nil {
		fmt.Fprintln(io.Err, "kycdesk serve:", err)
		return exitCode(exitOther)
	}
	cfg, err := flags.Load(f, io.Getenv)
	if err != nil {
		return usage(false, "serve", err.Error())
	}
	if pct, ok := serveGCPercent(io.Getenv); ok {
		debug.SetGCPercent(pct)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Start-up may wait (a store across the network); SIGTERM must still
	// stop the process then, so the wait is on both.
	type started struct {
		s   *served
		err error
	}
	ch := make(chan started, 1)
	go func() {
		s, err := startServe(ctx, cfg, f, io)
		ch <- started{s, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			fmt.Fprintln(io.Err, "kycdesk serve:", r.err)
			return exitCode(exitOther)
		}
		return r.s.wait()
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.s != nil {
				_ = r.s.wait()
			}
		}()
		fmt.Fprintln(io.Err, "kycdesk serve: stopped while starting")
		return exitCode(exitOther)
	}
}

// served is a running `kycdesk serve`: the server, the shared history,
// the callback receiver and, in sandbox mode, the simulators on the HTTP
// listener; one desk per SSH session.
type served struct {
	io       *IO
	reg      providers.Registry
	cfg      server.Config
	mode     providers.Mode
	store    session.Store
	srv      *server.Server
	runErr   chan error
	resolver // the file, the sandbox's access, the pool, the receiver (set once bound)

	// Set once the listeners are bound (before any desk connects).
	sandboxURL string     // the simulators, as this process reaches them
	sink       *desk.Desk // the receiver's desk: no operator
	receiver   *callbacks.Receiver
	relays     *server.Relays // nil: no public URL, so no phone reaches the relay
	sandboxH   atomic.Pointer[http.Handler]

	// initDone is closed once the fields above are set.
	initDone chan struct{}

	mu    sync.Mutex
	desks map[*desk.Desk]struct{}
	// badCallbacks counts callbacks refused for their signature or
	// token, per provider (the supervisors' board).
	badCallbacks sync.Map // provider → *atomic.Int64
}

// serveGC is the collector's target for a serve: the heap may grow to 5×
// what is live between collections, not Go's default 2×. A served desk's
// keys, frames and launches allocate briskly, and at the default a serve
// spent about a sixth of its CPU collecting; at 400, 50 desks launching
// together cost 5.0–5.5 ms of CPU a launch against 6.2–6.9 ms, and 500
// desks hold 0.75 MB each against 0.45 (the budget is 2 MB; issue 18,
// README). GOGC in the environment, when set, is Go's own and wins.
const serveGC = 400

// serveGCPercent is the collector's target for this serve, and whether
// to set it (GOGC is not set).
func serveGCPercent(getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	return serveGC, true
}

// startServe opens the history, builds the server, starts it and, once
// its listeners are bound, the receiver and the simulators; it prints what
// providers need to know.
func startServe(ctx context.Context, cfg server.Config, f *config.File, io *IO) (*served, error) {
	s := &served{io: io, reg: catalog.All(), cfg: cfg, mode: providers.ModeSandbox, runErr: make(chan error, 1),
		resolver: newResolver(io.Getenv), desks: map[*desk.Desk]struct{}{}, initDone: make(chan struct{})}
	s.file = f
	if cfg.Live {
		s.mode = providers.ModeLive
	}
	var err error
	if s.store, err = openStore(storeURL(cfg.Store, io.Getenv, f), io.Getenv); err != nil {
		return nil, err
	}
	s.customerKey = s.store.CustomerKey()
	for _, w := range s.store.Warnings() {
		fmt.Fprintln(io.Err, "store:", providers.SanitizeLine(w))
	}
	logger := slog.New(slog.NewTextHandler(io.Err, nil))
	s.srv, err = server.New(cfg, server.Options{Console: s.console, Logger: logger, Stdout: io.Out, OnRevoke: s.auditRevoked})
	if err != nil {
		s.store.Close()
		return nil, err
	}
	s.srv.AddCheck("store", func(ctx context.Context) error {
		_, err := s.store.List(ctx, session.Query{Limit: 1})
		return err
	})
	m := s.srv.Metrics()
	key, err := callbackKey(io.Getenv)
	if err != nil {
		s.store.Close()
		return nil, err
	}
	recv := callbacks.Options{AlibabaKey: key, OnCount: func(c callbacks.Count) {
		if c.Outcome == callbacks.Accepted {
			m.CallbackAccepted(c.Provider)
		} else {
			m.CallbackRefused(c.Provider, c.Reason)
			if c.Reason == callbacks.ReasonBadSignature || c.Reason == callbacks.ReasonBadToken {
				n, _ := s.badCallbacks.LoadOrStore(c.Provider, new(atomic.Int64))
				n.(*atomic.Int64).Add(int64(c.N))
			}
		}
	}}
	var sandboxKey string
	if s.mode == providers.ModeSandbox {
		sandboxKey = providers.RandomHex(16)
		recv.IdenfySigningKey = []byte(sandboxKey)
	} else if k := io.Getenv(IdenfyWebhookKeyEnv); k != "" {
		recv.IdenfySigningKey = []byte(k)
	} else {
		fmt.Fprintln(io.Err, "warning: "+IdenfyWebhookKeyEnv+" is not set: iDenfy webhooks cannot be verified, so none is "+
			"recorded from its body; each one only makes kycdesk ask iDenfy's status API once for its session (at most every 10 s). "+
			"Set the key from iDenfy's dashboard (Notifications → Headers) to record webhooks as they come.")
	}
	s.receiver = callbacks.New(sinkOf{s}, recv)
	s.srv.Handle("/callbacks/", s.receiver)
	if cfg.PublicURL != "" {
		// A phone reaches this listener: Alibaba's MetaInfo comes from the
		// customer's phone through the relay, not from a preset.
		s.relays = server.NewRelays(cfg.PublicURL, nil)
		s.srv.Handle(server.RelayPrefix, s.relays)
	}
	if s.mode == providers.ModeSandbox {
		// The simulators answer at the real APIs' paths (Alibaba at POST /),
		// the customer pages under /sandbox/: everything the routes above
		// do not take.
		s.srv.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if h := s.sandboxH.Load(); h != nil {
				(*h).ServeHTTP(w, r)
				return
			}
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}))
	}
	go func() { s.runErr <- s.srv.Run(ctx) }()
	select {
	case <-s.srv.Ready():
	case err := <-s.runErr:
		s.store.Close()
		return nil, err
	}
	// What the store cannot take (PostgreSQL restarting) is kept in a
	// private file and recorded when it is back; one file per bound
	// listener, so two servers on one machine do not share it.
	if err := s.receiver.OpenSpool(spoolPath(io.Getenv, s.srv.HTTPAddr())); err != nil {
		fmt.Fprintln(io.Err, "callbacks:", err, "(calls the store cannot take are answered 503)")
	}
	base := s.srv.CallbackBaseURL()
	s.callback = &providers.CallbackTarget{BaseURL: base, Key: key}
	if s.mode == providers.ModeSandbox {
		s.sandboxURL = "http://" + loopbackAddr(s.srv.HTTPAddr())
		tok := providers.RandomHex(16)
		h := sandbox.Handler(s.reg, sandbox.Options{PublicURL: cfg.PublicURL, Env: io.Getenv, Token: tok,
			WebhookURL: s.callback.URL(idenfy.ID), WebhookSigningKey: sandboxKey})
		s.sandboxH.Store(&h)
		s.sb = config.SandboxAccess{URL: s.sandboxURL, Token: tok, PublicURL: firstNonEmpty(cfg.PublicURL, s.sandboxURL)}
	}
	s.sink = s.newDesk("", "", false)
	// Desks and callbacks may arrive as soon as the listeners are bound;
	// they wait for the fields set above (the close orders the writes).
	close(s.initDone)
	fmt.Fprintf(io.Out, "callbacks: iDenfy dashboard webhook URL %s\n", s.callback.URL(idenfy.ID))
	fmt.Fprintf(io.Out, "callbacks: Alibaba CallbackUrl %s (set on each launch, with its CallbackToken)\n", s.callback.URL(alibaba.ID))
	if s.mode == providers.ModeSandbox {
		fmt.Fprintf(io.Out, "sandbox: simulators and customer pages at %s (QR codes use %s)\n", s.sandboxURL, s.sb.PublicURL)
	}
	s.startupNotes()
	fmt.Fprintln(io.Out, "ready")
	return s, nil
}

// startupNotes print what a desk runs to connect, and warn of what
// would keep desks, providers or phones from reaching this server.
func (s *served) startupNotes() {
	ssh := s.srv.SSHAddr()
	host, port, _ := net.SplitHostPort(ssh)
	ip := net.ParseIP(host)
	deskHost := host
	if ip != nil && ip.IsUnspecified() {
		deskHost = "HOST"
		if h, err := os.Hostname(); err == nil && h != "" {
			deskHost = h
		}
	}
	if strings.Contains(deskHost, ":") {
		deskHost = "[" + deskHost + "]"
	}
	fmt.Fprintf(s.io.Out, "desks connect with: ssh -p %s DESK@%s (DESK names the desk, e.g. desk-12)\n", port, deskHost)
	warn := func(format string, a ...any) { fmt.Fprintf(s.io.Err, "warning: "+format+"\n", a...) }
	if ip != nil && ip.IsLoopback() {
		warn("SSH listens on loopback only (%s): desks on other machines cannot connect; to serve the LAN use --ssh-listen 0.0.0.0:%s", ssh, port)
	}
	if s.cfg.PublicURL == "" {
		h, _, _ := net.SplitHostPort(s.srv.HTTPAddr())
		if hip := net.ParseIP(h); hip != nil && hip.IsLoopback() {
			warn("no --public-url: callbacks and the QR codes' pages use %s, which only this machine reaches; set --public-url to an address providers and phones can reach", s.callback.BaseURL)
		} else {
			warn("no --public-url: callbacks and the QR codes' pages use %s; if providers or phones reach this server by another name (a proxy, NAT), set --public-url", s.callback.BaseURL)
		}
	}
	if s.mode != providers.ModeLive {
		return
	}
	for _, d := range s.reg {
		if p := s.resolve(d, s.mode, ""); p.Disabled != "" {
			warn("%s is disabled on every desk: %s", d.Name, p.Disabled)
		}
	}
	if s.io.Getenv(IdenfyWebhookKeyEnv) == "" {
		warn("%s is not set: iDenfy's webhooks cannot be verified, so results come from its status API instead", IdenfyWebhookKeyEnv)
	}
}

// wait waits for the server to stop (SIGTERM, SIGINT) and closes what it
// opened.
func (s *served) wait() error {
	err := <-s.runErr
	s.receiver.Wait()
	s.mu.Lock()
	for d := range s.desks {
		d.Close()
	}
	s.mu.Unlock()
	if s.sink != nil {
		s.sink.Close()
	}
	s.transport.CloseIdleConnections()
	s.store.Close()
	if err != nil {
		fmt.Fprintln(s.io.Err, "kycdesk serve:", err)
		return exitCode(exitOther)
	}
	return nil
}

// newDesk is a desk for operator at deskName ("" for the receiver's own);
// a supervisor's sees every desk's sessions.
func (s *served) newDesk(operator, deskName string, supervisor bool) *desk.Desk {
	o := s.deskOptions(s.reg, s.mode, s.sandboxURL, s.store)
	o.Operator, o.Desk, o.Supervisor = operator, deskName, supervisor
	o.Announce, o.Network = s.announce, s.network
	o.Quotas = session.Quotas{DeskPerHour: s.cfg.Quotas.DeskPerHour, DeskPerDay: s.cfg.Quotas.DeskPerDay,
		OperatorPerHour: s.cfg.Quotas.OperatorPerHour, OperatorPerDay: s.cfg.Quotas.OperatorPerDay}
	if s.relays != nil {
		o.Relay = func(l desk.RelayLink) (string, time.Time, error) { return s.relays.Issue(server.RelayLink(l)) }
		o.RelaySandbox = s.sb.PublicURL
	}
	if operator != "" {
		o.Metrics, o.Track = s.srv.Metrics(), s.srv.Track
	}
	return desk.New(o)
}

// console builds one SSH session's console: its own desk (who works
// there, the shared history), the same ui as the local console, drawn
// for the desk's terminal.
func (s *served) console(sd server.Desk) (tea.Model, []tea.ProgramOption, error) {
	select {
	case <-s.initDone:
	case <-sd.Context.Done():
		return nil, nil, errors.New("the server is starting or stopping; connect again")
	}
	d := s.newDesk(sd.Operator, sd.Name, sd.Supervisor)
	d.SetActivity("home") // connected now (the board's "since")
	s.mu.Lock()
	s.desks[d] = struct{}{}
	s.mu.Unlock()
	// Sessions launched here are followed while the desk is connected
	// (Alibaba without a reachable receiver is polled gently).
	d.StartFollowing(sd.Context)
	go func() {
		<-sd.Context.Done()
		s.mu.Lock()
		delete(s.desks, d)
		s.mu.Unlock()
		d.Close()
	}()
	ctx := &ui.Context{
		Desk:     d,
		Renderer: sd.Renderer,
		Copy:     sd.Clipboard,
		Open: func(string) error {
			return errors.New("the browser would open on the server; copy the URL with c and open it on this desk")
		},
	}
	// The desk comes back where it was: the session on its screen when
	// the server stopped or the connection dropped.
	if ds, ok := s.store.(deskStates); ok {
		sctx, cancel := context.WithTimeout(sd.Context, 5*time.Second)
		if st, found, err := ds.DeskState(sctx, sd.Name); err == nil && found && st.Screen == session.ScreenResult {
			ctx.ResumeSession = st.Session
		}
		cancel()
		ctx.OnScreen = newDeskStateWriter(ds, sd.Name, s.io.Err).set
	}
	// 120 fps, as the local console: a program's first frame waits for the
	// renderer's first tick (a whole one: the ticker starts with the
	// program), and every change for the next (issue 14, first frame).
	return ui.New(ctx), []tea.ProgramOption{tea.WithAltScreen(), tea.WithFPS(120)}, nil
}

// deskStates is the store's record of where each served desk was
// (session.DB).
type deskStates interface {
	SetDeskState(ctx context.Context, desk, id, screen string) error
	DeskState(ctx context.Context, desk string) (session.DeskState, bool, error)
}

// deskStateWriter records a desk's screen in the store off the console's
// loop, in order, the latest value winning over ones not yet written.
type deskStateWriter struct {
	ds   deskStates
	desk string
	errw io.Writer

	mu      sync.Mutex
	next    *string
	writing bool
}

func newDeskStateWriter(ds deskStates, desk string, errw io.Writer) *deskStateWriter {
	return &deskStateWriter{ds: ds, desk: desk, errw: errw}
}

func (w *deskStateWriter) set(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next = &id
	if !w.writing {
		w.writing = true
		go w.run()
	}
}

func (w *deskStateWriter) run() {
	for {
		w.mu.Lock()
		if w.next == nil {
			w.writing = false
			w.mu.Unlock()
			return
		}
		id := *w.next
		w.next = nil
		w.mu.Unlock()
		screen := ""
		if id != "" {
			screen = session.ScreenResult
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := w.ds.SetDeskState(ctx, w.desk, id, screen); err != nil {
			fmt.Fprintln(w.errw, "kycdesk serve: recording where desk", w.desk, "is:", err)
		}
		cancel()
	}
}

// auditRevoked records that a desk's session was ended because its
// operator's key left the operators file.
func (s *served) auditRevoked(d server.Desk) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = session.WithActor(ctx, session.Actor{Operator: d.Operator, Desk: d.Name})
	err := s.store.Audit(ctx, session.AuditEntry{Action: "revoked",
		Detail: "operator key " + d.Fingerprint + " removed or renamed in the operators file; session ended"})
	if err != nil {
		fmt.Fprintln(s.io.Err, "kycdesk serve: recording a revocation:", err)
	}
}

// network is what the board shows of this server: its connected desks
// (the receiver's own is none) and the callbacks refused since it started.
func (s *served) network() desk.Network {
	var n desk.Network
	s.mu.Lock()
	for d := range s.desks {
		n.Desks = append(n.Desks, d.Activity())
	}
	s.mu.Unlock()
	sort.Slice(n.Desks, func(i, j int) bool {
		a, b := n.Desks[i], n.Desks[j]
		return a.Desk < b.Desk || a.Desk == b.Desk && a.Since.Before(b.Since)
	})
	n.BadCallbacks = map[string]int64{}
	s.badCallbacks.Range(func(k, v any) bool {
		n.BadCallbacks[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return n
}

// announce tells every connected desk that session id changed (one desk
// recorded it as event seq, or the receiver did; 0: not known).
func (s *served) announce(id string, seq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for d := range s.desks {
		d.NotifyTo(id, seq)
	}
}

// sinkOf is the receiver's sink: the receiver's desk (no operator), whose
// recorded results every desk hears through announce.
type sinkOf struct{ s *served }

func (k sinkOf) Session(ctx context.Context, provider, ref string) (*callbacks.Session, error) {
	if err := k.started(ctx); err != nil {
		return nil, err
	}
	return k.s.sink.CallbackSink().Session(ctx, provider, ref)
}

func (k sinkOf) Record(ctx context.Context, provider, ref string, st *providers.Status, proof callbacks.Proof) error {
	if err := k.started(ctx); err != nil {
		return err
	}
	return k.s.sink.CallbackSink().Record(ctx, provider, ref, st, proof)
}

// started waits, within the callback's deadline, for the server's desk.
func (k sinkOf) started(ctx context.Context) error {
	select {
	case <-k.s.initDone:
		return nil
	case <-ctx.Done():
		return errors.New("starting")
	}
}

// callbackKey is the key each Alibaba session's CallbackToken is derived
// from: the store's fingerprint key (session.StoreKey), which every server
// sharing a store holds, through a one-way function of its own. So a
// callback that reaches any server behind one public URL, or a server
// restarted since the launch, checks the token; a key drawn per process
// would refuse both.
func callbackKey(getenv func(string) string) ([]byte, error) {
	k, _, err := session.StoreKey(getenv)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte("kycdesk serve: Alibaba CallbackToken key, v1"))
	return []byte(hex.EncodeToString(mac.Sum(nil))), nil
}

// spoolPath is the callback spool of a server listening on addr, in the
// state directory.
func spoolPath(getenv func(string) string, addr string) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, addr)
	return filepath.Join(token.StateDir(getenv), "callbacks-"+name+".spool")
}

// loopbackAddr is addr as this process reaches it: an unspecified host
// (0.0.0.0, ::) becomes loopback.
func loopbackAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
