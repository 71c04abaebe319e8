package idenfy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
)

// seed002Response is the "all fields" example answer of seed 002.
const seed002Response = `{"message":"Token created successfully","authToken":"pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC",
"scanRef":"ec6a7108-8c26-11e9-9758-309c231b1bac","clientId":"100000","firstName":"JOHN TOM","lastName":"SMITH",
"successUrl":"https://www.my-company.com/idenfy/success","locale":"en","showInstructions":true,"country":"lt",
"expiryTime":600,"sessionLength":600,"documents":["PASSPORT"],"allowedDocuments":{"ALL":["ID_CARD","PASSPORT"]},
"digitString":"4823657","tokenType":"IDENTIFICATION","utilityBill":false,"additionalSteps":null,
"riskAssessmentProfile":"e8cadb52-d429-4dc2-b788-99dfbbe8a4ab"}`

func FuzzDecodeTokenResponse(f *testing.F) {
	for _, s := range []string{seed002Response, okToken, `{}`, `null`, `[]`, `"x"`, `{"authToken":1}`,
		`{"authToken":"a","expiryTime":"x","sessionLength":-4}`, `{"authToken":"a","expiryTime":1e308}`,
		`{"authToken":"a","expiryTime":-1,"redirectUrl":"javascript:alert(1)"}`,
		`{"authToken":"a","expiryTime":9223372036854775807}`, `{"authToken":"\u001b[31ma\u0007","clientId":null}`,
		`{"authToken":"a b&c","redirectUrl":"https://x.example/r?a=\u009b1m"}`, `{"authToken":"a","digitString":12345678}`,
		`{"authToken":"a","scanRef":{"x":1},"expiryTime":[1]}`, "{\"authToken\":\"\xff\xfe\"}"} {
		f.Add([]byte(s))
	}
	c := testClient(f, "http://127.0.0.1:8470").(*client)
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := decodeToken(body)
		if err != nil {
			return
		}
		if tok.AuthToken == "" {
			t.Fatal("accepted a token without authToken")
		}
		for _, s := range []string{tok.AuthToken, tok.ScanRef, tok.DigitString, tok.ClientID, tok.RedirectURL, tok.Message} {
			if !clean(s) || strings.ContainsAny(s, "\n\t") {
				t.Fatalf("not clean: %q", s)
			}
		}
		l := c.launchFrom(tok, providers.Values{"clientId": {"c"}}, t0)
		if !usableURL(l.URL) {
			t.Fatalf("unusable URL %q", l.URL)
		}
		if !l.ExpiresAt.After(t0) || l.ExpiresAt.After(t0.Add(time.Duration(maxTrustedExpiry)*time.Second)) {
			t.Fatalf("ExpiresAt %v", l.ExpiresAt)
		}
		if l.References["authToken"] != tok.AuthToken {
			t.Fatal("authToken lost")
		}
	})
}

func FuzzDecodeErrorResponse(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{400, `{"identifier":"BAD_VALUE","message":"firstName: bad"}`},
		{401, `{"message":"Invalid authorization credentials"}`},
		{402, `{"message":"Action not allowed due to lack of funds or exceeded limit."}`},
		{403, `{"message":"Partner inactive"}`},
		{409, ``},
		{429, `{"identifier":"TOO_MANY_REQUESTS"}`},
		{500, `{"identifier":"INTERNAL_ERROR","message":"x"}`},
		{502, `<html>bad gateway</html>`},
		{400, `{"identifier":"PARTNER_ERROR","message":"Token has not expired yet.","documentation":"\u001b]8;;x\u0007","severity":"NOT_SEVERE"}`},
		{400, `{"identifier":{"a":1},"message":["x"]}`},
		{400, "\x1b[2J\xff"},
	} {
		f.Add(s.status, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 0 {
			status = -status
		}
		status = 400 + status%200
		e := decodeError(status, body)
		if e.Kind != providers.KindRejected && e.Kind != providers.KindUnknown {
			t.Fatalf("kind %s", e.Kind)
		}
		if (status >= 500 || e.Code == "INTERNAL_ERROR") != (e.Kind == providers.KindUnknown) {
			t.Fatalf("status %d code %s kind %s", status, e.Code, e.Kind)
		}
		if e.Code == "" || e.Message == "" || e.Action == "" || e.HTTPStatus != status {
			t.Fatalf("incomplete: %+v", e)
		}
		if !clean(e.Message) || !clean(e.Action) || !clean(e.Code) || strings.ContainsAny(e.Code, "\n\t") {
			t.Fatalf("not clean: %+v", e)
		}
	})
}

