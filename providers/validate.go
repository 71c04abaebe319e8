package providers

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/biter777/countries"
)

// ValidateSpec applies every parameter's generic rules (required, kind,
// lengths, ranges, options, ASCII, forbidden characters, JSON, URL, country,
// date) and its Check, and names unknown parameters. Providers call it first
// in Validate and add their cross-field rules after.
func ValidateSpec(s Spec, v Values) []FieldError {
	var errs []FieldError
	for _, name := range sortedKeys(v) {
		if _, ok := s.Lookup(name); !ok {
			msg := "unknown parameter (see `kycdesk params` for the documented names)"
			if c := s.Closest(name); c != "" {
				msg = "unknown parameter; did you mean " + c + "?"
			}
			errs = append(errs, FieldError{Field: name, Message: msg})
		}
	}
	for _, p := range s {
		vals := v[p.Name]
		set := v.Has(p.Name)
		if !set {
			if p.Required && p.Generate == nil {
				errs = append(errs, FieldError{Field: p.Name, Message: "required"})
			}
			continue
		}
		if p.IsList() {
			errs = append(errs, checkList(p, vals)...)
			continue
		}
		if len(vals) > 1 {
			errs = append(errs, FieldError{Field: p.Name, Message: "takes one value, got " + strconv.Itoa(len(vals))})
			continue
		}
		if msg := CheckValue(p, vals[0]); msg != "" {
			errs = append(errs, FieldError{Field: p.Name, Message: msg})
		} else if w, ok := DateWarning(p, p.Normalize(vals[0]), time.Now()); ok {
			errs = append(errs, w)
		}
	}
	return errs
}

// Warning codes of the generic date rules (FieldError.Code), stable: desk
// profiles list the ones they accept.
const (
	WarnBirthDateImplausible = "birth-date-implausible"
	WarnDocumentExpired      = "document-expired"
)

// MaxAge is how many years back a date of birth is believable; older is
// most likely a typing error in the year (1890 for 1990).
const MaxAge = 120

// DateWarning questions a valid date that cannot be right for what it
// means: a birth more than MaxAge years before now or before 1900, a
// document expiry already past. It is a warning, not a refusal: the
// operator may know better (the document in hand is the one expired).
func DateWarning(p Param, v string, now time.Time) (FieldError, bool) {
	if p.Kind != KindDate || p.Date == DateOther {
		return FieldError{}, false
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return FieldError{}, false
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch p.Date {
	case DateBirth:
		oldest := today.AddDate(-MaxAge, 0, 0)
		if d.Year() < 1900 || d.Before(oldest) {
			return Warn(p.Name, WarnBirthDateImplausible, fmt.Sprintf(
				"%s is more than %d years ago; check the year (it is sent as typed if you go on)", v, MaxAge)), true
		}
	case DateExpiry:
		if d.Before(today) {
			return Warn(p.Name, WarnDocumentExpired, fmt.Sprintf(
				"%s has passed: the document has expired and the provider will likely decline it; check the date", v)), true
		}
	}
	return FieldError{}, false
}

func checkList(p Param, vals []string) []FieldError {
	var errs []FieldError
	seen := map[string]bool{}
	for _, x := range vals {
		x = p.Normalize(x)
		if len(p.Options) > 0 && !hasOption(p, x) {
			errs = append(errs, FieldError{Field: p.Name, Message: notAnOption(p, x)})
		}
		if seen[x] {
			errs = append(errs, FieldError{Field: p.Name, Message: fmt.Sprintf("%q is listed twice", x)})
		}
		seen[x] = true
	}
	if p.MinLen > 0 && len(vals) < p.MinLen {
		errs = append(errs, FieldError{Field: p.Name, Message: fmt.Sprintf("choose at least %d", p.MinLen)})
	}
	if p.MaxLen > 0 && len(vals) > p.MaxLen {
		errs = append(errs, FieldError{Field: p.Name, Message: fmt.Sprintf("choose at most %d", p.MaxLen)})
	}
	return errs
}

// CheckValue checks one value of a single-valued parameter and returns the
// problem without the field name, or "". The form uses it at the field.
func CheckValue(p Param, raw string) string {
	v := p.Normalize(raw)
	if v == "" {
		if p.Required && p.Generate == nil {
			return "required"
		}
		return ""
	}
	n := utf8.RuneCountInString(v)
	if p.MinLen > 0 && n < p.MinLen {
		return fmt.Sprintf("must be at least %d characters (got %d)", p.MinLen, n)
	}
	if p.MaxLen > 0 && n > p.MaxLen {
		return fmt.Sprintf("must be at most %d characters (got %d)", p.MaxLen, n)
	}
	if p.ASCII {
		for _, r := range v {
			if r > unicode.MaxASCII || unicode.IsControl(r) {
				return fmt.Sprintf("only printable ASCII characters are allowed (found %q)", r)
			}
		}
	}
	if p.NoDigits {
		for _, r := range v {
			if unicode.IsDigit(r) {
				return "must not contain digits"
			}
		}
	}
	if p.Forbidden != "" {
		if i := strings.IndexAny(v, p.Forbidden); i >= 0 {
			r, _ := utf8.DecodeRuneInString(v[i:])
			return fmt.Sprintf("must not contain %q (not allowed: %s)", r, p.Forbidden)
		}
	}
	for _, r := range v {
		if unicode.IsControl(r) && p.Kind != KindJSON {
			return "must not contain control characters"
		}
	}
	switch p.Kind {
	case KindInt:
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "must be a whole number"
		}
		if msg := checkRange(p, float64(i)); msg != "" {
			return msg
		}
	case KindFloat:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "must be a number"
		}
		if msg := checkRange(p, f); msg != "" {
			return msg
		}
	case KindBool:
		if v != "true" && v != "false" {
			return "must be true or false"
		}
	case KindEnum:
		if len(p.Options) > 0 && !hasOption(p, v) {
			return notAnOption(p, v)
		}
	case KindDate:
		if msg := CheckDate(v); msg != "" {
			return msg
		}
	case KindURL:
		if msg := CheckURL(v, p.HTTPSOnly); msg != "" {
			return msg
		}
	case KindJSON:
		if msg := CheckJSON(v, p.JSONObject); msg != "" {
			return msg
		}
	case KindCountry:
		if msg := CheckCountry(v); msg != "" {
			return msg
		}
	}
	if p.Check != nil {
		if err := p.Check(v); err != nil {
			return err.Error()
		}
	}
	return ""
}

