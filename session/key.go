package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/kycdesk/kycdesk/internal/authfile"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session/internal/safefile"
)

// The request fingerprint is keyed so that the store cannot be used to
// confirm guesses: a plain SHA-256 of a body that holds a masked phone
// number gives the number back in a second. The key lives outside the
// store:
//
//   - KYCDESK_STORE_KEY: the key in hex (32 bytes or more), e.g. for
//     desks and servers that share one PostgreSQL store, which must all
//     use the same key;
//   - else KYCDESK_STORE_KEY_FILE: a file holding it (a mounted secret);
//   - else $XDG_CONFIG_HOME/kycdesk/store.key (~/.config/kycdesk/store.key),
//     created with 32 random bytes, mode 0600, on first use.
const (
	KeyEnv     = "KYCDESK_STORE_KEY"
	KeyFileEnv = "KYCDESK_STORE_KEY_FILE"
	keyBytes   = 32
)

// DefaultKeyPath is $XDG_CONFIG_HOME/kycdesk/store.key, or
// ~/.config/kycdesk/store.key when XDG_CONFIG_HOME is unset or not
// absolute; "" when neither is known.
func DefaultKeyPath(getenv func(string) string) string {
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "kycdesk", "store.key")
	}
	if h := getenv("HOME"); h != "" && filepath.IsAbs(h) {
		return filepath.Join(h, ".config", "kycdesk", "store.key")
	}
	return ""
}

// StoreKey finds the fingerprint key (see KeyEnv) and says where from
// (for messages; never the key).
func StoreKey(getenv func(string) string) (key []byte, from string, err error) {
	if v := strings.TrimSpace(getenv(KeyEnv)); v != "" {
		k, err := parseKey(v)
		if err != nil {
			return nil, KeyEnv, fmt.Errorf("%s: %w", KeyEnv, err)
		}
		return k, KeyEnv, nil
	}
	if p := strings.TrimSpace(getenv(KeyFileEnv)); p != "" {
		// A mounted secret: private, small, and never a FIFO or a device
		// (either would hang or exhaust the process).
		b, err := authfile.Read(p, authfile.Rules{What: KeyFileEnv, Secret: true, Max: authfile.MaxKey})
		if err != nil {
			return nil, p, err
		}
		k, err := parseKey(string(b))
		if err != nil {
			return nil, p, fmt.Errorf("%s (%s): %w", KeyFileEnv, p, err)
		}
		return k, p, nil
	}
	p := DefaultKeyPath(getenv)
	if p == "" {
		return nil, "", fmt.Errorf("no fingerprint key: set %s, or XDG_CONFIG_HOME or HOME for the key file", KeyEnv)
	}
	k, err := LoadKeyFile(p)
	return k, p, err
}

// LoadKeyFile reads the key file at path, creating it (directory 0700,
// file 0600, 32 random bytes in hex) when it does not exist. It refuses a
// symbolic link and a file others can read.
func LoadKeyFile(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	if k, err := createKeyFile(path); err == nil || !errors.Is(err, fs.ErrExist) {
		return k, err
	}
	// Refuse a FIFO or a device before opening it: the open would block.
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() != 0 && fi.Mode()&fs.ModeSymlink == 0 {
		return nil, fmt.Errorf("fingerprint key %s is not a regular file", path)
	}
	f, err := safefile.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("fingerprint key %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("fingerprint key %s can be read by others (mode %04o); make it 0600 (chmod 600 %s)", path, perm, path)
	}
	b := make([]byte, 256)
	n, _ := f.Read(b)
	k, err := parseKey(string(b[:n]))
	if err != nil {
		return nil, fmt.Errorf("fingerprint key %s: %w", path, err)
	}
	return k, nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so that the key file appears whole or not at all (several
// processes may start at once); fs.ErrExist when one is there.
func createKeyFile(path string) ([]byte, error) {
	k := make([]byte, keyBytes)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".store.key.*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(k) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("fingerprint key %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("fingerprint key: %w", err)
	}
	syncDir(filepath.Dir(path))
	return k, nil
}

func parseKey(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not a hex key")
	}
	if len(k) < keyBytes {
		return nil, fmt.Errorf("the key has %d bytes; it needs %d or more (64 hex digits)", len(k), keyBytes)
	}
	return k, nil
}

// fingerprint is the keyed request fingerprint (see Store.Fingerprint).
func fingerprint(key []byte, req *http.Request) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kycdesk request v1\n"))
	writeRequest(m, req)
	return hex.EncodeToString(m.Sum(nil))
}

// writeRequest writes what a provider compares when a request is
// repeated: the method, the path and query, and the body (not the
// headers: dates, nonces and signatures differ each time).
func writeRequest(w io.Writer, req *http.Request) {
	w.Write([]byte(req.Method))
	w.Write([]byte{' '})
	w.Write([]byte(req.URL.RequestURI()))
	w.Write([]byte{'\n'})
	w.Write(providers.ReadBody(req))
}

// legacyPrefix marks the fingerprint of a session imported from the
// journal, which kept a plain SHA-256: the store keeps that hash only
// keyed, and a retry is compared by hashing its request the old way first.
const legacyPrefix = "j1:"

func legacyFingerprint(key []byte, sha256Hex string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kycdesk journal request sha256\n"))
	m.Write([]byte(strings.ToLower(strings.TrimSpace(sha256Hex))))
	return legacyPrefix + hex.EncodeToString(m.Sum(nil))
}

// fingerprintOf is req's fingerprint in the form stored (the legacy form
// when the first intent has it).
func fingerprintOf(key []byte, req *http.Request, stored string) string {
	if strings.HasPrefix(stored, legacyPrefix) {
		return legacyFingerprint(key, legacySHA256(req))
	}
	return fingerprint(key, req)
}

// legacySHA256 is the journal's plain request hash (hex SHA-256 of the
// method, path and query, and body), computed only to compare a retry of
// an imported session with its keyed form; it is never stored.
func legacySHA256(req *http.Request) string {
	h := sha256.New()
	writeRequest(h, req)
	return hex.EncodeToString(h.Sum(nil))
}

// keyCheck is recorded in the store to tell whether a key is the one the
// store was written with; it says nothing about the key.
func keyCheck(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kycdesk store key check\n"))
	return hex.EncodeToString(m.Sum(nil))
}

// customerKey is the key typed customer ids are desensitised with
// (Store.CustomerKey): derived from the store key, so that the store key
// itself never leaves the store.
func customerKey(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kycdesk customer key v1\n"))
	return m.Sum(nil)
}

// legacyCustomerOf is the customer an imported session records when the
// journal kept a plain SHA-256 of a typed id (Alibaba's MerchantUserId
// before it was keyed): that hash, keyed under the customer key ckey, so
// that the store holds no unkeyed hash; a search by the typed id computes
// the same.
func legacyCustomerOf(ckey []byte, typed string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(typed)))
	return legacyCustomer(ckey, hex.EncodeToString(h[:]))
}

func legacyCustomer(ckey []byte, sha256Hex string) string {
	return providers.KeyedID(ckey, "journal sha256:"+strings.ToLower(sha256Hex))
}
