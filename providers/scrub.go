package providers

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// IsPersonal reports whether a parameter carries personal data: marked
// Personal in the spec, or a phone number.
func IsPersonal(p Param) bool { return p.Personal || p.Kind == KindPhone }

// MinPersonal is the shortest personal value masked in free text; shorter
// ones (a sex code, an initial) would mangle ordinary words.
const MinPersonal = 3

// Scrubber masks secrets and the personal values that were sent in free
// text, such as an error message in which a provider echoes a name, a date
// of birth or a document number.
type Scrubber struct {
	secrets  []string
	personal []string
	// patterns catch personal values as a provider may echo them: in
	// another case (iDenfy uppercases names), URL-encoded, or a number
	// with other separators or prefix (44-7400123456 for +44 7400 123456).
	patterns []*regexp.Regexp
}

// NewScrubber masks secrets, and the values of v that spec marks personal;
// with a nil spec every value of v is treated as personal.
func NewScrubber(secrets []string, spec Spec, v Values) Scrubber {
	var sc Scrubber
	for _, s := range secrets {
		if s != "" {
			sc.secrets = append(sc.secrets, s)
		}
	}
	for name, vals := range v {
		if spec != nil {
			if p, ok := spec.Lookup(name); ok && !IsPersonal(p) {
				continue
			}
		}
		for _, x := range vals {
			if x = strings.TrimSpace(x); len(x) >= MinPersonal {
				sc.personal = append(sc.personal, x)
				sc.patterns = append(sc.patterns, personalPatterns(x)...)
			}
		}
	}
	return sc
}

// personalPatterns match x case-insensitively, URL-encoded, and, when it
// holds seven digits or more, its last seven digits whatever separates them.
func personalPatterns(x string) []*regexp.Regexp {
	alts := []string{regexp.QuoteMeta(x)}
	for _, enc := range []string{url.QueryEscape(x), url.PathEscape(x)} {
		if enc != x {
			alts = append(alts, regexp.QuoteMeta(enc))
		}
	}
	out := []*regexp.Regexp{regexp.MustCompile("(?i)" + strings.Join(alts, "|"))}
	var digits []string
	for _, r := range x {
		if r >= '0' && r <= '9' {
			digits = append(digits, string(r))
		}
	}
	if len(digits) >= 7 {
		out = append(out, regexp.MustCompile(strings.Join(digits[len(digits)-7:], `[\s\-().+/]*`)))
	}
	return out
}

// Secret masks the secrets only (and their URL-escaped forms).
func (sc Scrubber) Secret(s string) string { return mask(s, sc.secrets) }

// Text masks secrets and personal values.
func (sc Scrubber) Text(s string) string {
	s = sc.Secret(s)
	for _, p := range sc.personal {
		if strings.Contains(s, p) {
			s = strings.ReplaceAll(s, p, Mask)
		}
	}
	for _, re := range sc.patterns {
		s = re.ReplaceAllString(s, Mask)
	}
	return s
}

// Error returns err with its message, action, code, field messages and
// cause masked; nil stays nil. A plain error becomes KindTransport.
func (sc Scrubber) Error(err error) error {
	if err == nil {
		return nil
	}
	pe := AsError(err)
	out := *pe
	out.Message, out.Action, out.Code = sc.Text(pe.Message), sc.Text(pe.Action), sc.Text(pe.Code)
	out.Field = sc.Secret(pe.Field)
	out.Fields = nil
	for _, f := range pe.Fields {
		f.Message = sc.Text(f.Message)
		out.Fields = append(out.Fields, f)
	}
	if pe.Err != nil {
		out.Err = errors.New(sc.Text(pe.Err.Error())) // the cause may be printed too
	}
	return &out
}
