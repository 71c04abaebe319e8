package providers

import (
	"regexp"
	"strings"
	"sync"
)

// A provider's answer may carry personal data nobody sent: what it read
// from the customer's document (Alibaba's ocrIdInfo.name, .idNumber…).
// Those values are masked wherever an answer is shown (the console, the
// command line's status and --verbose) by the name of the key that holds
// them, which is all a desk can know of them.

// personalKeys are the answer keys (last segment, case and separators
// ignored) whose values are personal data.
var personalKeys = map[string]bool{
	"name": true, "fullname": true, "firstname": true, "lastname": true, "middlename": true,
	"surname": true, "givenname": true, "givennames": true, "familyname": true, "localname": true,
	"idnumber": true, "idno": true, "docnumber": true, "documentnumber": true, "personalnumber": true,
	"certno": true, "certnumber": true, "passportnumber": true, "nationalid": true, "mrz": true,
	"birthdate": true, "dateofbirth": true, "dob": true, "birthplace": true, "placeofbirth": true,
	"address": true, "fulladdress": true, "phone": true, "phonenumber": true, "mobile": true, "email": true,
	"expirydate": true, "dateofexpiry": true, "issuedate": true, "dateofissue": true,
	"facepicture": true, "faceimg": true, "portrait": true, "signature": true,
}

// PersonalKey reports whether an answer key (a dotted path such as
// ocrIdInfo.idNumber, or one name) holds personal data.
func PersonalKey(key string) bool {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	return personalKeys[keySeparators.Replace(strings.ToLower(key))]
}

// keySeparators are dropped from a key before it is looked up: built once,
// as a Replacer builds its tables on first use (each launch's answer is
// masked key by key, issue 18).
var keySeparators = strings.NewReplacer("_", "", "-", "", " ", "")

// fieldLine is one "key: value" line of a rendered answer field.
var fieldLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\s*)([^:\s][^:]*): (.*)$`) })

// MaskPersonalFields returns fields with the personal values masked: a
// field named after personal data whole, and within a rendered field
// ("ocrIdInfo.name: …" lines) each such line's value.
func MaskPersonalFields(fields map[string]string) map[string]string {
	if len(fields) == 0 {
		return fields
	}
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if PersonalKey(k) && v != "" {
			out[k] = Mask
			continue
		}
		lines := strings.Split(v, "\n")
		for i, l := range lines {
			if m := fieldLine().FindStringSubmatch(l); m != nil && PersonalKey(m[2]) && m[3] != "" {
				lines[i] = m[1] + m[2] + ": " + Mask
			}
		}
		out[k] = strings.Join(lines, "\n")
	}
	return out
}

// jsonPersonal finds a personal key's string or number value in JSON
// text, also inside a JSON string that holds JSON (\"name\":\"…\").
var jsonPersonal = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(\\?"([A-Za-z_][A-Za-z0-9_\-]*)\\?"\s*:\s*)(\\?"(?:[^"\\]|\\[^"])*\\?"|-?[0-9][0-9.eE+\-]*)`)
})

// MaskPersonalJSON masks the values of personal keys in JSON text (a raw
// answer shown with --verbose or in the console's answer panel). It runs
// on every launch's answer: the text is matched once, with submatches
// (ReplaceAllStringFunc gives only the match, which was matched again).
func MaskPersonalJSON(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range jsonPersonal().FindAllStringSubmatchIndex(s, -1) {
		// m: the match, then submatches 1 (key and colon), 2 (key), 3 (value).
		if !PersonalKey(s[m[4]:m[5]]) {
			continue
		}
		q := `"`
		if strings.HasPrefix(s[m[6]:m[7]], `\"`) {
			q = `\"`
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(s[m[2]:m[3]])
		b.WriteString(q + Mask + q)
		last = m[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
