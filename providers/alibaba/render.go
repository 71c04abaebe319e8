package alibaba

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kycdesk/kycdesk/providers"
)

// Limits for rendering provider JSON: long strings are base64 images
// (faceImg…) and are summarised, not shown.
const (
	renderMaxValue = 160
	renderMaxLines = 60
)

// RenderJSON renders one of CheckResult's JSON-string fields readably:
// "key: value" lines, nested keys joined with ".", arrays of plain values
// as [a, b], keys sorted; long values (images) are summarised. Text that is
// not JSON is shown sanitized and clipped. Everything is sanitized.
func RenderJSON(s string) string {
	var x any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if dec.Decode(&x) != nil || dec.More() {
		return clip(strings.TrimSpace(providers.Sanitize(s)), 2000)
	}
	var lines []string
	flatten("", x, &lines)
	if len(lines) > renderMaxLines {
		n := len(lines) - renderMaxLines
		lines = append(lines[:renderMaxLines], fmt.Sprintf("… (%d more)", n))
	}
	return strings.Join(lines, "\n")
}

func flatten(prefix string, x any, out *[]string) {
	switch v := x.(type) {
	case map[string]any:
		if len(v) == 0 {
			emit(prefix, "{}", out)
			return
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := providers.SanitizeLine(k)
			if prefix != "" {
				name = prefix + "." + name
			}
			flatten(name, v[k], out)
		}
	case []any:
		plain := true
		parts := make([]string, 0, len(v))
		for _, e := range v {
			switch e.(type) {
			case map[string]any, []any:
				plain = false
			}
			parts = append(parts, scalar(e))
		}
		if plain {
			emit(prefix, "["+strings.Join(parts, ", ")+"]", out)
			return
		}
		for i, e := range v {
			flatten(prefix+"["+strconv.Itoa(i)+"]", e, out)
		}
	default:
		emit(prefix, scalar(v), out)
	}
}

func scalar(x any) string {
	switch v := x.(type) {
	case nil:
		return "null"
	case string:
		s := providers.SanitizeLine(v)
		if len(s) > renderMaxValue {
			return fmt.Sprintf("(%d characters, not shown)", len(v))
		}
		return s
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(x)
	return providers.SanitizeLine(string(b))
}

func emit(key, val string, out *[]string) {
	if key == "" {
		*out = append(*out, val)
		return
	}
	*out = append(*out, key+": "+val)
}
