//go:build unix

package callbacks_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/callbacks"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/session"
	_ "github.com/kycdesk/kycdesk/session/postgres"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// pgCluster is a throwaway PostgreSQL of scripts/postgres.sh that this
// test may stop and start (a shared one would fail other tests).
type pgCluster struct {
	url, dir, bin, user, port string
}

func startCluster(t *testing.T) *pgCluster {
	t.Helper()
	env := filepath.Join(t.TempDir(), "pgenv")
	script, _ := filepath.Abs("../scripts/postgres.sh")
	if out, err := exec.Command("bash", script, "start", env).CombinedOutput(); err != nil {
		t.Fatalf("scripts/postgres.sh start: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("bash", script, "stop", env).Run() })
	f, err := os.Open(env)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &pgCluster{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		v = strings.Trim(v, "'")
		switch k {
		case "KYCDESK_TEST_POSTGRES":
			c.url = v
		case "KYCDESK_TEST_POSTGRES_DIR":
			c.dir = v
		case "KYCDESK_TEST_POSTGRES_BIN":
			c.bin = v
		case "KYCDESK_TEST_POSTGRES_USER":
			c.user = v
		}
	}
	u, err := url.Parse(c.url)
	if err != nil || c.dir == "" || c.bin == "" {
		t.Fatalf("scripts/postgres.sh wrote no usable %s", env)
	}
	c.port = u.Port()
	return c
}

// pgctl runs pg_ctl as the cluster's user.
func (c *pgCluster) pgctl(t *testing.T, args ...string) {
	t.Helper()
	args = append([]string{"-D", filepath.Join(c.dir, "data"), "-w", "-t", "60"}, args...)
	name, argv := filepath.Join(c.bin, "pg_ctl"), args
	if os.Getuid() == 0 {
		name, argv = "runuser", append([]string{"-u", c.user, "--", filepath.Join(c.bin, "pg_ctl")}, args...)
	}
	if out, err := exec.Command(name, argv...).CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (c *pgCluster) stop(t *testing.T) { c.pgctl(t, "-m", "fast", "stop") }

func (c *pgCluster) start(t *testing.T) {
	c.pgctl(t, "-l", filepath.Join(c.dir, "server.log"), "-o",
		"-c listen_addresses=127.0.0.1 -p "+c.port+" -k "+c.dir+" -c fsync=off", "start")
}

// approving is Alibaba's CheckResult answering approved.
type approving struct{ providers.Client }

func (approving) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	return &providers.Status{State: providers.StateApproved, Detail: "passed (SubCode 200)",
		Fields: map[string]string{"Passed": "Y", "SubCode": "200"}}, nil
}

// TestSpoolAcrossAPostgresRestart: PostgreSQL stops while the customer
// finishes; iDenfy's webhook and Alibaba's callback are answered 200 and
// spooled; PostgreSQL starts again and the receiver, on its own, records
// both in the store and empties the spool.
func TestSpoolAcrossAPostgresRestart(t *testing.T) {
	if os.Getenv("KYCDESK_TEST_POSTGRES") == "" {
		t.Skip("KYCDESK_TEST_POSTGRES is not set: this test starts, stops and restarts its own cluster with scripts/postgres.sh, which needs PostgreSQL installed")
	}
	c := startCluster(t)
	getenv := func(k string) string {
		if k == session.KeyEnv {
			return storetest.TestKey
		}
		return ""
	}
	st, err := session.OpenStore(c.url, getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
	launch := func(provider string, refs map[string]string) string {
		s, err := st.Intent(ctx, session.Intent{Provider: provider, Mode: providers.ModeSandbox, Endpoint: "http://127.0.0.1:1", Request: req})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Outcome(ctx, s.ID, session.Outcome{References: refs, URL: "http://127.0.0.1:1/x", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	idenfyID := launch(idenfy.ID, map[string]string{"scanRef": "scan-restart", "authToken": "tok"})
	alibabaID := launch(alibaba.ID, map[string]string{"TransactionId": "tx-restart", "MerchantBizId": "BIZRESTART"})

	d := desk.New(desk.Options{Registry: catalog.All(), Mode: providers.ModeSandbox, Store: st,
		Resolve: func(desc providers.Descriptor, mode providers.Mode, endpoint string) *desk.Provider {
			p := &desk.Provider{Desc: desc, Endpoint: endpoint}
			if desc.ID == alibaba.ID {
				p.Client = approving{}
			}
			return p
		}})
	signing, aliKey := []byte("signing-key"), []byte("receiver-key")
	recv := callbacks.New(d.CallbackSink(), callbacks.Options{IdenfySigningKey: signing, AlibabaKey: aliKey,
		AnswerTimeout: 2 * time.Second, SpoolRetry: 100 * time.Millisecond})
	defer recv.Close()
	spoolPath := filepath.Join(t.TempDir(), "callbacks.spool")
	if err := recv.OpenSpool(spoolPath); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	c.stop(t)

	body := []byte(`{"scanRef":"scan-restart","clientId":"c","final":true,"status":{"overall":"APPROVED","autoFace":"FACE_MATCH","autoDocument":"DOC_VALIDATED","fraudTags":[],"mismatchTags":[]}}`)
	hook, _ := http.NewRequest(http.MethodPost, srv.URL+callbacks.IdenfyPath, bytes.NewReader(body))
	hook.Header.Set(idenfy.SignatureHeader, idenfy.SignWebhook(signing, body))
	resp, err := http.DefaultClient.Do(hook)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("iDenfy webhook with PostgreSQL stopped: %d, want 200", resp.StatusCode)
	}
	q := url.Values{"callbackToken": {alibaba.CallbackToken(aliKey, "BIZRESTART")}, "transactionId": {"tx-restart"}, "passed": {"Y"}, "subCode": {"200"}}
	resp, err = http.Get(srv.URL + callbacks.AlibabaPath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != alibaba.CallbackAnswerStatus {
		t.Fatalf("Alibaba callback with PostgreSQL stopped: %d", resp.StatusCode)
	}
	recv.Wait()
	if n := recv.Spooled(); n != 2 {
		t.Fatalf("%d calls spooled, want 2 (counts %+v)", n, recv.Counts())
	}
	if fi, err := os.Stat(spoolPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("spool file: %v %v", fi, err)
	}

	c.start(t)

	// The receiver replays on its own; bounded by a generous deadline, not
	// a timing threshold.
	deadline := time.Now().Add(2 * time.Minute)
	for recv.Spooled() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the spool was not replayed after PostgreSQL came back: %d left", recv.Spooled())
		}
		time.Sleep(50 * time.Millisecond)
	}
	recv.Wait()
	for id, want := range map[string]providers.State{idenfyID: providers.StateApproved, alibabaID: providers.StateApproved} {
		s, err := st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.State != want {
			t.Errorf("session %s (%s) after the replay: %s, want %s", id, s.Provider, s.State, want)
		}
	}
	if _, err := os.Stat(spoolPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("spool file left after the replay: %v", err)
	}
}
