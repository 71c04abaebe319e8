package providers

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
)

// Typed converts a parameter's text value(s) to its JSON wire type: numbers,
// booleans, arrays for multi-enums, raw JSON for json fields, strings
// otherwise. Validation has already run, so conversion failures fall back
// to the text.
func Typed(p Param, vals []string) any {
	if len(vals) == 0 {
		return nil
	}
	switch p.Kind {
	case KindMultiEnum:
		return append([]string(nil), vals...)
	case KindInt:
		if i, err := strconv.ParseInt(vals[0], 10, 64); err == nil {
			return i
		}
	case KindFloat:
		if f, err := strconv.ParseFloat(vals[0], 64); err == nil {
			return f
		}
	case KindBool:
		if b, err := strconv.ParseBool(vals[0]); err == nil {
			return b
		}
	case KindJSON:
		if json.Valid([]byte(vals[0])) {
			return json.RawMessage(vals[0])
		}
	}
	return vals[0]
}

// RandomHex returns n random bytes as hex (2n characters).
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}
