package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/session/internal/safefile"
	"github.com/kycdesk/kycdesk/session/sqlite"
	"github.com/kycdesk/kycdesk/session/storetest"
)

func TestMain(m *testing.M) {
	storetest.Child()
	os.Exit(m.Run())
}

// fresh is a store at the default path of a new home.
func fresh(t testing.TB) storetest.Target {
	dir := t.TempDir()
	env := map[string]string{
		"HOME":            dir,
		"XDG_STATE_HOME":  filepath.Join(dir, "state"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		session.KeyEnv:    storetest.TestKey,
	}
	path := filepath.Join(dir, "state", "kycdesk", "kycdesk.db")
	return storetest.Target{URL: path, Env: env, Raw: func(t testing.TB) []byte {
		// The file and its WAL, as a backup or a stolen disk holds them.
		var out []byte
		for _, f := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		return out
	}}
}

func TestConformance(t *testing.T) { storetest.Run(t, fresh) }

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultPath(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"}, "/x/state/kycdesk/kycdesk.db"},
		{map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/state/kycdesk/kycdesk.db"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/state/kycdesk/kycdesk.db"},
		{map[string]string{}, ""},
	} {
		if got := sqlite.DefaultPath(getenv(tc.env)); got != tc.want {
			t.Errorf("DefaultPath(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
	if _, err := session.OpenStore("", getenv(map[string]string{})); err == nil {
		t.Error("a store opened with no home")
	}
}

func TestStoreKinds(t *testing.T) {
	for _, tc := range []struct{ url, kind, target string }{
		{"", "sqlite", ""},
		{"/var/x.db", "sqlite", "/var/x.db"},
		{"rel/x.db", "sqlite", "rel/x.db"},
		{"sqlite:/var/x.db", "sqlite", "/var/x.db"},
		{"sqlite:///var/x.db", "sqlite", "/var/x.db"},
		{"postgres://u:p@h/db", "postgres", "postgres://u:p@h/db"},
		{"PostgreSQL://h/db", "postgres", "PostgreSQL://h/db"},
	} {
		kind, target, err := session.StoreKind(tc.url)
		if err != nil || kind != tc.kind || target != tc.target {
			t.Errorf("StoreKind(%q) = %q, %q, %v", tc.url, kind, target, err)
		}
	}
	_, err := session.OpenStore("mysql://root:hunter2@h/db", nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "mysql://root:xxxxx@h/db") {
		t.Errorf("unknown kind: %v", err)
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestPermissions(t *testing.T) {
	tg := fresh(t)
	delete(tg.Env, session.KeyEnv) // the key file, created on first use
	st := tg.Open(t)
	s, err := st.Intent(context.Background(), session.Intent{Provider: "fake", Mode: providers.ModeSandbox,
		Request: mustRequest(t)})
	if err != nil {
		t.Fatal(err)
	}
	_ = s
	dir := filepath.Dir(tg.URL)
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("directory mode %04o, want 0700", m)
	}
	for _, p := range []string{tg.URL, tg.URL + "-wal", tg.URL + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s mode %04o, want 0600", filepath.Base(p), m)
		}
	}
	key := filepath.Join(tg.Env["XDG_CONFIG_HOME"], "kycdesk", "store.key")
	if m := mode(t, key); m != 0o600 {
		t.Errorf("key file mode %04o, want 0600", m)
	}
	if m := mode(t, filepath.Dir(key)); m != 0o700 {
		t.Errorf("key directory mode %04o, want 0700", m)
	}
	b, _ := os.ReadFile(key)
	if len(strings.TrimSpace(string(b))) != 64 {
		t.Errorf("key file holds %q, want 64 hex digits", b)
	}
	// The same key next time: a retry's fingerprint must match.
	k1, _, err := session.StoreKey(tg.Getenv)
	if err != nil || st.Fingerprint(mustRequest(t)) == "" {
		t.Fatal(err)
	}
	k2, _, _ := session.StoreKey(tg.Getenv)
	if string(k1) != string(k2) {
		t.Error("the key changed between uses")
	}
	st.Close()

	// A file others can read is set back to 0600, with a warning.
	if err := os.Chmod(tg.URL, 0o644); err != nil {
		t.Fatal(err)
	}
	st = tg.Open(t)
	if m := mode(t, tg.URL); m != 0o600 {
		t.Errorf("reopened mode %04o, want 0600", m)
	}
	if w := strings.Join(st.Warnings(), "\n"); !strings.Contains(w, "0644") {
		t.Errorf("warnings %q do not say the mode was fixed", w)
	}
	// A key file others can read is refused.
	st.Close()
	os.Chmod(key, 0o644)
	if _, err := session.OpenStore(tg.URL, tg.Getenv); err == nil || !strings.Contains(err.Error(), "0644") {
		t.Errorf("a key file readable by others: %v", err)
	}
}

func mustRequest(t testing.TB) *httpRequest {
	t.Helper()
	req, err := newRequest()
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSymlinkRefused(t *testing.T) {
	tg := fresh(t)
	dir := filepath.Dir(tg.URL)
	os.MkdirAll(dir, 0o700)
	elsewhere := filepath.Join(t.TempDir(), "elsewhere.db")
	if err := os.Symlink(elsewhere, tg.URL); err != nil {
		t.Fatal(err)
	}
	_, err := session.OpenStore(tg.URL, tg.Getenv)
	if !errors.Is(err, safefile.ErrSymlink) || !strings.Contains(err.Error(), tg.URL) {
		t.Errorf("symlinked database: %v", err)
	}
	if _, err := os.Stat(elsewhere); !errors.Is(err, os.ErrNotExist) {
		t.Error("the link was followed")
	}
	os.Remove(tg.URL)

	// The files SQLite keeps beside the database.
	if err := os.Symlink(elsewhere, tg.URL+"-wal"); err != nil {
		t.Fatal(err)
	}
	if _, err := session.OpenStore(tg.URL, tg.Getenv); !errors.Is(err, safefile.ErrSymlink) {
		t.Errorf("symlinked -wal: %v", err)
	}
	os.Remove(tg.URL + "-wal")

	// The key file.
	delete(tg.Env, session.KeyEnv)
	key := filepath.Join(tg.Env["XDG_CONFIG_HOME"], "kycdesk", "store.key")
	os.MkdirAll(filepath.Dir(key), 0o700)
	os.WriteFile(elsewhere, []byte(strings.Repeat("ab", 32)), 0o600)
	if err := os.Symlink(elsewhere, key); err != nil {
		t.Fatal(err)
	}
	if _, err := session.OpenStore(tg.URL, tg.Getenv); !errors.Is(err, safefile.ErrSymlink) {
		t.Errorf("symlinked key file: %v", err)
	}
}

func TestFirstOpenImportsJournal(t *testing.T) {
	tg := fresh(t)
	journal := filepath.Join(tg.Env["XDG_STATE_HOME"], "kycdesk", "sessions.jsonl")
	os.MkdirAll(filepath.Dir(journal), 0o700)
	if err := os.WriteFile(journal, storetest.Fixture, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := session.OpenStore("", tg.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	storetest.CheckFixture(t, st)
	st.Close()
	if _, err := os.Stat(journal + ".imported"); err != nil {
		t.Errorf("not renamed: %v", err)
	}
	// Later opens import nothing more, even a journal put back.
	os.WriteFile(journal, storetest.Fixture, 0o600)
	st = tg.Open(t)
	if n, _ := st.Count(context.Background(), session.Query{}); n != 7 {
		t.Errorf("%d sessions after reopening", n)
	}
	// A store at another path imports nothing.
	os.WriteFile(filepath.Join(t.TempDir(), "sessions.jsonl"), storetest.Fixture, 0o600)
	other := filepath.Join(t.TempDir(), "other.db")
	st2, err := session.OpenStore(other, tg.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n, _ := st2.Count(context.Background(), session.Query{}); n != 0 {
		t.Errorf("%d sessions in a store at another path", n)
	}
}

func TestKeyReplacedWarns(t *testing.T) {
	tg := fresh(t)
	tg.Open(t).Close()
	tg.Env[session.KeyEnv] = strings.Repeat("cd", 32)
	st := tg.Open(t)
	if w := strings.Join(st.Warnings(), "\n"); !strings.Contains(w, "store key is not the one") {
		t.Errorf("warnings = %q", w)
	}
	st.Close()
	if w := tg.Open(t).Warnings(); len(w) != 0 {
		t.Errorf("warned again: %q", w)
	}
}

func TestOpenErrorsNameTheFile(t *testing.T) {
	tg := fresh(t)
	dir := t.TempDir()
	for _, path := range []string{dir, filepath.Join(dir, "file", "x.db")} {
		if path != dir {
			os.WriteFile(filepath.Join(dir, "file"), nil, 0o600)
		}
		_, err := session.OpenStore(path, tg.Getenv)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("OpenStore(%s): %v", path, err)
		}
	}
}

func TestDurabilitySettings(t *testing.T) {
	st := fresh(t).Open(t)
	db := st.(*session.DB).SQL()
	var journal string
	var sync int
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&journal); err != nil || journal != "wal" {
		t.Errorf("journal_mode = %q, %v", journal, err)
	}
	if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
		t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
}
