package postgres_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/session/postgres"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// serverEnv names the server the PostgreSQL half runs against
// (scripts/postgres.sh starts a throwaway one).
const serverEnv = "KYCDESK_TEST_POSTGRES"

func TestMain(m *testing.M) {
	storetest.Child()
	os.Exit(m.Run())
}

func server(t testing.TB) string {
	u := os.Getenv(serverEnv)
	if u == "" {
		t.Skipf("%s is not set: the PostgreSQL half of the store suite needs a server (scripts/postgres.sh start FILE starts one and writes %s=postgres://… to FILE)",
			serverEnv, serverEnv)
	}
	return u
}

// fresh is a store in a new schema of the server's database, dropped
// when the test ends.
func fresh(t testing.TB) storetest.Target {
	u := storetest.FreshPostgresSchema(t, server(t), "kycdesk_test_")
	dir := t.TempDir()
	return storetest.Target{URL: u, Env: map[string]string{
		"HOME": dir, "XDG_STATE_HOME": dir + "/state", "XDG_CONFIG_HOME": dir + "/config",
		session.KeyEnv: storetest.TestKey,
	}, Raw: func(t testing.TB) []byte { return pgDump(t, u) }}
}

// pgDump is the schema of u as pg_dump writes it (what a backup holds).
// Without pg_dump (KYCDESK_TEST_POSTGRES_BIN, or on PATH) it skips.
func pgDump(t testing.TB, u string) []byte {
	t.Helper()
	bin := "pg_dump"
	if dir := os.Getenv("KYCDESK_TEST_POSTGRES_BIN"); dir != "" {
		bin = filepath.Join(dir, "pg_dump")
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Skipf("no pg_dump (%v): scripts/postgres.sh sets KYCDESK_TEST_POSTGRES_BIN", err)
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	schema := q.Get("search_path")
	q.Del("search_path") // a pgx runtime parameter, not libpq's
	p.RawQuery = q.Encode()
	out, err := exec.Command(bin, "--no-owner", "--schema="+schema, p.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}

func TestConformance(t *testing.T) {
	server(t)
	storetest.Run(t, fresh)
}

func TestPasswordNeverShown(t *testing.T) {
	const pw = "hunter2-Secret"
	env := func(string) string { return "" }
	keyed := func(k string) string {
		if k == session.KeyEnv {
			return storetest.TestKey
		}
		return ""
	}
	// Nothing listens on port 1; a malformed URL; a key that is missing.
	for _, u := range []string{
		"postgres://kycdesk:" + pw + "@127.0.0.1:1/kycdesk?connect_timeout=2",
		"postgres://kycdesk:" + pw + "@127.0.0.1:notaport/kycdesk",
		"postgresql://kycdesk@127.0.0.1:1/kycdesk?password=" + pw + "&connect_timeout=2",
	} {
		for _, getenv := range []func(string) string{env, keyed} {
			_, err := session.OpenStore(u, getenv)
			if err == nil {
				t.Fatalf("OpenStore(%s) worked", u)
			}
			if strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("OpenStore error %q shows the password or not the server", err)
			}
		}
	}
	// A real server, a wrong password.
	base := server(t)
	u, _ := url.Parse(base)
	u.User = url.UserPassword(u.User.Username(), pw)
	_, err := session.OpenStore(u.String(), keyed)
	if err == nil || strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), session.RedactURL(u.String())) {
		t.Errorf("wrong password: %v", err)
	}
	if real, _ := url.Parse(base); real.User != nil {
		if p, _ := real.User.Password(); p != "" && strings.Contains(err.Error(), p) {
			t.Error("the error shows the real password")
		}
	}
}

func TestKeyMustMatch(t *testing.T) {
	tg := fresh(t)
	tg.Open(t).Close()
	tg.Env[session.KeyEnv] = strings.Repeat("cd", 32)
	_, err := session.OpenStore(tg.URL, tg.Getenv)
	if err == nil || !strings.Contains(err.Error(), session.KeyEnv) {
		t.Errorf("another desk's key: %v", err)
	}
	// Without a key in the environment, the key file: also another key.
	delete(tg.Env, session.KeyEnv)
	if _, err := session.OpenStore(tg.URL, tg.Getenv); err == nil {
		t.Error("a store opened with a key file's key it was not written with")
	}
}

func TestOpenDirect(t *testing.T) {
	tg := fresh(t)
	st, err := postgres.Open(context.Background(), tg.URL, tg.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if strings.Contains(st.Location(), "@") && !strings.Contains(st.Location(), "xxxxx") {
		t.Errorf("Location %q shows the password", st.Location())
	}
}
