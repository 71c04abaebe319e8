package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
)

// A store that cannot be opened: a clear message naming it (without the
// password), nothing sent, exit 1 — for --store, KYCDESK_STORE and the
// config's store alike.
func TestStoreThatCannotBeOpened(t *testing.T) {
	isolate(t)
	sb := startSandbox(t, nil)
	dir := t.TempDir()
	target := filepath.Join(dir, "real.db")
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	closed := strings.Replace(unusedURL(t), "http://", "postgres://desk:pg-s3cret@", 1) + "/kycdesk?connect_timeout=2"
	for _, tc := range []struct {
		name  string
		args  []string
		env   string
		conf  string
		names string
	}{
		{name: "symlinked file by flag", args: []string{"--store", link}, names: link},
		{name: "symlinked file by KYCDESK_STORE", env: link, names: link},
		{name: "symlinked file in config.toml", conf: link, names: link},
		{name: "PostgreSQL nobody answers", args: []string{"--store", closed}, names: "postgres://desk:xxxxx@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KYCDESK_STORE", tc.env)
			if tc.conf != "" {
				cfg := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kycdesk", "config.toml")
				os.MkdirAll(filepath.Dir(cfg), 0o700)
				if err := os.WriteFile(cfg, []byte("store = \""+tc.conf+"\"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				defer os.Remove(cfg)
			}
			before := sb.sent.Load()
			for _, cmd := range [][]string{{"launch", "idenfy", "--set", "clientId=st-1"}, {"sessions"}, {"status", "abc"}} {
				r := cli(t, []string{"pg-s3cret"}, append(cmd, tc.args...)...)
				if r.code != 1 || !strings.Contains(r.err, "session store cannot be opened") || !strings.Contains(r.err, tc.names) {
					t.Errorf("%s: exit %d, want 1 naming %s\n%s", cmd[0], r.code, tc.names, r.err)
				}
			}
			if n := sb.sent.Load() - before; n != 0 {
				t.Errorf("%d requests sent with no store", n)
			}
		})
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("the symlink's target was created")
	}
}

// --store names the store every command uses: a launch recorded there is
// listed and followed from there, and not in the default one.
func TestStoreFlagSelectsTheStore(t *testing.T) {
	isolate(t)
	startSandbox(t, nil)
	other := filepath.Join(t.TempDir(), "desk-b.db")
	o := oneJSON(t, run0(t, "launch", "idenfy", "--set", "clientId=flag-1", "--json", "--store", other).out)
	id, _ := o["session"].(string)
	if r := run0(t, "sessions", "--store", "sqlite:"+other); !strings.Contains(r.out, id) {
		t.Errorf("sessions --store does not list %s:\n%s", id, r.out)
	}
	if r := run0(t, "status", id, "--store", other); !strings.Contains(r.out, "pending") {
		t.Errorf("status --store:\n%s", r.out)
	}
	if s := sessionsJSON(t); len(s) != 0 {
		t.Errorf("the default store has %d sessions", len(s))
	}
	t.Setenv("KYCDESK_STORE", other)
	if s := sessionsJSON(t); len(s) != 1 {
		t.Errorf("KYCDESK_STORE: %d sessions, want 1", len(s))
	}
	if fi, err := os.Stat(other); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the store file: %v, %v", fi, err)
	}
}

// The request went out and the provider answered, but the store could
// not record the outcome (here its tables vanish while the request is
// out): the launch still prints its URL and references, says the record
// could not be kept, and exits 4 so that a script does not launch again.
func TestOutcomeNotRecordedExit4(t *testing.T) {
	isolate(t)
	path := filepath.Join(t.TempDir(), "kycdesk.db")
	var broke atomic.Bool
	h := sandbox.Handler(catalog.All(), sandbox.Options{Env: noEnv})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != sandbox.HealthPath && broke.CompareAndSwap(false, true) {
			st, err := session.OpenStore(path, os.Getenv)
			if err != nil {
				t.Error(err)
			} else {
				if _, err := st.(*session.DB).SQL().Exec(`ALTER TABLE session_docs RENAME TO session_docs_gone`); err != nil {
					t.Error(err)
				}
				st.Close()
			}
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	t.Setenv("KYCDESK_SANDBOX_URL", srv.URL)
	for _, asJSON := range []bool{false, true} {
		broke.Store(false)
		os.Remove(path)
		args := []string{"launch", "idenfy", "--set", "clientId=nr-1", "--store", path}
		if asJSON {
			args = append(args, "--json")
		}
		r := cli(t, nil, args...)
		if r.code != 4 || !strings.Contains(r.err, "the record could not be kept") || !strings.Contains(r.err, path) {
			t.Errorf("exit %d, want 4 saying the record could not be kept\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
		}
		if asJSON {
			m := oneJSON(t, r.out)
			if u, _ := m["url"].(string); u == "" {
				t.Errorf("--json lacks the URL: %v", m)
			}
		} else if !strings.Contains(r.out, "url ") || !strings.Contains(r.out, "scanRef") {
			t.Errorf("the URL and references are not printed:\n%s", r.out)
		}
	}
}

// A command that only reads (sessions, report, audit) refuses a SQLite
// store named by --store, KYCDESK_STORE or config.toml that does not
// exist, naming where it was named, and creates nothing there: a mistyped
// path is not an empty history.
func TestReadingCommandsRefuseAMissingStore(t *testing.T) {
	isolate(t)
	missing := filepath.Join(t.TempDir(), "no-such-dir", "kycdesk.db")
	for _, cmd := range [][]string{{"sessions"}, {"report"}, {"audit", "verify"}} {
		r := cli(t, nil, append(cmd, "--store", missing)...)
		if r.code != 2 || !strings.Contains(r.err, "--store: no session store at "+missing) {
			t.Errorf("%s --store MISSING: exit %d, want 2 naming --store and the path\n%s", cmd[0], r.code, r.err)
		}
	}
	t.Setenv("KYCDESK_STORE", missing)
	if r := cli(t, nil, "report", "--json"); r.code != 2 || !strings.Contains(r.out, `"field": "KYCDESK_STORE"`) {
		t.Errorf("report with KYCDESK_STORE missing: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); err == nil {
		t.Error("a reading command created the missing store's directory")
	}
}
