package idenfy

import (
	"os"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// The published vector (reference/idenfy.md §4, go-idenfy Client_test.go):
// key "TestingKey" over testdata/webhook.1.json.
const webhookVector = "e7386736c7f0e8ee293a7637a316d64f7193c3197c133576e3f72061100180e2"

func TestWebhookSignatureVector(t *testing.T) {
	body, err := os.ReadFile("testdata/webhook.1.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := SignWebhook([]byte("TestingKey"), body); got != webhookVector {
		t.Fatalf("SignWebhook = %s", got)
	}
	if err := VerifyWebhook([]byte("TestingKey"), body, webhookVector); err != nil {
		t.Fatal(err)
	}
	// Upper-case hex is the same bytes.
	if err := VerifyWebhook([]byte("TestingKey"), body, " E7386736C7F0E8EE293A7637A316D64F7193C3197C133576E3F72061100180E2 "); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		key, body []byte
		header    string
		want      error
	}{
		"unsigned":       {[]byte("TestingKey"), body, "", ErrUnsigned},
		"other key":      {[]byte("TestingKey "), body, webhookVector, ErrBadSignature},
		"body changed":   {[]byte("TestingKey"), append(append([]byte(nil), body...), '\n'), webhookVector, ErrBadSignature},
		"base64 not hex": {[]byte("TestingKey"), body, "5zhnNsfw6O4pNnY3oxbWT3GTwxl8EzV243IGEQAYDiI=", ErrBadSignature},
		"truncated":      {[]byte("TestingKey"), body, webhookVector[:62], ErrBadSignature},
		"not hex":        {[]byte("TestingKey"), body, "zz" + webhookVector[2:], ErrBadSignature},
	} {
		if err := VerifyWebhook(c.key, c.body, c.header); err != c.want {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestParseWebhook(t *testing.T) {
	body, _ := os.ReadFile("testdata/webhook.1.json")
	w, err := ParseWebhook(body, EventAutoFinished)
	if err != nil {
		t.Fatal(err)
	}
	if w.ScanRef != "scan-ref" || w.ClientID != "123" || w.Final || w.Overall != "APPROVED" ||
		w.Fields["autoDocument"] != "DOC_VALIDATED" || w.Fields["manualFace"] != "FACE_MATCH" {
		t.Fatalf("%+v", w)
	}
	now := time.Unix(1700000000, 0)
	st := w.Status(now)
	// final:false: more is coming, so not a final state yet.
	if st.State != providers.StatePending || st.State.Final() || st.Fields["overall"] != "APPROVED" || st.Fields["final"] != "false" ||
		st.Fields["eventType"] != EventAutoFinished || !st.At.Equal(now) {
		t.Fatalf("%+v", st)
	}
	// The personal data the payload carries is not read.
	for _, v := range st.Fields {
		if v == "FIRST-NAME-EXAMPLE" {
			t.Fatal("personal data in the status")
		}
	}

	final := []byte(`{"scanRef":"s1","clientId":"c1","final":true,"status":{"overall":"DENIED","autoFace":"FACE_MISMATCH","fraudTags":["FACE_SUSPECTED"],"mismatchTags":[]}}`)
	w, err = ParseWebhook(final, "")
	if err != nil {
		t.Fatal(err)
	}
	st = w.Status(now)
	if st.State != providers.StateDenied || st.Fields["fraudTags"] != "FACE_SUSPECTED" || st.Fields["final"] != "true" {
		t.Fatalf("%+v", st)
	}

	// Text from the network is sanitized.
	evil := []byte("{\"scanRef\":\"s\\u001b[31m2\",\"final\":true,\"status\":{\"overall\":\"APPROVED\",\"autoFace\":\"\\u001b]52;c;aGk=\\u0007X\"}}")
	w, err = ParseWebhook(evil, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{w.ScanRef, w.Fields["autoFace"], w.Status(now).Detail} {
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character in %q", s)
			}
		}
	}

	// Events without a status (DOCUMENT_EXPIRATION) give no status.
	w, err = ParseWebhook([]byte(`{"scanRef":"s3","clientId":"c","expirationThreshold":30,"documentExpiration":"2030-01-01"}`), EventDocumentExpiration)
	if err != nil || w.Status(now) != nil {
		t.Fatalf("%+v %v", w, err)
	}
	for _, bad := range []string{``, `[]`, `{"final":true}`, `{"scanRef":"x","final":"yes"}`, `{"scanRef":"x","status":[1]}`} {
		if _, err := ParseWebhook([]byte(bad), ""); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
