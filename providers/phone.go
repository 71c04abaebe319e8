package providers

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// phoneWire is DWS's identityValue form "{countryCode}-{number}", which
// the session store and the challenge carry.
var phoneWire = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+?([1-9][0-9]{0,2})-([0-9]+)$`) })

// MaskPhone is the one masking rule for phone numbers, on every screen, in
// the session store and in messages: the country calling code when the number
// carries one, then stars, then the last four digits, with no spaces —
// "44-7700900123", "+44 7700 900123" and "+447700900123" all give
// "+44******0123", the form DWS itself renders (seed: "+60******6353").
// A national number shows no country code ("07700 900123" →
// "*******0123"). Short numbers show fewer digits: five to seven digits
// keep the last two, four or fewer keep none ("****"). Empty stays empty.
func MaskPhone(number string) string {
	number = strings.TrimSpace(number)
	if number == "" {
		return ""
	}
	cc, nsn := "", ""
	if m := phoneWire().FindStringSubmatch(number); m != nil {
		cc, nsn = m[1], m[2]
	} else if strings.HasPrefix(number, "+") {
		if n, err := phonenumbers.Parse(number, ""); err == nil && n.GetCountryCode() != 0 {
			cc = strconv.Itoa(int(n.GetCountryCode()))
			nsn = phonenumbers.GetNationalSignificantNumber(n)
		}
	}
	if nsn == "" {
		cc, nsn = "", digitsOf(number)
	}
	out := maskDigits(nsn)
	if cc != "" {
		out = "+" + cc + out
	}
	return out
}

func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func maskDigits(d string) string {
	switch {
	case len(d) >= 8:
		return strings.Repeat("*", len(d)-4) + d[len(d)-4:]
	case len(d) > 4:
		return strings.Repeat("*", len(d)-2) + d[len(d)-2:]
	}
	return "****"
}
