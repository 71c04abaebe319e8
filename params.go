package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
)

// paramJSON is one parameter in `params --json`.
type paramJSON struct {
	Name        string             `json:"name"`
	Label       string             `json:"label,omitempty"`
	Type        string             `json:"type"`
	Required    bool               `json:"required"`
	Essential   bool               `json:"essential"`
	Default     string             `json:"default,omitempty"`
	Constraints string             `json:"constraints,omitempty"`
	Options     []providers.Option `json:"options,omitempty"`
	Aliases     map[string]string  `json:"aliases,omitempty"`
	Doc         string             `json:"doc,omitempty"`
	Personal    bool               `json:"personal,omitempty"`
	Generated   bool               `json:"generated,omitempty"`
	Unconfirmed string             `json:"unconfirmed,omitempty"`
}

func cmdParams(args []string, io *IO) int {
	fs := flag.NewFlagSet("params", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(io, args, err)
	}
	reg := catalog.All()
	if len(pos) != 1 {
		return usageError(io, *asJSON, "PROVIDER", "name one provider: "+strings.Join(reg.IDs(), ", "))
	}
	d, ok := reg.Get(pos[0])
	if !ok {
		return usageError(io, *asJSON, "PROVIDER", fmt.Sprintf("unknown provider %q (one of: %s)", pos[0], strings.Join(reg.IDs(), ", ")))
	}
	spec := d.Spec()
	if *asJSON {
		out := make([]paramJSON, len(spec))
		for i, p := range spec {
			out[i] = paramJSON{Name: p.Name, Label: p.Label, Type: p.Kind.String(), Required: p.Required, Essential: forms.IsEssential(p),
				Default: p.Default, Constraints: p.Constraints(), Options: p.Options, Aliases: p.Aliases, Doc: p.Doc,
				Personal: p.Personal, Generated: p.Generate != nil, Unconfirmed: p.Unconfirmed}
		}
		printJSON(io, map[string]any{"provider": d.ID, "name": d.Name, "parameters": out})
		return 0
	}
	fmt.Fprintf(io.Out, "%s (%s) — %d parameters; essentials first. Set with --set NAME=VALUE.\n\n", d.Name, d.ID, len(spec))
	for _, essential := range []bool{true, false} {
		for _, p := range spec {
			if forms.IsEssential(p) != essential {
				continue
			}
			req := "optional"
			if p.Required {
				req = "required"
				if p.Generate != nil {
					req = "required, generated when empty"
				}
			}
			fmt.Fprintf(io.Out, "%s  %s, %s\n", p.Name, p.Kind, req)
			if c := p.Constraints(); c != "" {
				fmt.Fprintf(io.Out, "    constraints: %s\n", c)
			}
			if p.Default != "" {
				fmt.Fprintf(io.Out, "    default: %s\n", p.Default)
			}
			if len(p.Options) > 0 {
				tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
				for _, o := range p.Options {
					fmt.Fprintf(tw, "      %s\t%s\n", o.Value, o.Label)
				}
				tw.Flush()
			}
			if len(p.Aliases) > 0 {
				keys := make([]string, 0, len(p.Aliases))
				for k := range p.Aliases {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					fmt.Fprintf(io.Out, "    also accepted: %s → %s\n", k, p.Aliases[k])
				}
			}
			if p.Doc != "" {
				fmt.Fprintf(io.Out, "    %s\n", p.Doc)
			}
			if p.Unconfirmed != "" {
				fmt.Fprintf(io.Out, "    note: %s\n", p.Unconfirmed)
			}
			if p.Personal {
				fmt.Fprintf(io.Out, "    personal data: never written to the journal\n")
			}
			fmt.Fprintln(io.Out)
		}
	}
	return 0
}

func cmdSandbox(args []string, io *IO) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(io.Err)
	listen := fs.String("listen", "127.0.0.1:8470", "address to listen on")
	public := fs.String("public-url", "", "base URL put in every QR (default: the listen address)")
	quiet := fs.Bool("quiet", false, "do not log requests")
	if _, err := parseInterleaved(fs, args); err != nil {
		return flagError(io, args, err)
	}
	reg := catalog.All()
	if *public != "" {
		if msg := config.CheckURLShape(*public); msg != "" {
			return usageError(io, false, "--public-url", msg)
		}
	}
	opts := sandbox.Options{PublicURL: strings.TrimRight(*public, "/"), Env: io.Getenv}
	if !*quiet {
		opts.Logf = func(format string, a ...any) { fmt.Fprintf(io.Err, "sandbox: "+format+"\n", a...) }
	}
	host, port := splitHostPort(*listen)
	if opts.PublicURL == "" && (host == "0.0.0.0" || host == "" || host == "::") {
		if addrs := sandbox.LANAddresses(); len(addrs) > 0 {
			opts.PublicURL = "http://" + addrs[0] + ":" + port
		}
	}
	srv, err := sandbox.Start(reg, *listen, opts)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			err = sandbox.ErrPortInUse
		}
		fmt.Fprintln(io.Err, "kycdesk sandbox:", err)
		return 1
	}
	defer srv.Close()
	pub := opts.PublicURL
	if pub == "" {
		pub = srv.URL
	}
	local := srv.URL // what this machine's console uses
	if host == "0.0.0.0" || host == "" || host == "::" {
		local = "http://127.0.0.1:" + port
	}
	fmt.Fprintf(io.Out, "kycdesk sandbox listening on http://%s\n", *listen)
	fmt.Fprintf(io.Out, "URLs in QR codes start with %s\n", pub)
	if !providers.IsLoopback(host) {
		fmt.Fprintln(io.Out, "WARNING: listening beyond loopback: anyone on this network can reach the simulators and customer pages.")
		for _, a := range sandbox.LANAddresses() {
			fmt.Fprintf(io.Out, "  a phone on the same network can use http://%s:%s\n", a, port)
		}
	}
	fmt.Fprintln(io.Out, "Sandbox credentials (not secrets; accepted by the simulators):")
	for _, l := range sandbox.CredentialLines(reg, io.Getenv) {
		fmt.Fprintln(io.Out, "  "+l)
	}
	fmt.Fprintf(io.Out, "Use it from the console or CLI with KYCDESK_SANDBOX_URL=%s (the default when on port 8470).\n", local)
	fmt.Fprintln(io.Out, "Sessions live as long as this process. Ctrl+C stops.")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return 0
}

func splitHostPort(addr string) (string, string) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return addr, ""
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}
