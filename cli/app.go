package cli

import (
	"fmt"
	"net/http"
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
	journal    *session.Journal
	desk       *desk.Desk
}

// probeTimeout bounds the check for a running `kycdesk sandbox`; a closed
// port answers at once, so this only matters when something else listens.
const probeTimeout = 300 * time.Millisecond

// newApp loads the configuration and the journal; in sandbox mode it finds
// a running sandbox or starts one in this process.
func newApp(io *IO, live bool) (*app, error) {
	a := &app{io: io, reg: catalog.All()}
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
		if !sandbox.Probe(a.sandboxURL, probeTimeout) {
			srv, err := sandbox.Start(a.reg, "127.0.0.1:0", sandbox.Options{Env: io.Getenv})
			if err != nil {
				a.journal.Close()
				return nil, fmt.Errorf("cannot start the in-process sandbox: %w", err)
			}
			a.inProcess = srv
			a.sandboxURL = srv.URL
		}
	}
	a.desk = desk.New(desk.Options{
		Registry: a.reg, Mode: a.mode, SandboxURL: a.sandboxURL, SandboxNote: a.sandboxNote(),
		History: a.journal, Launcher: &session.Launcher{Journal: a.journal, Customer: desk.Customer},
		Resolve:  a.resolve,
		Profiles: desk.ProfileDir{Dir: config.ProfilesDir(io.Getenv), Config: f.Profiles},
	})
	a.convertPresets()
	return a, nil
}

// convertPresets turns the presets of earlier versions into desk
// profiles, once (each converted preset is renamed), and says so.
func (a *app) convertPresets() {
	done, problems := config.ConvertPresets(config.Dir(a.io.Getenv), a.reg)
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
	if a.inProcess != nil {
		a.inProcess.Close()
		// Pooled connections to it are dead: a later command in this
		// process (tests, a served desk) must not reuse one and read EOF.
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
	}
	if a.journal != nil {
		a.journal.Close()
	}
}

// resolve makes a provider for a mode; endpoint, when set, is where a
// recorded session was launched, and requests go there (in sandbox mode
// it is the sandbox whose credentials rule applies).
func (a *app) resolve(d providers.Descriptor, mode providers.Mode, endpoint string) *desk.Provider {
	sandboxURL := a.sandboxURL
	if endpoint != "" && mode == providers.ModeSandbox {
		sandboxURL = endpoint
	}
	r := config.Resolve(d, mode, sandboxURL, a.file, a.io.Getenv)
	if endpoint != "" {
		r.Config.BaseURL = endpoint
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