func FuzzDecodeStatusResponse(f *testing.F) {
	for _, s := range []string{
		`{"status":"APPROVED","scanRef":"s","autoDocument":"DOC_VALIDATED","autoFace":"FACE_MATCH","fraudTags":[],"mismatchTags":["NAME"]}`,
		`{"status":"EXPIRED-DELETED"}`, `{"status":null}`, `{"status":5}`, `{}`, `[]`, `{"status":"ACTIVE","fraudTags":"X"}`,
		`{"status":"DENIED","fraudTags":[1,null,{"a":"b"},"\u001b[31mT"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		state, detail, fields, err := decodeStatus(body)
		if err != nil {
			if state != providers.StateUnknown {
				t.Fatal("state on error")
			}
			return
		}
		switch state {
		case providers.StatePending, providers.StateApproved, providers.StateDenied, providers.StateSuspected,
			providers.StateExpired, providers.StateUnknown:
		default:
			t.Fatalf("state %q", state)
		}
		if !clean(detail) {
			t.Fatalf("detail %q", detail)
		}
		for k, v := range fields {
			if !clean(v) || v == "" {
				t.Fatalf("%s = %q", k, v)
			}
		}
	})
}

func FuzzValidate(f *testing.F) {
	for _, s := range [][2]string{
		{"clientId", "100000"}, {"firstName", "John Tom"}, {"firstName", "J0hn"}, {"expiryTime", "600"},
		{"expiryTime", "1e9"}, {"sessionLength", "60"}, {"documents", "PASSPORT,ID_CARD"}, {"documents", ",,,"},
		{"nationality", "ALL"}, {"additionalSteps", `{"ALL":{}}`}, {"additionalSteps", `{"a":`},
		{"additionalData", `{"x":1}`}, {"levenshteinTextMatchRatio", "NaN"}, {"levenshteinTextMatchRatio", "0x1p-2"},
		{"ageLimit", "18"}, {"dateOfIssue", "2020-02-29"}, {"country", "lt"}, {"locale", "EN"},
		{"showInstructions", "TRUE"}, {"callbackUrl", "https://x.example/\u202e"}, {"unknownField", "1"},
		{"riskAssessmentProfile", "e8cadb52-d429-4dc2-b788-99dfbbe8a4ab"}, {"personScanRef", "p"}, {"", "0"},
	} {
		f.Add(s[0], s[1])
	}
	c := testClient(f, "http://127.0.0.1:8470").(*client)
	f.Fuzz(func(t *testing.T, name, value string) {
		v := providers.Values{"clientId": {"c-1"}, name: {value}}
		errs := c.Validate(v)
		for _, e := range errs {
			if (e.Field == "" && strings.TrimSpace(name) != "") || e.Message == "" {
				t.Fatalf("problem without field or message: %+v", e)
			}
		}
		if refusals, _ := providers.Problems(errs); len(refusals) > 0 {
			return
		}
		body, err := c.body(c.canonical(v))
		if err != nil {
			t.Fatalf("valid values did not encode: %v", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("body is not a JSON object: %s", body)
		}
		if _, ok := m["clientId"]; !ok {
			t.Fatalf("clientId missing: %s", body)
		}
		for k, raw := range m {
			p, ok := c.spec.Lookup(k)
			if !ok {
				t.Fatalf("unknown field sent: %s", k)
			}
			switch p.Kind {
			case providers.KindInt, providers.KindFloat:
				var n float64
				if json.Unmarshal(raw, &n) != nil {
					t.Fatalf("%s sent as %s", k, raw)
				}
			case providers.KindBool:
				var b bool
				if json.Unmarshal(raw, &b) != nil {
					t.Fatalf("%s sent as %s", k, raw)
				}
			case providers.KindMultiEnum:
				var l []string
				if json.Unmarshal(raw, &l) != nil {
					t.Fatalf("%s sent as %s", k, raw)
				}
			}
		}
	})
}

// FuzzSimulatorToken feeds arbitrary bodies to the simulator's token
// endpoint: it answers 201 with a token or a documented error, never panics.
func FuzzSimulatorToken(f *testing.F) {
	for _, s := range []string{`{"clientId":"a"}`, seed002Response, `{}`, `{"clientId":1}`, `[`, `{"clientId":"a","documents":[1]}`,
		`{"clientId":"a","expiryTime":1e400}`, `{"clientId":"a","utilityBill":true,"additionalSteps":{}}`,
		`{"personScanRef":"x","generateDigitString":true}`, `{"clientId":"a","sessionLength":-0}`} {
		f.Add([]byte(s))
	}
	sim := NewSimulator(providers.SimOptions{PublicURL: "http://sandbox.test", Now: clocktest.New(t0).Now})
	mux := http.NewServeMux()
	sim.Register(mux)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, TokenPath, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(SandboxAPIKey, SandboxAPISecret)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("answer %d is not JSON: %q", rec.Code, rec.Body.String())
		}
		switch rec.Code {
		case http.StatusCreated:
			if s, _ := m["authToken"].(string); s == "" || len(s) > 40 {
				t.Fatalf("authToken %v", m["authToken"])
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			switch m["identifier"] {
			case "JSON_ERROR", "BAD_VALUE", "MISSING_VALUE", "ENCODING_ERROR":
			default:
				t.Fatalf("identifier %v", m["identifier"])
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
