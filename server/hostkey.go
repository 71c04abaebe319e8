package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"

	"github.com/kycdesk/kycdesk/internal/authfile"
)

// loadOrCreateHostKey returns the server's SSH host key, generating an
// ed25519 key (file 0600, directory 0700) on first start. Desks pin the
// host key, so it is kept across restarts and never regenerated over an
// unreadable file.
func loadOrCreateHostKey(path string) (gossh.Signer, bool, error) {
	data, err := authfile.Read(path, hostKeyRules)
	if errors.Is(err, fs.ErrNotExist) {
		s, err := createHostKey(path)
		return s, true, err
	}
	if err != nil {
		return nil, false, err
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		var missing *gossh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, false, fmt.Errorf("host key %s is passphrase-protected; the server needs it unencrypted (mode 0600)", path)
		}
		return nil, false, fmt.Errorf("host key %s: %v", path, err)
	}
	return signer, false, nil
}

func createHostKey(path string) (gossh.Signer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "kycdesk host key")
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	// Write a temporary file and link it into place, so a crash never
	// leaves a half-written key and two servers starting at once keep one.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".host-key-*")
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("host key: %w", err)
	}
	if _, err := tmp.Write(pem.EncodeToMemory(block)); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("host key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("host key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			s, _, err := loadOrCreateHostKey(path)
			return s, err
		}
		return nil, fmt.Errorf("host key: %w", err)
	}
	return gossh.NewSignerFromKey(priv)
}

// The keys' rules: whoever reads the host key can pose as this server to
// desks; whoever reads the TLS key, as its HTTP listener.
var (
	hostKeyRules = authfile.Rules{What: "host key", Secret: true, Max: authfile.MaxKey}
	tlsKeyRules  = authfile.Rules{What: "TLS key", Secret: true, Max: authfile.MaxKey}
	tlsCertRules = authfile.Rules{What: "TLS certificate", Max: authfile.MaxList}
)
