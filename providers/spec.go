package providers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
	"unicode"
)

// Kind is the type of a parameter's value, which decides the form widget and
// the generic checks.
type Kind int

const (
	KindText      Kind = iota // free text
	KindInt                   // whole number
	KindFloat                 // decimal number
	KindBool                  // true / false
	KindEnum                  // one of Options
	KindMultiEnum             // any subset of Options (a JSON array on the wire)
	KindDate                  // YYYY-MM-DD, a real calendar date
	KindURL                   // absolute URL
	KindJSON                  // JSON text (an object unless the doc says otherwise)
	KindPhone                 // a phone number
	KindCountry               // ISO 3166-1 alpha-2 country code
)

var kindNames = [...]string{"text", "int", "float", "bool", "enum", "multi-enum", "date", "url", "json", "phone", "country"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Option is one allowed value of an enum with a human label.
type Option struct {
	Value string
	Label string
}

// Title is how a choice is shown: "PASSPORT — Passport".
func (o Option) Title() string {
	if o.Label == "" || o.Label == o.Value {
		return o.Value
	}
	return o.Value + " — " + o.Label
}

// Param describes one request parameter exactly as the provider documents it.
type Param struct {
	Name        string   // wire name, exactly as documented (clientId, DocType, identityValue)
	Label       string   // short human label
	Doc         string   // the documentation text shown as field help
	Kind        Kind     // value type
	Required    bool     // must be present
	Essential   bool     // shown in the form's Essentials group
	Default     string   // documented default, as text ("" = none); informational unless Generate is set
	Placeholder string   // example value
	Options     []Option // allowed values (enum, multi-enum); for text, suggestions
	// Aliases maps accepted alternative spellings to the canonical value
	// (e.g. the seed's 9-digit DocType codes). Normalize applies them.
	Aliases map[string]string
	MinLen  int // in characters, 0 = no minimum (for multi-enum: minimum count)
	MaxLen  int // in characters, 0 = no maximum (for multi-enum: maximum count)
	// Min/Max bound numbers when HasMin/HasMax are set.
	Min, Max       float64
	HasMin, HasMax bool
	ASCII          bool   // only ASCII characters are allowed
	Forbidden      string // characters that must not appear
	NoDigits       bool   // digits are not allowed (names)
	HTTPSOnly      bool   // for URLs: https required
	JSONObject     bool   // for JSON: must be an object
	Pattern        string // human description of Check's rule, shown in params output
	// Check is an extra single-value rule (after the generic ones). It
	// returns a message without the field name.
	Check func(value string) error
	// Generate makes a fresh value when the operator leaves the field empty
	// (MerchantBizId, authenticationRequestId). Providers call it in Prepare.
	Generate func() string
	// Unique marks a value that must be fresh for every launch (an
	// idempotency key such as authenticationRequestId): a profile or a
	// preset never fixes it, or every customer would get the first one's
	// session.
	Unique bool
	// FilledAtLaunch marks a value kycdesk works out at each launch (its
	// callback receiver's address and the token it checks): it changes
	// from run to run, so a profile never keeps it.
	FilledAtLaunch bool
	// Date says what a KindDate value means, so that dates that cannot be
	// right (a birth in 1890, an expired document) are questioned.
	Date DateMeaning
	// Personal marks personal data (names, dates of birth, document numbers,
	// addresses, phone numbers): never written to the session store.
	Personal bool
	// Unconfirmed notes a choice made where the sources disagree or are silent.
	Unconfirmed string
}

// DateMeaning is what a date parameter holds.
type DateMeaning int

const (
	DateOther  DateMeaning = iota // no plausibility rule
	DateBirth                     // a date of birth: not more than MaxAge years ago
	DateExpiry                    // a document's expiry: not already past
)

// OnlyValue returns the one value a parameter can take, when its spec
// allows exactly one (ProductCode eKYC, DWS authenticationMethod OTP): a
// form need not ask it.
func (p Param) OnlyValue() (string, bool) {
	if p.Kind != KindEnum || len(p.Options) != 1 {
		return "", false
	}
	return p.Options[0].Value, true
}

// IsList reports whether the parameter holds several values.
func (p Param) IsList() bool { return p.Kind == KindMultiEnum }

// Constraints describes the rules in one line, for `kycdesk params` and help.
func (p Param) Constraints() string {
	var c []string
	if p.Required {
		c = append(c, "required")
	}
	if p.MinLen > 0 && p.MaxLen > 0 {
		if p.IsList() {
			c = append(c, fmt.Sprintf("%d–%d values", p.MinLen, p.MaxLen))
		} else {
			c = append(c, fmt.Sprintf("length %d–%d", p.MinLen, p.MaxLen))
		}
	} else if p.MaxLen > 0 {
		if p.IsList() {
			c = append(c, fmt.Sprintf("at most %d values", p.MaxLen))
		} else {
			c = append(c, fmt.Sprintf("max length %d", p.MaxLen))
		}
	} else if p.MinLen > 0 {
		c = append(c, fmt.Sprintf("min length %d", p.MinLen))
	}
	if p.HasMin && p.HasMax {
		c = append(c, fmt.Sprintf("%s–%s", num(p.Min), num(p.Max)))
	} else if p.HasMin {
		c = append(c, "≥ "+num(p.Min))
	} else if p.HasMax {
		c = append(c, "≤ "+num(p.Max))
	}
	if p.ASCII {
		c = append(c, "ASCII only")
	}
	if p.NoDigits {
		c = append(c, "no digits")
	}
	if p.Forbidden != "" {
		c = append(c, "none of "+forbiddenList(p.Forbidden))
	}
	if p.HTTPSOnly {
		c = append(c, "https only")
	}
	if p.JSONObject {
		c = append(c, "JSON object")
	}
	switch p.Kind {
	case KindDate:
		c = append(c, "YYYY-MM-DD")
	case KindCountry:
		c = append(c, "ISO 3166-1 alpha-2")
	}
	if p.Pattern != "" {
		c = append(c, p.Pattern)
	}
	return strings.Join(c, ", ")
}

func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

// Normalize trims spaces, applies Aliases and turns what an operator
// means into the value sent: a country code in upper case or a country's
// name into its code ("lt", "Lithuania" → LT), a choice by its value in
// another case or by its label ("passport" → PASSPORT, Alibaba's "Global
// passport" → 01000000). It does not validate: a value it cannot place is
// returned trimmed, for the check to name.
func (p Param) Normalize(v string) string {
	v = strings.TrimSpace(v)
	if c, ok := p.Aliases[v]; ok {
		return c
	}
	switch p.Kind {
	case KindCountry:
		return normalizeCountry(v)
	case KindEnum, KindMultiEnum:
		if m := p.MatchOption(v); len(m) == 1 {
			return m[0].Value
		}
	}
	return v
}

// MatchOption lists the options typed may mean, best match only: the
// option with that exact value; else those equal to it ignoring case;
// else those whose label is it; else those whose label holds its words
// ("passport" in "Global passport"). One result is a match; several are
// an ambiguity the caller names.
func (p Param) MatchOption(typed string) []Option {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return nil
	}
	for _, o := range p.Options {
		if o.Value == typed {
			return []Option{o}
		}
	}
	steps := []func(o Option) bool{
		func(o Option) bool { return strings.EqualFold(o.Value, typed) },
		func(o Option) bool { return o.Label != "" && strings.EqualFold(o.Label, typed) },
		func(o Option) bool { return len(typed) >= 3 && hasWords(o.Label, typed) },
	}
	for _, match := range steps {
		var out []Option
		for _, o := range p.Options {
			if match(o) {
				out = append(out, o)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// hasWords reports whether the words of typed appear, in order and
// together, among the words of label (case ignored).
func hasWords(label, typed string) bool {
	lw, tw := words(label), words(typed)
	if len(tw) == 0 {
		return false
	}
	for i := 0; i+len(tw) <= len(lw); i++ {
		ok := true
		for j := range tw {
			if lw[i+j] != tw[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// OptionLabel returns the label of value, or "".
func (p Param) OptionLabel(v string) string {
	for _, o := range p.Options {
		if o.Value == v {
			return o.Label
		}
	}
	return ""
}

// Spec is an ordered parameter list.
type Spec []Param

// Closest is the documented name nearest to an unknown one (a typo such
// as clientIdd), or "" when none is close enough to suggest.
func (s Spec) Closest(name string) string {
	best, bestDist := "", 0
	for _, p := range s {
		dist := levenshtein.ComputeDistance(strings.ToLower(name), strings.ToLower(p.Name))
		if best == "" || dist < bestDist {
			best, bestDist = p.Name, dist
		}
	}
	if best != "" && bestDist <= max(2, len(name)/3) {
		return best
	}
	return ""
}

// Lookup finds a parameter by wire name; the match is exact, then
// case-insensitive so `--set doctype=…` still finds DocType.
func (s Spec) Lookup(name string) (Param, bool) {
	for _, p := range s {
		if p.Name == name {
			return p, true
		}
	}
	for _, p := range s {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Param{}, false
}

// Names lists the wire names, sorted.
func (s Spec) Names() []string {
	out := make([]string, len(s))
	for i, p := range s {
		out[i] = p.Name
	}
	sort.Strings(out)
	return out
}

// forbiddenList shows forbidden characters so that a space or a quote is
// visible: ~!@#$ stays as is, a space is named.
func forbiddenList(chars string) string {
	var b strings.Builder
	for _, r := range chars {
		switch r {
		case ' ':
			b.WriteString(" (space) ")
		case '\t':
			b.WriteString(" (tab) ")
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}
