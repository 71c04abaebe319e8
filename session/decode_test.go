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
		d.b = string(b)
		got, err := d.str()
		if err != nil || got != std {
			t.Fatalf("%q: decoded %q (%v), encoding/json says %q", s, got, err, std)
		}
	}
}

func TestDecodeAcceptsAnyValidJSON(t *testing.T) {
	line := ` { "id" : "abc" , "unknown": {"a":[1,2.5e3,true,null,{"b":"\u00e9"}]}, "at":"2026-03-01T10:00:00+02:00",
	  "type":"intent", "values": {"x":"single", "y":[], "z":["\ud83d\ude00", "a\/b"]}, "attempt": 2 } `
	var r record
	if err := newDecoder().parseLine(strings.ReplaceAll(line, "\n", ""), &r); err != nil {
		t.Fatal(err)
	}
	if r.kind != recIntent || r.id != "abc" || r.intent.Attempts != 2 ||
		!r.at.Equal(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v", r)
	}
	want := providers.Values{"x": {"single"}, "y": nil, "z": {"😀", "a/b"}}
	if got := r.intent.Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%#v", got)
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
		`{"type":"intent","id":"a","values":["x"]}`,
		`{"type":"intent","id":"a","values":{"x":[1}}`,
		`{"type":"intent","id":"a\q"}`,
		"{\"type\":\"intent\",\"id\":\"a\tb\"}",
	} {
		var r record
		if err := newDecoder().parseLine(line, &r); err == nil {
			t.Errorf("accepted %s", line)
		}
	}
	var r record
	if err := newDecoder().parseLine(`{"type":"note-from-the-future","id":"a"}`, &r); err != nil || r.kind != recNone {
		t.Fatalf("a newer record type: %v %v", err, r.kind)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	at := normTime(time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC))
	recs := []record{
		{kind: recIntent, id: "k7f3q9x2", at: at, intent: &Session{Provider: "dws", Mode: providers.ModeLive,
			Endpoint: "https://open-sea.alipay.com", Customer: "****5678", RequestHash: strings.Repeat("ab", 32), Attempts: 1,
			values: encodeValues(providers.Values{"authenticationRequestId": {"req-1"}, "authenticationType": {"SMS"}})}},
		{kind: recOutcome, id: "k7f3q9x2", at: at, out: &outcome{refs: encodeMap(map[string]string{"authenticationId": "2026\"x"}),
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
		if err := newDecoder().parseLine(string(line[:len(line)-1]), &got); err != nil {
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
		err := newDecoder().parseLine(string(line), &r)
		if err == nil && !json.Valid(line) {
			t.Fatalf("accepted invalid JSON %q", line)
		}
	})
}

func TestSpecialMatchesNaive(t *testing.T) {
	naive := func(s string, k int) int {
		for ; k < len(s); k++ {
			if c := s[k]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				return k
			}
		}
		return k
	}
	alphabet := []byte{'a', 'Z', '0', ' ', '"', '\\', 0x1f, 0x00, 0x7f, 0x80, 0xff, 0x21, 0x5b, 0x5d, 0x01}
	seed := uint32(1)
	next := func() int { seed = seed*1664525 + 1013904223; return int(seed >> 8) }
	for n := 0; n < 20000; n++ {
		b := make([]byte, next()%40)
		for i := range b {
			if next()%4 == 0 {
				b[i] = alphabet[next()%len(alphabet)]
			} else {
				b[i] = 'a' + byte(next()%26)
			}
		}
		s := string(b)
		for k := 0; k <= len(s); k++ {
			if got, want := special(s, k), naive(s, k); got != want {
				t.Fatalf("special(%q, %d) = %d, want %d", s, k, got, want)
			}
		}
	}
}

func TestParseUTCMillis(t *testing.T) {
	base := time.Date(1999, 12, 31, 23, 59, 59, 999e6, time.UTC)
	for i := 0; i < 5000; i++ {
		want := base.Add(time.Duration(i) * 7919 * time.Minute).Add(time.Duration(i) * time.Millisecond)
		got, ok := parseUTCMillis(want.Format(timeLayout))
		if !ok || !got.Equal(want) || got.Location() != time.Local {
			t.Fatalf("%s: %v %v", want.Format(timeLayout), got, ok)
		}
	}
	for _, bad := range []string{"2026-02-29T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-01-01T24:00:00.000Z",
		"2026-01-01T00:00:00.000+01:00", "2026-01-01 00:00:00.000Z"} {
		if _, ok := parseUTCMillis(bad); ok {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestDecoderTimeCache(t *testing.T) {
	d := newDecoder()
	base := time.Date(2026, 2, 28, 23, 59, 58, 0, time.UTC)
	for i := 0; i < 3000; i++ {
		want := base.Add(time.Duration(i) * 997 * time.Millisecond)
		if i%7 == 0 {
			want = want.Add(-400 * 24 * time.Hour) // another date now and then
		}
		d.b, d.i = `"`+want.Format(timeLayout)+`"`, 0
		got, err := d.time()
		if err != nil || !got.Equal(want) {
			t.Fatalf("%s: %v %v", want.Format(timeLayout), got, err)
		}
	}
	d.b, d.i = `"2026-02-28T24:00:00.000Z"`, 0
	if _, err := d.time(); err == nil {
		t.Fatal("accepted hour 24 on a cached date")
	}
}
