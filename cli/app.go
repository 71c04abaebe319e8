package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
)

// app is the wiring shared by the console and the commands: the config,
// the journal, the sandbox, and the desk built from them.
type app struct {
	io         *IO
	reg        providers.Registry
	file       *config.File
	mode       providers.Mode
	sandboxURL string
	inProcess  *sandbox.Server
	sb         config.SandboxAccess // the sandbox in use and what it proved
	// transport is this app's own connection pool: closing it with the
	// app means no later command in the process (tests, a served desk)
	// reuses a connection to a sandbox that is gone and reads EOF.
	transport *http.Transport
	journal   *session.Journal
	desk      *desk.Desk
}

// probeTimeout bounds the check for a running `kycdesk sandbox`; a closed
// port answers at once, so this only matters when something else listens.
const probeTimeout = 300 * time.Millisecond

// newApp loads the configuration and the journal; in sandbox mode it finds
// a running sandbox or starts one in this process.
func newApp(io *IO, live bool) (*app, error) {
	a := &app{io: io, reg: catalog.All(), transport: http.DefaultTransport.(*http.Transport).Clone()}
	f, err := config.Load(config.DefaultPath(io.Getenv), a.reg)
	if err != nil {
		return nil, err
	}
	a.file = f
	a.mode = providers.ModeSandbox
	if live || f.Mode == providers.ModeLive {
		a.mode = providers.ModeLive
	}
	jpath := session.DefaultPath(io.Getenv)
	if a.journal, err = session.Open(jpath); err != nil {
		return nil, fmt.Errorf("journal %s: %w", jpath, err)
	}
	if a.mode == providers.ModeSandbox {
		a.sandboxURL = config.SandboxURL(io.Getenv)
		if sandbox.Probe(a.sandboxURL, probeTimeout) {
			// Environment credentials go there only if it proves it holds
			// this machine's per-run token (a squatter on the port cannot).
			var note string
			a.sb, note = config.OpenSandbox(context.Background(), a.sandboxURL, io.Getenv, nil)
			if note != "" {
				fmt.Fprintln(io.Err, "kycdesk:", note)
			}
		} else {
			srv, err := sandbox.Start(a.reg, "127.0.0.1:0", sandbox.Options{Env: io.Getenv})
			if err != nil {
				a.journal.Close()
				return nil, fmt.Errorf("cannot start the in-process sandbox: %w", err)
			}
			a.inProcess = srv
			a.sandboxURL = srv.URL
			a.sb = config.SandboxAccess{URL: srv.URL, Token: srv.Token, PublicURL: srv.URL}
		}
	}
	a.desk = desk.New(desk.Options{
		Registry: a.reg, Mode: a.mode, SandboxURL: a.sandboxURL, SandboxNote: a.sandboxNote(),
		History: a.journal, Launcher: &session.Launcher{Journal: a.journal, Customer: desk.Customer},
		Resolve: a.resolve,
	})
	return a, nil
}

// sandboxNote says how long sandbox URLs and sessions live.
func (a *app) sandboxNote() string {
	if a.inProcess != nil {
		return "in-process sandbox: its URLs and sessions live only as long as this process (run `kycdesk sandbox` to keep them)"
	}
	return ""
}

func (a *app) close() {
	if a.inProcess != nil {
		a.inProcess.Close()
	}
	a.transport.CloseIdleConnections()
	if a.journal != nil {
		a.journal.Close()
	}
}

// resolve makes a provider for a mode; endpoint, when set, is where a
// recorded session was launched, and requests go there (in sandbox mode
// it is the sandbox whose credentials rule applies).
func (a *app) resolve(d providers.Descriptor, mode providers.Mode, endpoint string) *desk.Provider {
	sb := a.sb
	if endpoint != "" && mode == providers.ModeSandbox && strings.TrimRight(endpoint, "/") != strings.TrimRight(sb.URL, "/") {
		// An older sandbox: neither this run's token nor the
		// environment's credentials go there.
		sb = config.SandboxAccess{URL: endpoint}
	}
	r := config.ResolveAccess(d, mode, sb, a.file, a.io.Getenv)
	if endpoint != "" {
		r.Config.BaseURL = endpoint
	}
	r.Config.HTTP = &http.Client{Transport: a.transport, Timeout: r.Config.Timeout}
	if r.Config.HTTP.Timeout == 0 {
		r.Config.HTTP.Timeout = providers.DefaultTimeout
	}
	p := &desk.Provider{Desc: d, Endpoint: r.Config.BaseURL, SecretEnv: r.SecretEnv, Disabled: providers.SanitizeLine(r.Disabled)}
	if p.Disabled == "" {
		c, err := d.New(r.Config)
		if err != nil {
			p.Disabled = providers.SanitizeLine(providers.MaskSecrets(err.Error(), r.Config.Secrets(secretNames(d)...)))
		} else {
			// Whatever a provider echoes back, no secret reaches a screen.
			p.Client = providers.Masked(c)
		}
	}
	return p
}

// secretNames are the names of a provider's secret credentials.
func secretNames(d providers.Descriptor) []string {
	var out []string
	for _, c := range d.Credentials {
		if c.Secret {
			out = append(out, c.Name)
		}
	}
	return out
}
