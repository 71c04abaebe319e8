package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/ui"
)

// app is the wiring shared by the console and the commands.
type app struct {
	io         *IO
	reg        providers.Registry
	file       *config.File
	mode       providers.Mode
	sandboxURL string
	inProcess  *sandbox.Server
	journal    *session.Journal
}

// probeTimeout bounds the check for a running `kycdesk sandbox`; a closed
// port answers at once, so this only matters when something else listens.
const probeTimeout = 300 * time.Millisecond

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// newApp loads the configuration and the journal; in sandbox mode it finds
// a running sandbox or starts one in this process.
func newApp(io *IO, live bool) (*app, error) {
	a := &app{io: io, reg: catalog.All()}
	f, err := config.Load(config.DefaultPath(), a.reg)
	if err != nil {
		return nil, err
	}
	a.file = f
	a.mode = providers.ModeSandbox
	if live || f.Mode == providers.ModeLive {
		a.mode = providers.ModeLive
	}
	jpath := session.DefaultPath()
	if a.journal, err = session.Open(jpath); err != nil {
		return nil, fmt.Errorf("journal %s: %w", jpath, err)
	}
	if a.mode == providers.ModeSandbox {
		a.sandboxURL = config.SandboxURL(io.Getenv)
		if !sandbox.Probe(a.sandboxURL, probeTimeout) {
			srv, err := sandbox.Start(a.reg, "127.0.0.1:0", sandbox.Options{Env: io.Getenv})
			if err != nil {
				return nil, fmt.Errorf("cannot start the in-process sandbox: %w", err)
			}
			a.inProcess = srv
			a.sandboxURL = srv.URL
		}
	}
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
	if a.journal != nil {
		a.journal.Close()
	}
}

// entries resolves every provider for the current mode.
func (a *app) entries() []*ui.Entry {
	var out []*ui.Entry
	for _, d := range a.reg {
		out = append(out, a.resolve(d, ""))
	}
	return out
}

// resolve makes a provider's entry; endpoint, when set, replaces the base
// URL (a journalled session is followed where it was created).
func (a *app) resolve(d providers.Descriptor, endpoint string) *ui.Entry {
	r := config.Resolve(d, a.mode, a.sandboxURL, a.file, a.io.Getenv)
	if endpoint != "" {
		r.Config.BaseURL = endpoint
	}
	e := &ui.Entry{Desc: d, Resolved: r, Disabled: providers.SanitizeLine(r.Disabled)}
	if e.Disabled == "" {
		c, err := d.New(r.Config)
		if err != nil {
			e.Disabled = providers.SanitizeLine(providers.MaskSecrets(err.Error(), r.Config.Secrets(secretNames(d)...)))
		} else {
			// Whatever a provider echoes back, no secret reaches a screen.
			e.Client = providers.Masked(c)
		}
	}
	return e
}

// entry finds a usable provider by id, or explains why not.
func (a *app) entry(id string) (*ui.Entry, error) {
	d, ok := a.reg.Get(id)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q (one of: %s)", id, strings.Join(a.reg.IDs(), ", "))
	}
	e := a.resolve(d, "")
	if e.Disabled != "" {
		return nil, fmt.Errorf("%s is unavailable: %s", id, e.Disabled)
	}
	return e, nil
}

// sessionEntry is the provider entry for following a journalled session:
// the same mode and endpoint it was launched with.
func (a *app) sessionEntry(s *session.Session) (*ui.Entry, error) {
	d, ok := a.reg.Get(s.Provider)
	if !ok {
		return nil, fmt.Errorf("session %s: unknown provider %q", s.ID, s.Provider)
	}
	saved := a.mode
	a.mode = s.Mode
	e := a.resolve(d, s.Endpoint)
	a.mode = saved
	if e.Disabled != "" {
		return nil, fmt.Errorf("%s is unavailable: %s", s.Provider, e.Disabled)
	}
	return e, nil
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
