//go:build unix

package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/server"
)

// serveFiles is a serve environment whose every file is valid: the test
// then breaks one at a time.
type serveFiles struct {
	dir                       string
	env                       map[string]string
	operators, hostKey        string
	tlsCert, tlsKey, storeKey string
	config                    string
}

func newServeFiles(t *testing.T) serveFiles {
	t.Helper()
	dir := t.TempDir()
	f := serveFiles{dir: dir, env: map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state"), "HOME": dir,
	}}
	os.MkdirAll(filepath.Join(dir, "config", "kycdesk"), 0o700)
	f.operators = server.DefaultOperatorsFile(func(k string) string { return f.env[k] })
	if err := os.WriteFile(f.operators, []byte(newOperator(t, "alice").line()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.hostKey = filepath.Join(dir, "host_key")
	f.config = filepath.Join(dir, "config", "kycdesk", "config.toml")
	f.storeKey = filepath.Join(dir, "store.key")
	os.WriteFile(f.storeKey, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	f.env["KYCDESK_STORE_KEY_FILE"] = f.storeKey
	f.tlsCert, f.tlsKey = writeServeCert(t, dir)
	return f
}

func writeServeCert(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	cert, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return cert, keyFile
}

// serveOnce runs `kycdesk serve` with args on loopback ports; the test
// expects a refusal at start-up, so a serve that starts is a failure (and
// is stopped). A hang is reported instead of waited out.
func serveOnce(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	args = append([]string{"serve", "--ssh-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"}, args...)
	done := make(chan result, 1)
	go func() { done <- runEnv(t, env, args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(serveWait):
		p, _ := os.FindProcess(os.Getpid())
		p.Signal(syscall.SIGTERM) // serve's own handler takes it
		<-done
		t.Fatalf("serve %v hung at start-up", args)
		return result{}
	}
}

// Every file that grants authority refuses /dev/zero, a FIFO (at once:
// no hang, no memory exhausted) and, for the operators file and keys, a
// file others can change, naming the file and the fix.
func TestServeRefusesBadAuthorityFiles(t *testing.T) {
	f0 := newServeFiles(t)
	fifo := filepath.Join(f0.dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(f0.dir, "open")
	os.WriteFile(open, []byte("x"), 0o600)
	os.Chmod(open, 0o666)

	type flagCase struct {
		name string
		set  func(f *serveFiles, path string) []string
	}
	cases := []flagCase{
		{"--operators", func(f *serveFiles, p string) []string { return []string{"--operators", p} }},
		{"--host-key", func(f *serveFiles, p string) []string { return []string{"--host-key", p} }},
		{"--tls-key", func(f *serveFiles, p string) []string {
			return []string{"--host-key", f.hostKey, "--tls-cert", f.tlsCert, "--tls-key", p}
		}},
		{"--tls-cert", func(f *serveFiles, p string) []string {
			return []string{"--host-key", f.hostKey, "--tls-cert", p, "--tls-key", f.tlsKey}
		}},
		{"KYCDESK_STORE_KEY_FILE", func(f *serveFiles, p string) []string {
			f.env["KYCDESK_STORE_KEY_FILE"] = p
			return []string{"--host-key", f.hostKey}
		}},
	}
	for _, c := range cases {
		for _, bad := range []struct{ path, want string }{
			{"/dev/zero", "is a character device, not a regular file"},
			{fifo, "is a named pipe (FIFO), not a regular file"},
			{open, "can be changed by group or others (mode 0666); run: chmod 600 " + open},
		} {
			t.Run(c.name+" "+filepath.Base(bad.path), func(t *testing.T) {
				f := newServeFiles(t)
				args := c.set(&f, bad.path)
				r := serveOnce(t, f.env, args...)
				if r.code != 1 || !strings.Contains(r.err, bad.path) || !strings.Contains(r.err, bad.want) {
					t.Errorf("serve %v: exit %d, want 1 naming %s with %q\n%s", args, r.code, bad.path, bad.want, r.err)
				}
			})
		}
	}
	t.Run("config.toml fifo", func(t *testing.T) {
		f := newServeFiles(t)
		if err := syscall.Mkfifo(f.config, 0o600); err != nil {
			t.Fatal(err)
		}
		r := serveOnce(t, f.env, "--host-key", f.hostKey)
		if r.code != 1 || !strings.Contains(r.err, f.config+" is a named pipe") {
			t.Errorf("config.toml as a FIFO: exit %d\n%s", r.code, r.err)
		}
	})
}

// SIGTERM stops serve even while it is still starting (here: a store
// that accepts the connection and never answers).
func TestServeSIGTERMWhileStarting(t *testing.T) {
	f := newServeFiles(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // held, never answered
		}
	}()
	done := make(chan result, 1)
	go func() {
		done <- runEnv(t, f.env, "serve", "--ssh-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
			"--host-key", f.hostKey, "--store", "postgres://kycdesk@"+ln.Addr().String()+"/kycdesk?sslmode=disable&connect_timeout=0")
	}()
	var held net.Conn
	select {
	case held = <-accepted:
		defer held.Close()
	case r := <-done:
		t.Fatalf("serve ended before reaching the store: exit %d\n%s", r.code, r.err)
	case <-time.After(serveWait):
		t.Fatal("serve never reached the store")
	}
	p, _ := os.FindProcess(os.Getpid())
	p.Signal(syscall.SIGTERM)
	select {
	case r := <-done:
		if r.code != 1 || !strings.Contains(r.err, "stopped while starting") {
			t.Errorf("exit %d\n%s", r.code, r.err)
		}
	case <-time.After(serveWait):
		t.Fatal("SIGTERM did not stop a serve that was starting")
	}
}

// An operators file of another user is refused by name (root gives it
// to nobody; others cannot, and skip).
func TestServeRefusesOperatorsOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("not root: cannot give the file to another user (internal/authfile tests the check itself)")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	f := newServeFiles(t)
	if err := os.Chown(f.operators, uid, -1); err != nil {
		t.Fatal(err)
	}
	r := serveOnce(t, f.env, "--host-key", f.hostKey)
	if r.code != 1 || !strings.Contains(r.err, "operators file "+f.operators+" belongs to nobody") || !strings.Contains(r.err, "chown") {
		t.Errorf("exit %d\n%s", r.code, r.err)
	}
}
