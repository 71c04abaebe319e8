package dws

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"github.com/kycdesk/kycdesk/providers"
)

// identityValue format, from the seed (initAuthentication, identityValue):
// "The number is expressed as an E.164 number. The format of this field is
// {countryCode}-{area code with leading 0 removed}{number}", with the examples
// +14154567899 → "1-4154567899" and (020)44555666 (UK) → "44-2044555666".
// The sample request sends "60-6543216353". reference/dws.md §5 could not
// confirm the format beyond the seed; the seed is what kycdesk implements.

// maxPhoneInput bounds what the normaliser looks at.
const maxPhoneInput = 64

// wireForm is "{countryCode}-{number}" as typed (the seed's own form).
var wireForm = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+?([1-9][0-9]{0,2})-([0-9]+)$`) })

// NormalizePhone turns what an operator types into the seed's identityValue
// form "{countryCode}-{national significant number}".
//
// Accepted input: international numbers ("+44 20 4455 5666", "0044…" with a
// default region), national numbers with defaultRegion (an ISO 3166-1
// alpha-2 code: "(020)44555666" with GB), and the wire form itself
// ("60-6543216353", "1-4154567899").
//
// A number that cannot be a phone number (letters, too short, too long, an
// unknown country code, a national number with no region, an extension) is
// an error. A number libphonenumber considers possible but not valid, or
// valid but not a mobile number, is returned with warnings: it can still be
// sent (the seed's own examples 44-2044555666, a London fixed line, and
// 60-6543216353, which libphonenumber calls invalid, are such numbers).
func NormalizePhone(input, defaultRegion string) (wire string, warnings []string, err error) {
	wire, ws, err := normalizePhone(input, defaultRegion)
	for _, w := range ws {
		warnings = append(warnings, w.Message)
	}
	return wire, warnings, err
}

// Warning codes of identityValue (providers.FieldError.Code), stable: desk
// profiles list the ones they accept.
const (
	WarnPhoneNotValid  = "phone-not-valid"
	WarnPhoneNotMobile = "phone-not-mobile"
)

// normalizePhone is NormalizePhone with coded warnings.
func normalizePhone(input, defaultRegion string) (string, []providers.FieldError, error) {
	s := strings.TrimSpace(input)
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if s == "" {
		return "", nil, errors.New("a phone number is required")
	}
	if len(s) > maxPhoneInput {
		return "", nil, fmt.Errorf("is %d characters long; a phone number is at most %d", len(s), maxPhoneInput)
	}
	if msg := phoneChars(s); msg != "" {
		return "", nil, errors.New(msg)
	}
	plus := strings.HasPrefix(s, "+")
	if m := wireForm().FindStringSubmatch(s); m != nil {
		// The seed's own form. Without "+" and with a default country it
		// may also be a national number ("212-5551234" in the US is not
		// Morocco); the wire reading wins when it is a possible number.
		cc, _ := strconv.Atoi(m[1])
		var werr error
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			werr = fmt.Errorf("%s is not a country calling code; type the number as +CC… or {countryCode}-{number}", m[1])
		} else if n, perr := phonenumbers.Parse("+"+m[1]+m[2], ""); perr != nil {
			werr = parseError(perr)
		} else {
			w, warns, jerr := judge(n)
			if jerr == nil {
				return w, warns, nil
			}
			werr = jerr
		}
		if plus {
			return "", nil, werr
		}
		if region == "" {
			return "", nil, &regionError{werr}
		}
	}
	if !plus && region == "" {
		return "", nil, &regionError{errors.New("is in national format; choose its country (the country field) or type it with +country code, e.g. +44 20 4455 5666")}
	}
	if region != "" && !strings.HasPrefix(s, "+") && phonenumbers.GetCountryCodeForRegion(region) == 0 {
		return "", nil, fmt.Errorf("%q is not a country libphonenumber knows; type the number with +country code", region)
	}
	n, perr := phonenumbers.Parse(s, region)
	if perr != nil {
		return "", nil, parseError(perr)
	}
	return judge(n)
}

// phoneChars refuses anything but digits and the usual separators; letters
// would otherwise be read as a keypad (vanity) number.
func phoneChars(s string) string {
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '/' || r == '\u00a0':
		case unicode.IsLetter(r):
			return "contains letters; a phone number has only digits, spaces, + - ( ) . /"
		default:
			return fmt.Sprintf("contains %q; a phone number has only digits, spaces, + - ( ) . /", r)
		}
	}
	return ""
}

func parseError(err error) error {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return errors.New("has an unknown country code")
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return errors.New("is too short to be a phone number")
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return errors.New("is too long to be a phone number")
	}
	return errors.New("is not a phone number")
}

// judge refuses impossible numbers and warns about invalid or non-mobile ones.
func judge(n *phonenumbers.PhoneNumber) (string, []providers.FieldError, error) {
	if n.GetExtension() != "" {
		return "", nil, errors.New("has an extension; an SMS code cannot be sent to an extension")
	}
	switch phonenumbers.IsPossibleNumberWithReason(n) {
	case phonenumbers.IS_POSSIBLE, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
	case phonenumbers.TOO_SHORT:
		return "", nil, errors.New("is too short to be a phone number")
	case phonenumbers.TOO_LONG:
		return "", nil, errors.New("is too long to be a phone number")
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", nil, errors.New("has an unknown country code")
	default:
		return "", nil, errors.New("does not have a possible length for its country")
	}
	cc := int(n.GetCountryCode())
	wire := strconv.Itoa(cc) + "-" + phonenumbers.GetNationalSignificantNumber(n)
	var warns []providers.FieldError
	if !phonenumbers.IsValidNumber(n) {
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		warns = append(warns, providers.Warn(ParamIdentityValue, WarnPhoneNotValid, fmt.Sprintf("%s is not a valid number for %s according to libphonenumber; check it before sending (it can still be sent)", maskE164(cc, n), region)))
		return wire, warns, nil
	}
	switch t := phonenumbers.GetNumberType(n); t {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	default:
		warns = append(warns, providers.Warn(ParamIdentityValue, WarnPhoneNotMobile, fmt.Sprintf("%s is a %s number, not a mobile number; the SMS code may not arrive", maskE164(cc, n), numberTypeName(t))))
	}
	return wire, warns, nil
}

func maskE164(cc int, n *phonenumbers.PhoneNumber) string {
	return providers.MaskPhone(strconv.Itoa(cc) + "-" + phonenumbers.GetNationalSignificantNumber(n))
}

func numberTypeName(t phonenumbers.PhoneNumberType) string {
	switch t {
	case phonenumbers.FIXED_LINE:
		return "fixed-line"
	case phonenumbers.TOLL_FREE:
		return "toll-free"
	case phonenumbers.PREMIUM_RATE:
		return "premium-rate"
	case phonenumbers.SHARED_COST:
		return "shared-cost"
	case phonenumbers.VOIP:
		return "VoIP"
	case phonenumbers.PERSONAL_NUMBER:
		return "personal (forwarding)"
	case phonenumbers.PAGER:
		return "pager"
	case phonenumbers.UAN:
		return "UAN (company)"
	case phonenumbers.VOICEMAIL:
		return "voicemail"
	}
	return "non-mobile"
}
