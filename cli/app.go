package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/callbacks"
	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/sandbox/token"
	"github.com/kycdesk/kycdesk/session"
)

// app is the wiring shared by the console and the commands: the config,
// the session store, the sandbox, and the desk built from them.
type app struct {
	io         *IO
	reg        providers.Registry
	mode       providers.Mode
	sandboxURL string
	inProcess  *sandbox.Server
	store      session.Store
	// storeOpened is closed once opening the store (startStore) is over;
	// storeErr is why it failed.
	storeOpened <-chan struct{}
	storeErr    error
	desk        *desk.Desk
	resolver    // the file, the sandbox's access, the pool, the callback target

	// The console's own callback receiver (sandbox mode); resolver.callback
	// is what the clients point sessions at, nil when no receiver runs.
	receiver *http.Server
	// receiverNote says how results reach this console when they cannot
	// come by callback, or "".
	receiverNote string
}

// probeTimeout bounds the check for a running `kycdesk sandbox`; a closed
// port answers at once, so this only matters when something else listens.
const probeTimeout = 300 * time.Millisecond

// newApp loads the configuration and opens the session store (store: the
// --store flag, "" for KYCDESK_STORE, the config or the default); in
// sandbox mode it finds a running sandbox or starts one in this process.
func newApp(io *IO, live bool, store string) (*app, error) { return openApp(io, live, false, store) }

// openApp is newApp; with receive (the console, which lives long enough
// for results to come back) it also runs a callback receiver on loopback
// in sandbox mode and points the sandbox's callbacks at it.
//
// Live, no receiver runs: a desk PC is not reachable from the internet
// (the many-desks server, `kycdesk serve`, is), so Alibaba is polled
// gently and iDenfy results come on r only.
func openApp(io *IO, live, receive bool, store string) (*app, error) {
	a, err := loadApp(io, live)
	if err != nil {
		return nil, err
	}
	a.startStore(store)
	if err := a.open(receive); err != nil {
		return nil, err
	}
	return a, nil
}

// loadApp reads the configuration: the mode, and what resolves the
// providers and finds the profiles. Nothing is opened yet (startStore,
// open).
func loadApp(io *IO, live bool) (*app, error) {
	a := &app{io: io, reg: catalog.All(), resolver: newResolver(io.Getenv)}
	f, err := config.Load(config.DefaultPath(io.Getenv), a.reg)
	if err != nil {
		return nil, err
	}
	a.file = f
	a.mode = providers.ModeSandbox
	if live || f.Mode == providers.ModeLive {
		a.mode = providers.ModeLive
	}
	return a, nil
}

// previewDesk is the desk as home shows it before the store and the
// sandbox are open (ui.Preview): the same providers and profiles, made by
// the same rule, and no store (the preview reads none). In sandbox mode
// whether a provider is usable does not depend on which sandbox answers
// (plain http is taken from any host there), so its providers are made
// for a loopback stand-in, whose address is never shown.
func (a *app) previewDesk() *desk.Desk {
	rs := a.resolver
	if a.mode == providers.ModeSandbox {
		rs.sb = config.SandboxAccess{URL: "http://127.0.0.1"}
	}
	return desk.New(rs.deskOptions(a.reg, a.mode, "", nil))
}

// startStore starts opening the session store (store: the --store flag,
// "" for KYCDESK_STORE, the config or the default) in the background:
// the sandbox starts (or is found) meanwhile, and the console draws its
// preview. open waits for it.
func (a *app) startStore(store string) {
	opened := make(chan struct{})
	a.storeOpened = opened
	go func() {
		defer close(opened)
		a.store, a.storeErr = openStore(storeURL(store, a.io.Getenv, a.file), a.io.Getenv)
	}()
}

