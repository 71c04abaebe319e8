package jsonw

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestStringAsEncodingJSON compares every single byte, every pair of
// bytes below 0x80 with a multi-byte tail, and random strings (valid and
// invalid UTF-8) with encoding/json's output.
func TestStringAsEncodingJSON(t *testing.T) {
	var cases []string
	for b := 0; b < 256; b++ {
		cases = append(cases, string([]byte{byte(b)}), "a"+string([]byte{byte(b)})+"z")
	}
	cases = append(cases, "", "plain", "\u2028\u2029", "é漢字😀", "<script>&amp;</script>", "\x00\x1f\x7f", "\xed\xa0\x80", "\xf4\x90\x80\x80")
	r := rand.New(rand.NewPCG(1, 2))
	runes := []rune{'a', '"', '\\', '\n', 0, 0x7f, 0x80, 0x2028, 0x2029, 0xfffd, 0x10ffff, '<', 'é', '😀'}
	for range 2000 {
		var b []byte
		for range r.IntN(12) {
			if r.IntN(5) == 0 {
				b = append(b, byte(r.IntN(256)))
			} else {
				b = append(b, string(runes[r.IntN(len(runes))])...)
			}
		}
		cases = append(cases, string(b))
	}
	for i, s := range cases {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		// In pieces: s, then an ASCII-led piece (the next case after a
		// letter), as a whole.
		tail := "/" + cases[(i+1)%len(cases)]
		want, _ = json.Marshal(s + tail)
		got := AppendStringContent(AppendStringContent([]byte{'"'}, s), tail)
		if got = append(got, '"'); !bytes.Equal(got, want) {
			t.Fatalf("%q + %q in pieces: got %s, want %s", s, tail, got, want)
		}
	}
}

func TestAppendAsMarshal(t *testing.T) {
	for _, v := range []any{
		nil, true, false, 0, -12, int64(1 << 60), json.Number("12.5e3"), 1.5, "x",
		[]string{"a", "<b>"}, []string(nil), []any{"a", 1, nil, map[string]any{"k": []any{}}},
		map[string]any{"z": 1, "a": "b", "m": map[string][]string{"ALL": {"ID_CARD"}}, "n": nil, "é": []string{}},
		map[string]string{"b": "1", "a": "2"}, map[string]any(nil), map[string]any{},
		struct{ A int }{1},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Append(nil, v)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%#v: got %s %v, want %s", v, got, err, want)
		}
	}
	if _, err := Append(nil, map[string]any{"bad": json.Number("1x")}); err == nil {
		t.Fatal("an invalid json.Number was written")
	}
}
