package cli

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/server"
)

// At start serve says what a desk runs, and warns that loopback serves
// no other machine and that without --public-url callbacks and phones
// may not reach it.
func TestServeStartupNotes(t *testing.T) {
	alice := newOperator(t, "alice")
	ts := startTestServe(t, 0, alice)
	_, port, _ := strings.Cut(ts.srv.SSHAddr(), ":")
	if want := "desks connect with: ssh -p " + port + " DESK@127.0.0.1"; !strings.Contains(ts.out.String(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, ts.out.String())
	}
	errs := ts.errb.String()
	for _, want := range []string{"warning: SSH listens on loopback only", "--ssh-listen 0.0.0.0:" + port, "warning: no --public-url"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// A live serve without a provider's credentials says at start which
// providers are disabled and why (the desks show the same reason).
func TestServeLiveWarnsOfMissingCredentials(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state"), "HOME": dir}
	getenv := func(k string) string { return env[k] }
	os.MkdirAll(filepath.Join(dir, "config", "kycdesk"), 0o700)
	os.WriteFile(server.DefaultOperatorsFile(getenv), []byte(newOperator(t, "alice").line()+"\n"), 0o600)
	f, err := config.Load(config.DefaultPath(getenv), catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := server.NewFlags(flag.NewFlagSet("serve", flag.ContinueOnError)).Load(f, getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SSHListen, cfg.HTTPListen, cfg.Live, cfg.PublicURL = "127.0.0.1:0", "127.0.0.1:0", true, "https://kyc.example.com"
	out, errb := newLockedBuffer(), newLockedBuffer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := startServe(ctx, cfg, f, &IO{Out: out, Err: errb, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); s.wait() }()
	errs := errb.String()
	for _, d := range catalog.All() {
		if !strings.Contains(errs, "warning: "+d.Name+" is disabled on every desk: no live credentials") {
			t.Errorf("no warning for %s:\n%s", d.Name, errs)
		}
	}
	if strings.Contains(errs, "no --public-url") {
		t.Errorf("warned of a missing --public-url that was given:\n%s", errs)
	}
	if !strings.Contains(errs, IdenfyWebhookKeyEnv+" is not set") {
		t.Errorf("no warning for the iDenfy webhook key:\n%s", errs)
	}
}