// open, after startStore, finds a running sandbox or starts one in this
// process (sandbox mode), waits for the store, then builds the desk.
// Nothing is sent before the store is open.
func (a *app) open(receive bool) error {
	io := a.io
	var err error
	dropStore := func() {
		<-a.storeOpened
		if a.storeErr == nil {
			a.store.Close()
		}
	}
	var ln net.Listener
	var recvOpts callbacks.Options
	if a.mode == providers.ModeSandbox {
		if receive {
			if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				dropStore()
				return fmt.Errorf("cannot start the callback receiver: %w", err)
			}
			a.callback = &providers.CallbackTarget{BaseURL: "http://" + ln.Addr().String(), Key: []byte(providers.RandomHex(32))}
			recvOpts.AlibabaKey = a.callback.Key
		}
		a.sandboxURL = config.SandboxURL(io.Getenv)
		if !sandbox.Probe(a.sandboxURL, probeTimeout) {
			opts := sandbox.Options{Env: io.Getenv}
			if a.callback != nil {
				// The in-process sandbox's account-level webhook is this
				// receiver, signed with a key both share.
				opts.WebhookURL = a.callback.URL(idenfy.ID)
				opts.WebhookSigningKey = providers.RandomHex(16)
				recvOpts.IdenfySigningKey = []byte(opts.WebhookSigningKey)
			}
			srv, err := sandbox.Start(a.reg, "127.0.0.1:0", opts)
			if err != nil {
				dropStore()
				if ln != nil {
					ln.Close()
				}
				return fmt.Errorf("cannot start the in-process sandbox: %w", err)
			}
			a.inProcess = srv
			a.sandboxURL = srv.URL
			a.sb = config.SandboxAccess{URL: srv.URL, Token: srv.Token, PublicURL: srv.URL}
		} else {
			// Environment credentials go there only if it proves it holds
			// this machine's per-run token (a squatter on the port cannot).
			tok, public, note := token.Open(context.Background(), a.sandboxURL, io.Getenv, nil)
			a.sb = config.SandboxAccess{URL: strings.TrimRight(a.sandboxURL, "/"), Token: tok, PublicURL: public}
			if tok != "" {
				// Its webhooks are signed with a key derived from the
				// token it proved it holds: verified, then recorded.
				recvOpts.IdenfySigningKey = []byte(token.WebhookKey(tok))
			}
			if note != "" {
				fmt.Fprintln(io.Err, "kycdesk:", note)
			}
			if a.callback != nil && !loopbackURL(a.sandboxURL) {
				// A sandbox on another machine cannot reach this loopback
				// receiver: no callbacks (Alibaba is polled gently, iDenfy
				// comes on r).
				ln.Close()
				ln, a.callback = nil, nil
				a.receiverNote = "the sandbox at " + a.sandboxURL + " cannot reach this console's loopback receiver: no callbacks"
			}
		}
		// A running `kycdesk sandbox` on this machine signs iDenfy webhooks
		// with a key derived from its per-run token (token.WebhookKey),
		// which this console read; one whose token it could not read (or
		// started with its own --webhook-signing-key) is not verified: its
		// webhooks only make the receiver ask the status API. It listens on
		// loopback only and records only sandbox sessions (desk.CallbackSink).
	}
	if <-a.storeOpened; a.storeErr != nil {
		if a.inProcess != nil {
			a.inProcess.Close()
		}
		if ln != nil {
			ln.Close()
		}
		return fmt.Errorf("%w (nothing was sent)", a.storeErr)
	}
	a.customerKey = a.store.CustomerKey()
	o := a.deskOptions(a.reg, a.mode, a.sandboxURL, a.store)
	o.SandboxNote = a.sandboxNote()
	a.desk = desk.New(o)
	if ln != nil {
		a.receiver = &http.Server{Handler: callbacks.New(a.desk.CallbackSink(), recvOpts), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = a.receiver.Serve(ln) }()
	}
	a.convertPresets()
	return nil
}

// loopbackURL reports whether raw names a loopback host.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && providers.IsLoopback(u.Hostname())
}

// convertPresets turns the presets of earlier versions into desk
// profiles, once (each converted preset is renamed), and says so.
func (a *app) convertPresets() {
	done, problems := desk.ConvertPresets(config.Dir(a.io.Getenv), a.reg)
	for _, p := range done {
		fmt.Fprintf(a.io.Err, "note: the %s preset is now the desk profile %q (%s)\n", p.Provider, p.Name, p.Source)
	}
	for _, e := range problems {
		fmt.Fprintln(a.io.Err, "note:", providers.SanitizeLine(e.Error()))
	}
}

// sandboxNote says how long sandbox URLs and sessions live.
func (a *app) sandboxNote() string {
	if a.inProcess != nil {
		return "in-process sandbox: its URLs and sessions live only as long as this process (run `kycdesk sandbox` to keep them)"
	}
	return ""
}

func (a *app) close() {
	if a.desk != nil {
		a.desk.Close()
	}
	if a.receiver != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = a.receiver.Shutdown(ctx)
		cancel()
	}
	if a.inProcess != nil {
		a.inProcess.Close()
	}
	a.transport.CloseIdleConnections()
	if a.store != nil {
		a.store.Close()
	}
}
