package callbacks

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// TestSpoolWhileTheStoreIsDown: with the store down, iDenfy's webhook and
// Alibaba's callback are answered 200 and kept in a private spool file;
// a replay while the store is still down keeps them; once it is back they
// are recorded (signature checked again, CheckResult asked) and the file
// is gone.
func TestSpoolWhileTheStoreIsDown(t *testing.T) {
	key := []byte("receiver-key")
	sink := newSink()
	sink.add("idenfy", "s1", &Session{Launch: &providers.Launch{Provider: "idenfy"}})
	client := &fakeAlibaba{state: providers.StateApproved}
	sink.add("alibaba", "tx1", &Session{Launch: &providers.Launch{Provider: "alibaba",
		References: map[string]string{"TransactionId": "tx1", "MerchantBizId": "BIZ1"}}, Client: client})
	r := New(sink, Options{IdenfySigningKey: signingKey, AlibabaKey: key, SpoolRetry: 1 << 40}) // replays only when asked
	defer r.Close()
	path := filepath.Join(t.TempDir(), "callbacks.spool")
	if err := r.OpenSpool(path); err != nil {
		t.Fatal(err)
	}
	sink.setDown(errors.New("connection refused"))

	body := []byte(`{"scanRef":"s1","clientId":"c","final":true,"status":{"overall":"APPROVED","autoFace":"FACE_MATCH","autoDocument":"DOC_VALIDATED","fraudTags":[],"mismatchTags":[]}}`)
	if rec := post(t, r, body, idenfy.SignWebhook(signingKey, body)); rec.Code != http.StatusOK {
		t.Fatalf("idenfy with the store down: %d, want 200 (spooled)", rec.Code)
	}
	good := url.Values{"callbackToken": {alibaba.CallbackToken(key, "BIZ1")}, "transactionId": {"tx1"}, "passed": {"Y"}, "subCode": {"200"}}
	if code := get(r, good); code != alibaba.CallbackAnswerStatus {
		t.Fatalf("alibaba with the store down: %d", code)
	}
	r.Wait()
	if r.Spooled() != 2 || r.Count("idenfy", Accepted, ReasonSpooled) != 1 || r.Count("alibaba", Accepted, ReasonSpooled) != 1 {
		t.Fatalf("spooled %d, counts %+v", r.Spooled(), r.Counts())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("spool file mode %v, want 0600", fi.Mode().Perm())
	}
	if n, err := r.Replay(context.Background()); err == nil || n != 0 || r.Spooled() != 2 {
		t.Fatalf("replay with the store still down: %d replayed, err %v, %d left", n, err, r.Spooled())
	}
	// A receiver started anew (a restarted server) finds the same calls.
	r2 := New(sink, Options{IdenfySigningKey: signingKey, AlibabaKey: key, SpoolRetry: 1 << 40})
	defer r2.Close()
	if err := r2.OpenSpool(path); err != nil || r2.Spooled() != 2 {
		t.Fatalf("reopened spool: %d entries, %v", r2.Spooled(), err)
	}
	r2.Close()

	sink.setDown(nil)
	if n, err := r.Replay(context.Background()); err != nil || n != 2 {
		t.Fatalf("replay with the store back: %d, %v", n, err)
	}
	r.Wait()
	if got := sink.statuses("idenfy", "s1"); len(got) != 1 || got[0].State != providers.StateApproved {
		t.Fatalf("idenfy after replay: %+v", got)
	}
	if got := sink.statuses("alibaba", "tx1"); len(got) != 1 || got[0].State != providers.StateApproved || client.calls.Load() != 1 {
		t.Fatalf("alibaba after replay: %+v, %d CheckResults", got, client.calls.Load())
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the spool file stays after everything was replayed: %v", err)
	}
}

// TestSpoolConfirmedResult: CheckResult answered but the store could not
// take the answer: the answer itself is spooled and recorded later, with
// no second CheckResult.
func TestSpoolConfirmedResult(t *testing.T) {
	key := []byte("receiver-key")
	sink := newSink()
	client := &fakeAlibaba{state: providers.StateApproved}
	sink.add("alibaba", "tx1", &Session{Launch: &providers.Launch{Provider: "alibaba",
		References: map[string]string{"TransactionId": "tx1", "MerchantBizId": "BIZ1"}}, Client: client})
	r := New(sink, Options{AlibabaKey: key, SpoolRetry: 1 << 40})
	defer r.Close()
	if err := r.OpenSpool(filepath.Join(t.TempDir(), "spool")); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	sink.fail = errors.New("disk full")
	sink.mu.Unlock()
	get(r, url.Values{"callbackToken": {alibaba.CallbackToken(key, "BIZ1")}, "transactionId": {"tx1"}})
	r.Wait()
	if r.Spooled() != 1 {
		t.Fatalf("spooled %d", r.Spooled())
	}
	sink.mu.Lock()
	sink.fail = nil
	sink.mu.Unlock()
	if n, err := r.Replay(context.Background()); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	if got := sink.statuses("alibaba", "tx1"); len(got) != 1 || got[0].State != providers.StateApproved || client.calls.Load() != 1 {
		t.Fatalf("%+v, %d CheckResults", got, client.calls.Load())
	}
}

// TestSpoolBounded: a full spool refuses (iDenfy then gets 503 and
// retries, as before the spool existed), and a damaged spool file is
// refused at start with what to do.
func TestSpoolBounded(t *testing.T) {
	sink := newSink()
	sink.add("idenfy", "s1", &Session{Launch: &providers.Launch{Provider: "idenfy"}})
	r := New(sink, Options{IdenfySigningKey: signingKey, SpoolEntries: 2, SpoolRetry: 1 << 40})
	defer r.Close()
	if err := r.OpenSpool(filepath.Join(t.TempDir(), "spool")); err != nil {
		t.Fatal(err)
	}
	sink.setDown(errors.New("down"))
	body := []byte(`{"scanRef":"s1","final":true,"status":{"overall":"DENIED"}}`)
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusServiceUnavailable} {
		if rec := post(t, r, body, idenfy.SignWebhook(signingKey, body)); rec.Code != want {
			t.Fatalf("webhook %d: %d, want %d", i, rec.Code, want)
		}
	}
	if r.Spooled() != 2 {
		t.Fatal(r.Spooled())
	}
	sink.setDown(nil)
	if n, err := r.Replay(context.Background()); n != 2 || err != nil {
		t.Fatal(n, err)
	}
	if got := sink.statuses("idenfy", "s1"); len(got) == 0 || got[0].State != providers.StateDenied {
		t.Fatalf("%+v", got)
	}
	// A damaged file is refused with a message that says what to do.
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("{not json"), 0o644)
	if err := New(sink, Options{}).OpenSpool(bad); err == nil || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("damaged spool: %v", err)
	}
}
