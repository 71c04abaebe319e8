package cli

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// A backup taken while 10 desks launch is a consistent copy: it holds
// every session committed before it began, only committed ones, and its
// chain verifies.
func TestBackupWhileDesksLaunch(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"HOME": dir, session.KeyEnv: strings.Repeat("3c", 32)}
	getenv := func(k string) string { return env[k] }
	db := filepath.Join(dir, "live.db")
	st, err := session.OpenStore(db, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	var mu sync.Mutex
	committed := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	launch := func(d, i int) error {
		req := httptest.NewRequest("POST", "http://127.0.0.1:1/api/v2/token", strings.NewReader(fmt.Sprintf(`{"n":%d}`, i)))
		s, err := st.Intent(context.Background(), session.Intent{Provider: "idenfy", Mode: providers.ModeSandbox,
			Endpoint: "http://127.0.0.1:1", Customer: fmt.Sprintf("desk%d-c%d", d, i), Values: providers.Values{}, Request: req})
		if err != nil {
			return err
		}
		mu.Lock()
		committed[s.ID] = true
		mu.Unlock()
		return nil
	}
	for d := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := launch(d, i); err != nil {
					t.Errorf("desk %d: %v", d, err)
					return
				}
			}
		}()
	}
	// Wait until every desk has launched something, then back up while
	// they go on.
	eventually(t, "the desks launch", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(committed) >= 20
	})
	mu.Lock()
	before := map[string]bool{}
	for id := range committed {
		before[id] = true
	}
	mu.Unlock()
	copyPath := filepath.Join(dir, "backup.db")
	r := runEnv(t, env, "backup", copyPath, "--store", db)
	close(stop)
	wg.Wait()
	if r.code != 0 || !strings.Contains(r.out, "MAC chain intact") {
		t.Fatalf("backup: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if fi, err := os.Stat(copyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v %v", fi.Mode(), err)
	}
	cp, err := session.OpenStore("sqlite:"+copyPath, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	list, err := cp.List(context.Background(), session.Query{})
	if err != nil {
		t.Fatal(err)
	}
	inCopy := map[string]bool{}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range list {
		inCopy[s.ID] = true
		if !committed[s.ID] {
			t.Errorf("the copy holds %s, which was never committed", s.ID)
		}
	}
	for id := range before {
		if !inCopy[id] {
			t.Errorf("session %s, committed before the backup, is missing from it", id)
		}
	}
	t.Logf("%d sessions committed before the backup, %d in the copy, %d in all", len(before), len(inCopy), len(committed))
	if !strings.Contains(r.out, fmt.Sprintf("backup %s: %d sessions", copyPath, len(inCopy))) {
		t.Errorf("the summary does not count the copy's sessions:\n%s", r.out)
	}

	// Never over an existing file.
	if r := runEnv(t, env, "backup", copyPath, "--store", db); r.code != 2 || !strings.Contains(r.err, "exists") {
		t.Errorf("backup over an existing file: exit %d\n%s", r.code, r.err)
	}
}

// A PostgreSQL store is backed up with pg_dump: the command says how,
// without the password.
func TestBackupPostgresSaysPgDump(t *testing.T) {
	isolate(t)
	r := cli(t, nil, "backup", filepath.Join(t.TempDir(), "x.dump"), "--store", "postgres://desk:s3cretpw@127.0.0.1:1/kyc")
	if r.code != 1 || !strings.Contains(r.out, "pg_dump --format=custom") || strings.Contains(r.out+r.err, "s3cretpw") {
		t.Errorf("exit %d\n%s%s", r.code, r.out, r.err)
	}
}
