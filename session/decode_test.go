package session

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

func TestEncodeDecodeStrings(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "tab\tnl\ncr\r", "\x00\x1f\x7f", "ünïcødé ✓ 😀",
		"line\u2028sep\u2029", "bad\xffutf8", "</script>&"} {
		b := appendString(nil, s)
		if !json.Valid(b) {
			t.Fatalf("%q encodes to invalid JSON %s", s, b)
		}
		var std string
		json.Unmarshal(b, &std)
		d := newDecoder()
		d.b = b
		got, err := d.str(true)
		if err != nil || got != std {
			t.Fatalf("%q: decoded %q (%v), encoding/json says %q", s, got, err, std)
		}
	}
}

func TestDecodeAcceptsAnyValidJSON(t *testing.T) {
	line := ` { "id" : "abc" , "unknown": {"a":[1,2.5e3,true,null,{"b":"\u00e9"}]}, "at":"2026-03-01T10:00:00+02:00",
	  "type":"intent", "values": {"x":"single", "y":[], "z":["\ud83d\ude00", "a\/b"]}, "attempt": 2 } `
	var r record
	if err := newDecoder().parseLine([]byte(strings.ReplaceAll(line, "\n", "")), &r); err != nil {
		t.Fatal(err)
	}
	if r.kind != recIntent || r.id != "abc" || r.intent.Attempts != 2 ||
		!r.at.Equal(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", r)
	}
	want := providers.Values{"x": {"single"}, "y": nil, "z": {"😀", "a/b"}}
	if !reflect.DeepEqual(r.intent.Values, want) {
		t.Fatalf("%#v", r.intent.Values)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, line := range []string{
		`{"type":"intent","id":"a"`,
		`{"type":"intent","id":"a"} trailing`,
		`{"type":"intent","id":"a",}`,
		`{"type":"intent"}`,
		`{"id":"a"}`,
		`{"type":"status","id":"a","at":"2026-03-01T10:00:00.000Z"}`,
		`{"type":"intent","id":"a","at":"yesterday"}`,
		`["type","intent"]`,
		`{"type":"intent","id":"a","values":{"x":[1]}}`,
		`{"type":"intent","id":"a\q"}`,
		"{\"type\":\"intent\",\"id\":\"a\tb\"}",
	} {
		var r record
		if err := newDecoder().parseLine([]byte(line), &r); err == nil {
			t.Errorf("accepted %s", line)
		}
	}
	var r record
	if err := newDecoder().parseLine([]byte(`{"type":"note-from-the-future","id":"a"}`), &r); err != nil || r.kind != recNone {
		t.Fatalf("a newer record type: %v %v", err, r.kind)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	at := normTime(time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC))
	recs := []record{
		{kind: recIntent, id: "k7f3q9x2", at: at, intent: &Session{Provider: "dws", Mode: providers.ModeLive,
			Endpoint: "https://open-sea.alipay.com", Customer: "****5678", RequestHash: strings.Repeat("ab", 32), Attempts: 1,
			Values: providers.Values{"authenticationRequestId": {"req-1"}, "authenticationType": {"SMS"}}}},
		{kind: recOutcome, id: "k7f3q9x2", at: at, out: &outcome{refs: map[string]string{"authenticationId": "2026\"x"},
			expiresAt: at.Add(time.Hour), singleUse: true, customer: "****5678", extra: map[string]string{"k": "v"},
			challenge: &providers.Challenge{Type: "SMS", RenderValue: "138****5678", ChallengeID: "c", Triggered: true, CodeExpires: at}}},
		{kind: recOutcome, id: "k7f3q9x3", at: at, out: &outcome{err: &ErrorInfo{Kind: providers.KindRejected, Code: "C",
			Field: "f", Message: "m\n", Action: "a", HTTPStatus: 400}}},
		{kind: recStatus, id: "k7f3q9x2", at: at, state: providers.StateSuspected, text: "fraud tags: X"},
		{kind: recResolved, id: "k7f3q9x3", at: at, text: "checked: not created"},
	}
	for _, r := range recs {
		line := appendRecord(nil, &r)
		if !json.Valid(line) || line[len(line)-1] != '\n' || strings.Count(string(line), "\n") != 1 {
			t.Fatalf("bad line %s", line)
		}
		var got record
		if err := newDecoder().parseLine(line[:len(line)-1], &got); err != nil {
			t.Fatal(err)
		}
		if got.out != nil && got.out.err != nil {
			got.out.err.At = time.Time{}
		}
		if got.kind == recOutcome && got.out.err == nil {
			// the decoder fills the customer of both kinds
		}
		if got.intent != nil && got.kind != recIntent {
			got.intent = nil
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip of %s:\ngot  %+v\nwant %+v", line, got, r)
		}
	}
}

func FuzzDecodeLine(f *testing.F) {
	f.Add([]byte(`{"type":"intent","id":"a","at":"2026-03-01T10:00:00.000Z","values":{"x":["1"]}}`))
	f.Add([]byte(`{"type":"outcome","id":"a","error":{"kind":"unknown","httpStatus":504}}`))
	f.Add([]byte(`{"type":"status","id":"a","status":"approved","detail":"\ud800"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var r record
		err := newDecoder().parseLine(line, &r)
		if err == nil && !json.Valid(line) {
			t.Fatalf("accepted invalid JSON %q", line)
		}
	})
}
