package dws

import (
	"errors"
	"net/netip"
	"regexp"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Parameter names. The wire names are the seed's (initAuthentication); env
// fields are written "env.<name>" and sent inside the "env" object.
const (
	ParamAuthenticationRequestID = "authenticationRequestId"
	ParamAuthenticationMethod    = "authenticationMethod"
	ParamAuthenticationType      = "authenticationType"
	ParamIdentityType            = "identityType"
	ParamIdentityValue           = "identityValue"
	// ParamCountry is kycdesk's own: the default country for numbers typed in
	// national format. It is never sent.
	ParamCountry = "country"
	// EnvPrefix marks the fields of the env object.
	EnvPrefix = "env."
)

// The values the seed fixes for the registration scenario.
const (
	MethodOTP      = "OTP"
	TypeSMS        = "SMS"
	IdentityMobile = "MOBILENO"
)

// MaxRequestIDLen is the seed's maximum length of authenticationRequestId.
const MaxRequestIDLen = 64

// NewRequestID makes a fresh authenticationRequestId: "KYCDESK", the UTC
// time to the second and 16 random hex digits (37 characters, within the
// seed's 64).
func NewRequestID() string {
	return "KYCDESK" + time.Now().UTC().Format("20060102150405") + providers.RandomHex(8)
}

// envFields are the env members the seed shows, in its parameter table's
// example and in its sample request. Their meanings are not given on the
// DWS page; the notes follow the AMS Env model (reference/dws.md §6), which
// is unconfirmed for DWS.
var envFields = []struct {
	name, label, doc, example string
	suggestions               []string
	check                     func(string) error
	pattern                   string
}{
	{"terminalType", "Terminal type", "The type of terminal the customer uses. The initAuthentication page's examples send \"APP\"; the AMS Env model lists WEB, WAP, APP and MINI_APP.", "APP", []string{"APP", "WEB", "WAP", "MINI_APP"}, nil, ""},
	{"osType", "OS type", "The customer's operating system. The initAuthentication page's examples send \"Android\" and \"ios 8929\"; the AMS Env model lists IOS and ANDROID.", "Android", []string{"ANDROID", "IOS"}, nil, ""},
	{"osVersion", "OS version", "The version of the customer's operating system.", "10", nil, nil, ""},
	{"clientIp", "Client IP", "The IP address of the customer's device.", "123.136.111.19", nil, checkIP, "an IPv4 or IPv6 address"},
	{"deviceModel", "Device model", "The model of the customer's device.", "TECNO LD7", nil, nil, ""},
	{"language", "Language", "The language of the customer's device, as a language tag.", "en-US", nil, checkLanguage, "a language tag such as en-US"},
	{"sessionId", "Session ID", "The id of the customer's session in the merchant's app.", "1e32d8b642590af5c3cba8ad5d111c2c", nil, nil, ""},
	{"appVersion", "App version", "The version of the merchant's app.", "6.84.2", nil, nil, ""},
	{"deviceTokenId", "Device token ID", "The device token from the risk SDK.", "wiQ5Hlwx3QLMkRS3R3OMtOAnznRWKJ6lFPgs7GDgihiuimC9fQEAAA==", nil, nil, ""},
	{"tokenId", "Token ID", "A device token id (the initAuthentication page's sample request).", "giaGTonn30X9AJPc0MN9lpjK-SZXq6PifXy3Gs4ufmI4BC87awEAAAAA", nil, nil, ""},
	{"umidTokenId", "UMID token ID", "The UMID device token (the initAuthentication page's parameter example).", "DYQAEhpLPO4XcQN9vXk/RHl6C7oLX+41", nil, nil, ""},
	{"clientUmid", "Client UMID", "The client UMID (the initAuthentication page's sample request).", "sdjoi02082", nil, nil, ""},
	{"operateEntrance", "Operate entrance", "The entrance the customer came through (the initAuthentication page's example: \"DWS\").", "DWS", nil, nil, ""},
}

var languageTag = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$`) })

func checkLanguage(v string) error {
	if !languageTag().MatchString(v) {
		return errors.New("must be a language tag such as en-US or en-PH")
	}
	return nil
}

func checkIP(v string) error {
	if _, err := netip.ParseAddr(v); err != nil {
		return errors.New("must be an IP address such as 123.136.111.19")
	}
	return nil
}

// regionError is a phone problem that a default country may resolve; the
// single-field check leaves it to Validate, which knows the country.
type regionError struct{ err error }

func (e *regionError) Error() string { return e.err.Error() }
func (e *regionError) Unwrap() error { return e.err }

func checkIdentityValue(v string) error {
	_, _, err := NormalizePhone(v, "")
	var re *regionError
	if errors.As(err, &re) {
		return nil
	}
	return err
}

// Spec is the initAuthentication parameter list (seed 001), plus kycdesk's
// local country field.
func Spec() providers.Spec {
	s := providers.Spec{
		{
			Name:  ParamAuthenticationRequestID,
			Label: "Authentication request ID",
			Doc: "The unique ID that is assigned by a merchant to identify an initialization registration request. " +
				"DWS uses this field for idempotence control: requests with the same authenticationRequestId that reach a final " +
				"status (S or F) return the same result. Leave it empty: kycdesk generates one per launch and reuses it, " +
				"with a byte-identical body, on every retry of that launch.",
			Kind:        providers.KindText,
			Required:    true,
			MaxLen:      MaxRequestIDLen,
			ASCII:       true,
			Forbidden:   " ",
			Placeholder: "MDEDUCT001bd856ad81cec1e91a620c270bcba5a4223",
			Generate:    NewRequestID,
			Unique:      true,
		},
		{
			Name:  ParamAuthenticationMethod,
			Label: "Authentication method",
			Doc: "The authentication method. This field indicates the method by which the user's identity is verified. " +
				"In the registration scenario, only OTP (One Time Password). PASSWORD (payment or login password) is not a " +
				"registration flow and is not offered.",
			Kind:     providers.KindEnum,
			Required: true,
			Default:  MethodOTP,
			Options:  []providers.Option{{Value: MethodOTP, Label: "One Time Password"}},
			Aliases:  map[string]string{"otp": MethodOTP, "Otp": MethodOTP},
		},
		{
			Name:  ParamAuthenticationType,
			Label: "Authentication type",
			Doc: "The concrete type of authentication method that is used to authenticate the user. " +
				"In the registration scenario, this field is SMS: the one-time password is sent by SMS to identityValue.",
			Kind:      providers.KindEnum,
			Required:  true,
			Essential: true,
			Default:   TypeSMS,
			Options:   []providers.Option{{Value: TypeSMS, Label: "one-time password by SMS"}},
			Aliases:   map[string]string{"sms": TypeSMS, "Sms": TypeSMS},
			Unconfirmed: "EMAIL appears as an OTP type on the verifyAuthentication page, but the identityType and identityValue " +
				"for an e-mail address are not documented and the initAuthentication page fixes MOBILENO for registration; " +
				"kycdesk offers SMS only rather than guess.",
		},
		{
			Name:     ParamIdentityType,
			Label:    "Identity type",
			Doc:      "The type is used to verify the user. In the registration scenario, this field is MOBILENO (a mobile phone number).",
			Kind:     providers.KindEnum,
			Required: true,
			Default:  IdentityMobile,
			Options:  []providers.Option{{Value: IdentityMobile, Label: "mobile phone number"}},
			Aliases:  map[string]string{"mobileno": IdentityMobile},
		},
		{
			Name:  ParamIdentityValue,
			Label: "Mobile number",
			Doc: "The value that authenticates the user's identity information. In the registration scenario, the value of this " +
				"field is the user's phone number, expressed as an E.164 number in the format {countryCode}-{area code with " +
				"leading 0 removed}{number}: +14154567899 is sent as \"1-4154567899\", (020)44555666 (UK) as \"44-2044555666\". " +
				"Type it as you have it (+44 20 4455 5666, (020)44555666 with country GB, 60-6543216353): kycdesk sends the " +
				"{countryCode}-{number} form. Numbers that cannot exist are refused; numbers libphonenumber thinks invalid or " +
				"not mobile are sent after a warning.",
			Kind:        providers.KindPhone,
			Required:    true,
			Essential:   true,
			Personal:    true,
			Placeholder: "44-2044555666",
			Pattern:     "{countryCode}-{number}, +CC number, or national with country",
			Check:       checkIdentityValue,
		},
		{
			Name:  ParamCountry,
			Label: "Country of the number",
			Doc: "kycdesk only, not sent to DWS: the country of a number typed in national format, e.g. GB for (020)44555666. " +
				"Numbers typed with +country code or as {countryCode}-{number} do not need it.",
			Kind:        providers.KindCountry,
			Essential:   true,
			Placeholder: "GB",
		},
	}
	for _, f := range envFields {
		p := providers.Param{
			Name:  EnvPrefix + f.name,
			Label: f.label,
			Doc: "env." + f.name + ": " + f.doc + " The env object is \"the environment information, and data collection for " +
				"transaction risk\" (optional); each member is sent as a JSON string.",
			Kind:        providers.KindText,
			Placeholder: f.example,
			Check:       f.check,
			Pattern:     f.pattern,
			Unconfirmed: "the DWS page shows env only by example; member meanings follow the AMS Env model (Alipay's AMS API reference, \"Env\")",
		}
		for _, o := range f.suggestions {
			p.Options = append(p.Options, providers.Option{Value: o})
		}
		s = append(s, p)
	}
	return s
}
