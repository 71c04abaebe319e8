//go:build unix

// Package deploy holds the systemd unit; its test starts serve exactly
// as the unit's ExecStart line says, in temporary directories.
package deploy

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/kycdesk/kycdesk/cli"
)

// unit is the parsed [Service] section: each key's values in order.
func unit(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("kycdesk-serve.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("not key=value: %q", line)
		}
		out[section+k] = append(out[section+k], v)
	}
	return out
}

type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *buffer) waitFor(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(b.String(), s) {
			return
		}
	}
	t.Fatalf("never printed %q:\n%s", s, b.String())
}

func TestUnitHardeningAndLifecycle(t *testing.T) {
	u := unit(t)
	for key, want := range map[string]string{
		"[Service]User": "kycdesk", "[Service]NoNewPrivileges": "yes", "[Service]ProtectSystem": "strict",
		"[Service]PrivateTmp": "yes", "[Service]StateDirectory": "kycdesk", "[Service]ConfigurationDirectory": "kycdesk",
		"[Service]ExecReload": "/bin/kill -HUP $MAINPID", "[Service]KillSignal": "SIGTERM", "[Install]WantedBy": "multi-user.target",
	} {
		if got := u[key]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %v, want %q", key, got, want)
		}
	}
}

// The unit's ExecStart, with its paths moved to a temporary root and its
// ports to free ones, starts serve; SIGHUP (ExecReload) reloads the
// operators; SIGTERM (KillSignal) stops it with exit 0.
func TestUnitExecStartServes(t *testing.T) {
	u := unit(t)
	root := t.TempDir()
	move := func(s string) string {
		for _, p := range []string{"/etc", "/var/lib"} {
			s = strings.ReplaceAll(s, "="+p, "="+root+p)
			s = strings.ReplaceAll(s, " "+p+"/", " "+root+p+"/")
			if strings.HasPrefix(s, p+"/") {
				s = root + s
			}
		}
		return s
	}
	env := map[string]string{}
	for _, line := range u["[Service]Environment"] {
		for _, kv := range strings.Fields(move("=" + line)[1:]) {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	exec := u["[Service]ExecStart"]
	if len(exec) != 1 {
		t.Fatalf("ExecStart = %v", exec)
	}
	argv := strings.Fields(move(exec[0]))
	if argv[0] != "/usr/local/bin/kycdesk" || argv[1] != "serve" {
		t.Fatalf("ExecStart runs %v", argv[:2])
	}
	args := argv[1:]
	for i := 1; i < len(args); i++ {
		if args[i-1] == "--ssh-listen" || args[i-1] == "--http-listen" {
			args[i] = "127.0.0.1:0"
		}
	}
	// What the administrator and ExecStartPre provide: the directories
	// (systemd makes them), the operators file and the store key.
	for _, d := range []string{root + "/etc/kycdesk", root + "/var/lib/kycdesk"} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	ops := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey()))) + " alice\n"
	if err := os.WriteFile(filepath.Join(root, "etc/kycdesk/operators"), []byte(ops), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env["KYCDESK_STORE_KEY_FILE"], []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errb := &buffer{}, &buffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(args, &cli.IO{Out: out, Err: errb, Getenv: func(k string) string { return env[k] }})
	}()
	out.waitFor(t, "ready")
	if _, err := os.Stat(filepath.Join(root, "var/lib/kycdesk/kycdesk.db")); err != nil {
		t.Errorf("the store is not in the state directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "var/lib/kycdesk/ssh_host_ed25519_key")); err != nil {
		t.Errorf("the host key is not in the state directory: %v", err)
	}
	self, _ := os.FindProcess(os.Getpid())
	self.Signal(syscall.SIGHUP)
	errb.waitFor(t, "operators reloaded")
	self.Signal(syscall.SIGTERM)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after SIGTERM\n%s", code, errb.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop on SIGTERM")
	}
}
