package idenfy

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"
	"unicode/utf8"
)

// stdDecode is readObject's encoding/json path: the object, or false
// where readObject refuses the body.
func stdDecode(b []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return obj, true
}

var flatCases = []string{
	`{}`, ` { } `, "{\n\t\"clientId\" : \"c-1\" \r\n}", `{"clientId":"tp-1"}`,
	`{"clientId":"a","firstName":"Ann","expiryTime":3600,"sessionLength":-1.5e+3,"showInstructions":false,"x":true,"y":null}`,
	`{"documents":["ID_CARD","PASSPORT"],"d":[],"e":[ 1 , true , null , "x" ]}`,
	`{"a":"x","a":"y"}`, `{"a":0}`, `{"a":-0.0}`, `{"a":1E9}`, `{"a":"ünïcödé ☃"}`,
	// What the fast path leaves to encoding/json (nested, escapes, errors):
	`{"a":{"b":1}}`, `{"a":[[1]]}`, `{"a":[{"b":1}]}`, `{"a":"x\"y"}`, `{"a\n":1}`, `{"a":"tab	in"}`,
	`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`, `{"a":+1}`, `{"a":tru}`, `{"a":truex}`, `{"a":nul}`,
	`{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{"a":1}}`, `{"a":1} x`, `{"a":1}{}`, `{"a":[1,]}`, `{"a":[1 2]}`,
	`[]`, `"x"`, `null`, ``, ` `, `{`, `{"a":"x`, `{"a":[`, "\ufeff{}", `{'a':1}`, `{a:1}`,
}

func TestDecodeFlatMatchesEncodingJSON(t *testing.T) {
	for _, c := range flatCases {
		checkFlat(t, []byte(c))
	}
}

// checkFlat: where decodeFlat answers, encoding/json answers the same.
func checkFlat(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) {
		return // readObject refuses it before decoding
	}
	got, ok := decodeFlat(b)
	if !ok {
		return
	}
	want, wok := stdDecode(b)
	if !wok {
		t.Fatalf("decodeFlat took %q, which encoding/json refuses", b)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeFlat(%q) = %#v, encoding/json %#v", b, got, want)
	}
}

func TestDecodeFlatTakesWhatClientsSend(t *testing.T) {
	// The fast path is the common path: it must not decline plain bodies.
	for _, c := range []string{`{"clientId":"tp-1"}`, flatCases[4], flatCases[5]} {
		if _, ok := decodeFlat([]byte(c)); !ok {
			t.Errorf("decodeFlat declined %s", c)
		}
	}
}

func FuzzDecodeFlat(f *testing.F) {
	for _, c := range flatCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkFlat(t, b) })
}
