package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// The history (d on the sessions list) says where every status came
// from, before its detail, so that a detail cut at 80 columns never hides
// it.
func TestHistoryShowsEachStatusSource(t *testing.T) {
	ctx, j := testContext(t, startSandbox(t))
	o, err := ctx.Desk.Launch(context.Background(), ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"src-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	long := "iDenfy status APPROVED (autoDocument DOC_VALIDATED; autoFace FACE_MATCH; manualDocument DOC_VALIDATED; manualFace FACE_MATCH)"
	if _, err := j.Status(context.Background(), o.ID, &providers.Status{State: providers.StateApproved, Detail: long}, session.SourceAPI); err != nil {
		t.Fatal(err)
	}
	m := New(ctx)
	send(m, size(80, 24))
	send(m, press("s"))
	send(m, press("d"))
	v := m.View()
	if !strings.Contains(v, "pending [launch]") || !strings.Contains(v, "approved [provider API] iDenfy status") {
		t.Fatalf("the history does not show the sources:\n%s", v)
	}
}