func checkRange(p Param, f float64) string {
	switch {
	case p.HasMin && p.HasMax && (f < p.Min || f > p.Max):
		return fmt.Sprintf("must be between %s and %s", num(p.Min), num(p.Max))
	case p.HasMin && f < p.Min:
		return "must be at least " + num(p.Min)
	case p.HasMax && f > p.Max:
		return "must be at most " + num(p.Max)
	}
	return ""
}

func hasOption(p Param, v string) bool {
	for _, o := range p.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// notAnOption says why v is not a choice, naming the options it could
// mean when it matches several labels.
func notAnOption(p Param, v string) string {
	if m := p.MatchOption(v); len(m) > 1 {
		titles := make([]string, len(m))
		for i, o := range m {
			titles[i] = o.Title()
		}
		return fmt.Sprintf("%q could be %s; choose one", v, strings.Join(titles, " or "))
	}
	return fmt.Sprintf("%q is not one of %s", v, optionList(p))
}

func optionList(p Param) string {
	vals := make([]string, len(p.Options))
	for i, o := range p.Options {
		vals[i] = o.Value
	}
	if len(vals) > 12 {
		return strings.Join(vals[:12], ", ") + fmt.Sprintf(", … (%d in all; see `kycdesk params`)", len(vals))
	}
	return strings.Join(vals, ", ")
}

// CheckDate accepts YYYY-MM-DD and only real calendar dates.
func CheckDate(v string) string {
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return "must be a date as YYYY-MM-DD"
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return fmt.Sprintf("%s is not a real calendar date", v)
	}
	return ""
}

// CheckURL accepts absolute http(s) URLs with a host; httpsOnly refuses http.
func CheckURL(v string, httpsOnly bool) string {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "must be an absolute URL such as https://example.com/done"
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return "must not contain spaces (percent-encode them as %20)"
	}
	if httpsOnly && u.Scheme != "https" {
		return "must be an https:// URL"
	}
	return ""
}

// CheckJSON accepts valid JSON; object requires a JSON object.
func CheckJSON(v string, object bool) string {
	if !json.Valid([]byte(v)) {
		var x any
		err := json.Unmarshal([]byte(v), &x)
		return "must be valid JSON: " + strings.TrimPrefix(fmt.Sprint(err), "json: ")
	}
	if object {
		var m map[string]any
		if json.Unmarshal([]byte(v), &m) != nil || m == nil {
			return `must be a JSON object such as {"key":"value"}`
		}
	}
	return ""
}

// notISO are two-letter codes in common use that ISO 3166-1 does not
// assign to the country meant, with the code to use.
var notISO = map[string]string{
	"UK": "GB", // the United Kingdom's ISO code is GB (UK is only reserved)
	"EL": "GR", // the EU's code for Greece
}

// normalizeCountry turns a code in any case or a country's English name
// (or alpha-3 code) into the alpha-2 code; UK stays UK so that the check
// can say GB is meant.
func normalizeCountry(v string) string {
	if len(v) == 2 {
		return strings.ToUpper(v)
	}
	if len(v) > 2 {
		if c := countries.ByName(v); c != countries.Unknown && len(c.Alpha2()) == 2 {
			return c.Alpha2()
		}
	}
	return v
}

// CheckCountry accepts an ISO 3166-1 alpha-2 code, in either case.
func CheckCountry(v string) string {
	if use, ok := notISO[strings.ToUpper(v)]; ok {
		return fmt.Sprintf("%q is not an ISO 3166-1 code; use %s (%s)", v, use, CountryName(use))
	}
	if len(v) != 2 {
		return "must be a two-letter ISO 3166-1 country code such as LT or GB, or a country's name"
	}
	c := countries.ByName(strings.ToUpper(v))
	if c == countries.Unknown || c.Alpha2() != strings.ToUpper(v) {
		return fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code", v)
	}
	return ""
}

// CountryName returns the English name of an alpha-2 code, or "".
func CountryName(code string) string {
	c := countries.ByName(strings.ToUpper(code))
	if c == countries.Unknown {
		return ""
	}
	return c.String()
}

func sortedKeys(v Values) []string { return v.Names() }
