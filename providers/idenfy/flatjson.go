package idenfy

import (
	"encoding/json"
	"sync"
)

// decodeFlat decodes body exactly as encoding/json with UseNumber decodes
// it into a map[string]any, when body is one object whose members are
// strings without escapes, numbers, true, false, null, or arrays of those,
// with nothing but whitespace after it: what API clients send the
// simulator. ok is false for anything else (a nested object, an escape,
// a syntax error, trailing data), and the caller hands the body to
// encoding/json, so that what is refused, and the words of the refusal,
// stay encoding/json's. The token endpoint's sandbox throughput was held
// back by decoding (flatjson_test.go compares the two on the same bodies).
func decodeFlat(b []byte) (map[string]any, bool) {
	obj := flatObjects.Get().(map[string]any)
	if !decodeFlatInto(obj, b) {
		releaseObject(obj)
		return nil, false
	}
	return obj, true
}

// flatObjects keeps request objects' maps from one request to the next
// (a map and its table were a third of a token request's allocations).
var flatObjects = sync.Pool{New: func() any { return make(map[string]any, 8) }}

// releaseObject gives back a request object no longer used (its values
// may be kept: they are not changed); one that held many members is left
// to the collector.
func releaseObject(obj map[string]any) {
	if obj != nil && len(obj) <= 16 {
		clear(obj)
		flatObjects.Put(obj)
	}
}

func decodeFlatInto(obj map[string]any, b []byte) (ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		var key string
		if key, i, ok = flatString(b, i); !ok {
			return false
		}
		if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		var v any
		if i < len(b) && b[i] == '[' {
			v, i, ok = flatArray(b, i)
		} else {
			v, i, ok = flatScalar(b, i)
		}
		if !ok {
			return false
		}
		obj[key] = v // a repeated key: the last wins, as in encoding/json
		if i = skipSpace(b, i); i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// flatArray reads [scalar, …] at b[i]; an empty array is an empty, non-nil
// slice, as encoding/json makes it.
func flatArray(b []byte, i int) (any, int, bool) {
	out := []any{}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, i + 1, true
	}
	for {
		v, j, ok := flatScalar(b, i)
		if !ok {
			return nil, 0, false
		}
		out = append(out, v)
		if i = skipSpace(b, j); i >= len(b) {
			return nil, 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return out, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// flatScalar reads a string, number, true, false or null at b[i].
func flatScalar(b []byte, i int) (any, int, bool) {
	if i >= len(b) {
		return nil, 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return flatStringAny(b, i)
	case c == '-' || c >= '0' && c <= '9':
		j, ok := numberEnd(b, i)
		if !ok {
			return nil, 0, false
		}
		return json.Number(b[i:j]), j, true
	case hasWord(b, i, "true"):
		return true, i + 4, true
	case hasWord(b, i, "false"):
		return false, i + 5, true
	case hasWord(b, i, "null"):
		return nil, i + 4, true
	}
	return nil, 0, false
}

func flatStringAny(b []byte, i int) (any, int, bool) {
	s, j, ok := flatString(b, i)
	return s, j, ok
}

// flatString reads a string at b[i] that has no escape and no control
// character (encoding/json refuses those unescaped); the body's UTF-8 was
// checked whole before.
func flatString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return string(b[i+1 : j]), j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}

func hasWord(b []byte, i int, w string) bool {
	return len(b)-i >= len(w) && string(b[i:i+len(w)]) == w
}

// numberEnd is the end of the JSON number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(b []byte, i int) (int, bool) {
	digits := func(j int) int {
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i + 1)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}
