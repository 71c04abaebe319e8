package providers

import (
	"fmt"
	"strings"
)

// A command line sends a value as it was typed, converted only where the
// conversion is documented (and then says so), or refuses it: a script
// author must see the request they asked for. The interactive pickers
// may read more into a word (Normalize: a word of a label), because the
// operator sees the choice before it is sent.

// Conversion is one value the command line converted before sending.
type Conversion struct {
	Field    string
	From, To string
}

// Note is the conversion as the command line reports it on stderr:
// "country: LTU sent as LT".
func (c Conversion) Note() string {
	return fmt.Sprintf("%s: %s sent as %s", c.Field, SanitizeLine(c.From), SanitizeLine(c.To))
}

// AsTyped reads command-line values strictly: a value that is an option's
// exact value (or any value of a field without options) goes as it is; a
// different case, an alias the provider documents, an option's whole
// label ("male" for M), or a country's alpha-3 code or name is converted
// and listed in conv; a value that only shares a word with a label
// ("SELFIE" in "Document + selfie") is refused, naming the closest
// options. Unknown names are kept for validation to name. Names are
// expected in the spec's spelling already.
func (s Spec) AsTyped(v Values) (out Values, conv []Conversion, refusals []FieldError) {
	out = make(Values, len(v))
	for _, name := range v.Names() {
		p, ok := s.Lookup(name)
		if !ok {
			out[name] = append(out[name], v[name]...)
			continue
		}
		for _, x := range v[name] {
			parts := []string{x}
			if p.IsList() && strings.Contains(x, ",") {
				parts = strings.Split(x, ",") // "PASSPORT,ID_CARD" is two values
			}
			for _, part := range parts {
				got, changed, refusal := p.asTyped(part)
				switch {
				case refusal != "":
					refusals = append(refusals, FieldError{Field: p.Name, Message: refusal})
					continue
				case changed:
					conv = append(conv, Conversion{Field: p.Name, From: strings.TrimSpace(part), To: got})
				}
				if got != "" || !p.IsList() {
					out[name] = append(out[name], got)
				}
			}
		}
	}
	return out, conv, refusals
}

// asTyped is one value read strictly (see AsTyped): the value to send,
// whether it differs from what was typed (beyond surrounding spaces), or
// why it is refused.
func (p Param) asTyped(typed string) (value string, changed bool, refusal string) {
	v := strings.TrimSpace(typed)
	if v == "" {
		return v, false, ""
	}
	if c, ok := p.Aliases[v]; ok {
		return c, c != v, ""
	}
	switch p.Kind {
	case KindCountry:
		n := normalizeCountry(v)
		return n, n != v, ""
	case KindEnum, KindMultiEnum:
	default:
		return v, false, ""
	}
	if len(p.Options) == 0 {
		return v, false, ""
	}
	for _, o := range p.Options {
		if o.Value == v {
			return v, false, ""
		}
	}
	for _, o := range p.Options {
		if strings.EqualFold(o.Value, v) || o.Label != "" && strings.EqualFold(o.Label, v) {
			return o.Value, true, ""
		}
	}
	if m := p.MatchOption(v); len(m) > 0 {
		return v, false, fmt.Sprintf("%q is not one of its values (it is a word of %s); send the value itself: %s",
			v, quoteLabels(m), closestList(m))
	}
	// Not a choice at all: validation refuses it with the list.
	return v, false, ""
}

func quoteLabels(m []Option) string {
	var out []string
	for _, o := range m {
		out = append(out, fmt.Sprintf("%q", o.Label))
	}
	return strings.Join(out, " and ")
}

func closestList(m []Option) string {
	var out []string
	for _, o := range m {
		out = append(out, o.Title())
	}
	return strings.Join(out, " or ")
}
