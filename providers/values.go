package providers

import (
	"sort"
	"strings"
)

// Values are the operator's parameter values by wire name. A list
// parameter (multi-enum) holds several entries; every other holds one.
// An absent or empty entry means "not set": it is not sent.
type Values map[string][]string

// Get returns the first value of name, or "".
func (v Values) Get(name string) string {
	if vs := v[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// List returns every value of name.
func (v Values) List(name string) []string { return v[name] }

// Has reports whether name is set to something non-empty.
func (v Values) Has(name string) bool {
	for _, s := range v[name] {
		if strings.TrimSpace(s) != "" {
			return true
		}
	}
	return false
}

// Set replaces the values of name; no values deletes it.
func (v Values) Set(name string, vals ...string) {
	if len(vals) == 0 {
		delete(v, name)
		return
	}
	v[name] = append([]string(nil), vals...)
}

// Add appends a value (repeated --set NAME=…).
func (v Values) Add(name, val string) { v[name] = append(v[name], val) }

// Clone copies the values.
func (v Values) Clone() Values {
	out := make(Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Names lists the set names, sorted.
func (v Values) Names() []string {
	out := make([]string, 0, len(v))
	for k := range v {
		if v.Has(k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Canonical resolves names to the spec's spelling (case-insensitive match)
// and applies each parameter's Normalize. Unknown names are kept as they are
// so that Validate can name them.
func (s Spec) Canonical(v Values) Values {
	out := make(Values, len(v))
	for name, vs := range v {
		p, ok := s.Lookup(name)
		if !ok {
			out[name] = append(out[name], vs...)
			continue
		}
		for _, x := range vs {
			x = p.Normalize(x)
			if x == "" {
				continue
			}
			if p.IsList() && strings.Contains(x, ",") {
				// "PASSPORT,ID_CARD" is accepted as two values.
				for _, part := range strings.Split(x, ",") {
					if part = p.Normalize(part); part != "" {
						out[p.Name] = append(out[p.Name], part)
					}
				}
				continue
			}
			out[p.Name] = append(out[p.Name], x)
		}
	}
	return out
}
