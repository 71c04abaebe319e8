package cli

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/sandbox/token"
)

func cmdSandbox(args []string, io *IO) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8470", "address to listen on")
	public := fs.String("public-url", "", "base URL put in every QR (default: the listen address)")
	webhook := fs.String("webhook-url", "", "where the iDenfy simulator sends its signed webhooks (the account-level setting of iDenfy's dashboard): https, or plain http to a loopback host")
	quiet := fs.Bool("quiet", false, "do not log requests")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if h, p, err := net.SplitHostPort(*listen); err != nil || !validPort(p) || strings.ContainsAny(h, " /") {
		return usage(false, "--listen", fmt.Sprintf("%q is not an address to listen on; use HOST:PORT such as 127.0.0.1:8470 or 0.0.0.0:8470", providers.SanitizeLine(*listen)))
	}
	reg := catalog.All()
	if *public != "" {
		if msg := config.CheckURLShape(*public); msg != "" {
			return usage(false, "--public-url", msg)
		}
	}
	if *webhook != "" {
		if msg := sandbox.CheckWebhookURL(*webhook); msg != "" {
			return usage(false, "--webhook-url", msg)
		}
	}
	opts := sandbox.Options{PublicURL: strings.TrimRight(*public, "/"), Env: io.Getenv, WebhookURL: *webhook,
		StateDir: token.StateDir(io.Getenv)}
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
		return exitCode(exitOther)
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
	// Start made the signing key when none was given: print the one used.
	opts.WebhookSigningKey = srv.WebhookSigningKey
	fmt.Fprintln(io.Out, "Callbacks:")
	for _, l := range sandbox.WebhookLines(opts) {
		fmt.Fprintln(io.Out, "  "+l)
	}
	for _, l := range srv.StartLines() {
		fmt.Fprintln(io.Out, l)
	}
	fmt.Fprintf(io.Out, "Use it from the console or CLI with KYCDESK_SANDBOX_URL=%s (the default when on port 8470).\n", local)
	fmt.Fprintln(io.Out, "Sessions live as long as this process. Ctrl+C stops.")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}

func splitHostPort(addr string) (string, string) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return addr, ""
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}

// validPort is a port number 0–65535 (0: any free port).
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535 && p != ""
}
