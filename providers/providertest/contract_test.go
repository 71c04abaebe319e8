package providertest

import (
	"context"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
)

// minimal are the fewest values each provider launches with (what an
// operator types; the rest is default or generated).
var minimal = map[string]providers.Values{
	"idenfy":  {"clientId": {"contract-1"}},
	"alibaba": {"MerchantUserId": {"contract-1"}, "DocType": {"01000000"}},
	"dws":     {"identityValue": {"+447400123456"}},
}

// Every provider in the catalog keeps the same contract with its
// simulator: valid values launch a pending session whose status can be
// asked; values that fail Validate are refused as invalid input with
// nothing sent; a cancelled launch sends nothing either.
func TestEveryProviderKeepsTheContract(t *testing.T) {
	for _, d := range catalog.All() {
		t.Run(d.ID, func(t *testing.T) {
			v, ok := minimal[d.ID]
			if !ok {
				t.Fatalf("no minimal values for %s: add them here", d.ID)
			}
			h := Setup(t, d)
			c := h.Client
			pv := c.Prepare(v)
			if refusals, _ := providers.Problems(c.Validate(pv)); len(refusals) > 0 {
				t.Fatalf("minimal values refused: %v", refusals)
			}
			if _, err := c.Request(context.Background(), pv); err != nil {
				t.Fatalf("request: %v", err)
			}
			if h.Hits.Load() != 0 {
				t.Fatal("building a request sent it")
			}
			l, err := c.Launch(context.Background(), pv)
			if err != nil {
				t.Fatalf("launch: %v", err)
			}
			if len(l.References) == 0 || l.ExpiresAt.IsZero() || (l.URL == "" && l.Challenge == nil) {
				t.Fatalf("launch result lacks references, expiry, or a URL/challenge: %+v", l)
			}
			st, err := c.Status(context.Background(), l)
			if err != nil || st.State != providers.StatePending {
				t.Fatalf("status of a new session: %+v %v", st, err)
			}

			sent := h.Hits.Load()
			_, err = c.Launch(context.Background(), providers.Values{})
			if pe := providers.AsError(err); pe == nil || pe.Kind != providers.KindInvalid {
				t.Errorf("empty values: %v, want invalid input", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := c.Launch(ctx, c.Prepare(v)); err == nil {
				t.Error("a cancelled launch succeeded")
			}
			if h.Hits.Load() != sent {
				t.Errorf("%d request(s) sent for refused or cancelled launches", h.Hits.Load()-sent)
			}
		})
	}
}
