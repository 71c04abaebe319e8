package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTestCert writes a self-signed loopback certificate and its key.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kycdesk test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile, pool
}

func TestHTTPListenerServesTLS(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	certFile, keyFile, pool := writeTestCert(t, t.TempDir())
	ts := startServer(t, Config{TLSCert: certFile, TLSKey: keyFile, Live: true}, nil, alice)
	if got := ts.CallbackBaseURL(); got != "https://"+ts.HTTPAddr() {
		t.Fatalf("callback base %q", got)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + ts.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("status %d tls=%v", resp.StatusCode, resp.TLS != nil)
	}

	// A TLS key others can read is refused at startup.
	os.Chmod(keyFile, 0o644)
	cfg := Config{TLSCert: certFile, TLSKey: keyFile, OperatorsFile: ts.operators,
		HostKeyFile: filepath.Join(t.TempDir(), "hk"), SSHListen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0"}
	if _, err := New(cfg, Options{Console: echoConsole}); err == nil || !strings.Contains(err.Error(), "TLS key") {
		t.Fatalf("readable TLS key: %v", err)
	}
}
