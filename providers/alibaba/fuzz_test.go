package alibaba

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

func unsafeText(s string) bool {
	return strings.ContainsAny(s, "\x1b\x07\x00\r\u202e")
}

func FuzzDecodeInitialize(f *testing.F) {
	f.Add(200, []byte(`{"RequestId":"r","Code":"Success","Message":"success","Result":{"TransactionId":"08573be80f944d95ac812e019e3655a8","TransactionUrl":"https://x.example/v","Protocol":"hksb"}}`))
	f.Add(400, []byte(`{"RequestId":"r","Code":"InvalidParameter","Message":"bad \u001b[31m"}`))
	f.Add(403, []byte(`{"Code":"Throttling.Api"}`))
	f.Add(503, []byte(`<html>`))
	f.Add(200, []byte(`{"Code":123,"Message":null,"Result":[]}`))
	f.Add(200, []byte(`{"Code":"Success","Result":{"TransactionId":"a","TransactionUrl":"javascript:x"}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		r, _, err := DecodeInitialize(&providers.Response{Status: status, Body: body})
		if err != nil {
			e := providers.AsError(err)
			if e.Kind != providers.KindRejected && e.Kind != providers.KindUnknown {
				t.Fatalf("kind %s", e.Kind)
			}
			if e.Action == "" || unsafeText(e.Message) || unsafeText(e.Code) {
				t.Fatalf("error %#v", e)
			}
			return
		}
		if r.TransactionID == "" || unsafeText(r.TransactionID+r.TransactionURL+r.Protocol) {
			t.Fatalf("result %+v", r)
		}
		if u, err := url.Parse(r.TransactionURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			t.Fatalf("url %q", r.TransactionURL)
		}
	})
}

func FuzzDecodeCheckResult(f *testing.F) {
	f.Add(200, []byte(`{"Code":"Success","Result":{"Passed":"Y","SubCode":"200","ExtFaceInfo":"{\"facePassed\":\"Y\"}"}}`))
	f.Add(200, []byte(`{"Code":"Success","Result":{"Passed":"N","ExtIdInfo":{"ocrIdInfo":{"docType":"01560001"}}}}`))
	f.Add(404, []byte(`{"Code":"ProcessNotCompleted"}`))
	f.Add(400, []byte(`{"Code":"TransactionIdInvalid"}`))
	f.Add(200, []byte(`{"Code":"Success","Result":{"Passed":"P","ExtInfo":"[[[[1]]]]"}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		st, err := DecodeCheckResult(&providers.Response{Status: status, Body: body}, time.Unix(0, 0))
		if err != nil {
			if e := providers.AsError(err); e.Action == "" || unsafeText(e.Message) {
				t.Fatalf("error %#v", e)
			}
			return
		}
		switch st.State {
		case providers.StatePending, providers.StateApproved, providers.StateDenied, providers.StateUnknown:
		default:
			t.Fatalf("state %s", st.State)
		}
		if strings.ContainsAny(st.Detail, "\x1b\x07\x00\r\n\u202e") {
			t.Fatalf("detail %q", st.Detail)
		}
		for k, v := range st.Fields {
			if unsafeText(k) || unsafeText(v) {
				t.Fatalf("field %q=%q", k, v)
			}
		}
	})
}

func FuzzValidate(f *testing.F) {
	f.Add("DocType", "000000011", "MerchantUserId", "alice")
	f.Add("ShowBlbumIcon", "0", "MetaInfo", "h5")
	f.Add("MetaInfo", `{"deviceType":"web"}`, "Model", "PHOTINUS_LIVENESS")
	f.Add("MerchantBizId", "ab_c", "SceneCode", "x\x00y")
	f.Add("CallbackUrl", "http://example.com", "kycdeskSendUserIdAsTyped", "true")
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		v := validValues()
		v.Add(n1, v1)
		v.Add(n2, v2)
		errs := c.Validate(v)
		for _, e := range errs {
			if e.Field == "" || e.Message == "" {
				t.Fatalf("unnamed problem %+v", e)
			}
		}
		refusals, _ := providers.Problems(errs)
		req, err := c.Request(t.Context(), v)
		if len(refusals) > 0 {
			if providers.AsError(err).Kind != providers.KindInvalid {
				t.Fatalf("refusals %v but Request: %v", refusals, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid values, Request: %v", err)
		}
		spec := Spec()
		for k := range req.URL.Query() {
			if _, ok := spec.Lookup(k); !ok || k == LocalSendUserIDAsTyped {
				t.Fatalf("sent %q", k)
			}
		}
	})
}

// The client's canonical query and the simulator's (two implementations
// written from the same spec) agree on what goes on the wire.
func FuzzCanonicalQueryAgrees(f *testing.F) {
	f.Add("MetaInfo", `{"deviceType":"h5","ua":"Mozilla/5.0 (X11) *~"}`, "ReturnUrl", "https://example.com/done?a=1&b=2 c")
	f.Add("a", "", "b", "ü+%20")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		q := url.Values{}
		for _, kv := range [][2]string{{k1, v1}, {k2, v2}} {
			k := strings.Map(func(r rune) rune {
				if isAlnum(r) {
					return r
				}
				return -1
			}, kv[0])
			if k == "" {
				k = "k"
			}
			q.Add(k, kv[1])
		}
		wire := CanonicalQuery(q)
		_, sim, ok := simQuery(wire)
		if !ok || sim != wire {
			t.Fatalf("client %q, simulator %q", wire, sim)
		}
	})
}

func FuzzRenderJSON(f *testing.F) {
	f.Add(`{"a":{"b":[1,"x",{"c":null}]}}`)
	f.Add(`"just a string"`)
	f.Add("{\"k\\u001b\":\"v\"}")
	f.Fuzz(func(t *testing.T, s string) {
		if out := RenderJSON(s); unsafeText(out) {
			t.Fatalf("%q → %q", s, out)
		}
	})
}
