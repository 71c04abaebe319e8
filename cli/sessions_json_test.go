package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/session"
)

// listJSONBefore is one session of `sessions --json` as the command built
// it before it wrote objects itself: a map marshalled by encoding/json.
func listJSONBefore(s *session.Session) map[string]any {
	j := sessionJSON(s, s.State)
	m := map[string]any{"session": j.Session, "provider": j.Provider, "mode": j.Mode, "url": j.URL,
		"references": j.References, "expiresAt": j.ExpiresAt, "status": j.Status, "customer": s.Customer, "label": s.Extra[desk.LabelKey],
		"createdAt": s.CreatedAt.UTC().Format(time.RFC3339), "operator": s.Operator, "desk": s.Desk, "source": source(s)}
	if j.Device != nil {
		m["device"] = j.Device
	}
	return m
}

// TestSessionsJSONAsEncodingJSON: `sessions --json` prints, byte for byte,
// what json.MarshalIndent printed for each session, through the store's
// listing and through whole sessions alike.
func TestSessionsJSONAsEncodingJSON(t *testing.T) {
	isolate(t)
	startSandbox(t, noEnv)
	run0(t, "launch", "idenfy", "--set", "clientId=cust-<&>-1", "--label", "T-043 ž", "--json")
	run0(t, "launch", "idenfy", "--set", "clientId=cust-2", "--set", "locale=de")
	run0(t, "launch", "alibaba", "--set", "MerchantUserId=u1", "--set", "DocType=01000000")
	run0(t, "launch", "dws", "--set", "identityValue=+447400123456")
	got := run0(t, "sessions", "--json").out

	st, err := openHistory(&IO{Getenv: os.Getenv}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var want bytes.Buffer
	want.WriteString("{\n  \"sessions\": [")
	n := 0
	var whole []*session.Session
	for s, err := range st.All(context.Background(), session.Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		whole = append(whole, s)
		b, err := json.MarshalIndent(listJSONBefore(s), "    ", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			want.WriteByte(',')
		}
		want.WriteString("\n    ")
		want.Write(b)
		n++
	}
	want.WriteString("\n  ]\n}\n")
	if n != 4 {
		t.Fatalf("%d sessions in the store, want 4", n)
	}
	if got != want.String() {
		t.Errorf("sessions --json:\n%s\nencoding/json:\n%s", got, want.String())
	}
	// A store without its own listing: whole sessions, the same bytes.
	var viaWhole bytes.Buffer
	w := bufio.NewWriter(&viaWhole)
	err = streamJSON(w, func(yield func(*session.ListRow, error) bool) {
		for _, s := range whole {
			r := session.RowOf(s)
			if !yield(&r, nil) {
				return
			}
		}
	})
	w.Flush()
	if err != nil || viaWhole.String() != want.String() {
		t.Errorf("through whole sessions (%v):\n%s\nencoding/json:\n%s", err, viaWhole.String(), want.String())
	}
}
