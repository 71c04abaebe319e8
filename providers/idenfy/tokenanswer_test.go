package idenfy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/jsonw"
	"github.com/kycdesk/kycdesk/providers"
)

// tokenAnswerMap is the answer as the simulator built it before
// appendTokenAnswer: a map marshalled by encoding/json. The two must write
// the same bytes.
func tokenAnswerMap(req map[string]any, sess *simSession, redirect string) map[string]any {
	resp := map[string]any{}
	for k, v := range req {
		resp[k] = v
	}
	docs := append([]string(nil), sess.documents...)
	allowedKey := "ALL"
	if sess.country != "" {
		allowedKey = sess.country
	}
	for k, v := range map[string]any{
		"message": "Token created successfully", "authToken": sess.authToken, "scanRef": sess.scanRef,
		"clientId": sess.clientID, "personScanRef": sess.clientID, "locale": sess.locale,
		"showInstructions": sess.showInstructions, "expiryTime": int64(sess.expiry / time.Second),
		"sessionLength": int64(sess.sessionLength / time.Second), "documents": docs,
		"allowedDocuments": map[string][]string{allowedKey: docs}, "tokenType": sess.tokenType, "redirectUrl": redirect,
	} {
		resp[k] = v
	}
	for _, k := range []string{"firstName", "lastName", "nationality"} {
		if v, ok := req[k].(string); ok {
			resp[k] = strings.ToUpper(v)
		}
	}
	for _, k := range tokenNullFields {
		if _, ok := resp[k]; !ok {
			resp[k] = nil
		}
	}
	if _, ok := resp["utilityBill"]; !ok {
		resp["utilityBill"] = false
	}
	if d := sess.options().digitString; d != "" {
		resp["digitString"] = d
	} else {
		resp["digitString"] = nil
	}
	return resp
}

func TestTokenAnswerAsMap(t *testing.T) {
	bodies := []string{
		`{"clientId":"c"}`,
		`{"clientId":"tp-1","firstName":"jonas <&>","lastName":"ž\u2028","nationality":"lt","country":"lt","utilityBill":true}`,
		`{"clientId":"c","documents":["PASSPORT"],"expiryTime":600,"sessionLength":300,"locale":"de","tokenType":"DOCUMENT",
		  "additionalData":{"b":1.50,"a":[1,"x",null]},"zzz":"after","AAA":"before","generateDigitString":true,"showInstructions":false,
		  "callbackUrl":"https://example.test/cb?a=1&b=2","externalRef":"x\"y\\z","dateOfBirth":"1990-01-02"}`,
		`{"clientId":"c","firstName":42,"utilityBill":null,"questionnaire":"q","riskAssessmentProfile":"r"}`,
		`{"clientId":"c","personScanRef":"p","message":"m","authToken":"t","digitString":"d","redirectUrl":null,"nationality":null,"lastName":"x"}`,
		// Extra members that sort inside runs of left-out members, at
		// their ends and after the last key; sent keys inside runs.
		`{"clientId":"c","additionalE":1,"dateOfC":"x","f":null,"uo":true,"zz":[1]}`,
		`{"clientId":"c","a":1,"additionalData":null,"addresz":2,"dateOfExpiry":"2030-01-01","lastName":"l","unverifiedUrl":"u"}`,
		`{"clientId":"c","utilityBill":false,"sex":"M","riskAssessmentProfile":"r","callbackUrl":"cb","documentNumber":"d","errorUrl":"e","successUrl":"s"}`,
		`{"clientId":"c","questionnaire":"q","personalNumber":"p","nationality":"lt","externalRef":"x","country":"LT","address":"a"}`,
		`{"clientId":"c","b":1,"callbackUrk":1,"countrx":1,"documentNumbes":1,"errorUrk":1,"nationalitz":1,"personalNumbes":1,"riskAssessmentProfilf":1,"sey":1,"successUrk":1,"unverifiedUrk":1}`,
	}
	for _, body := range bodies {
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		var req map[string]any
		if err := dec.Decode(&req); err != nil {
			t.Fatal(err)
		}
		sess := &simSession{authToken: "TOKEN", scanRef: "0000-ref", clientID: req["clientId"].(string), simSettings: &simSettings{
			tokenType: "IDENTIFICATION", locale: "en", documents: []string{"ID_CARD", "PASSPORT"}, expiry: time.Hour,
			sessionLength: 30 * time.Minute, showInstructions: true}}
		if c, ok := req["country"].(string); ok {
			sess.country = strings.ToUpper(c)
		}
		if req["generateDigitString"] == true {
			sess.opt = &simOptional{digitString: "01234567"}
		}
		for _, docs := range [][]string{sess.documents, {"PASSPORT"}, nil} {
			sess.documents = docs
			want, err := json.Marshal(tokenAnswerMap(req, sess, "http://127.0.0.1:1/redirect?authToken=TOKEN"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendTokenAnswer(nil, req, sess, jsonw.AppendString(nil, "http://127.0.0.1:1/redirect?authToken=TOKEN"))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s (documents %v):\n got %s %v\nwant %s", body, docs, got, err, want)
			}
		}
	}
}

// The customer's link in the answer, its start escaped once, reads as the
// whole link escaped for each token would.
func TestRedirectAsWholeString(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "http://sandbox.test:8470"+TokenPath, nil)
	for _, base := range []string{"", "http://127.0.0.1:8470", "https://x.test/a<b>&c", "http://é.test/\u2028", "http://x.test/\xe2\x80"} {
		s := NewSimulator(providers.SimOptions{PublicURL: base}).(*simulator)
		for _, tok := range []string{"pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC", "a b&c/<d>", ""} {
			pub := base
			if pub == "" {
				pub = "http://sandbox.test:8470"
			}
			want := jsonw.AppendString(nil, pub+RedirectPath+"?authToken="+url.QueryEscape(tok))
			if got := s.appendRedirect([]byte("x"), r, tok); !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Errorf("base %q token %q: got %s, want x%s", base, tok, got, want)
			}
		}
	}
}
