package idenfy

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Sources cited below:
//
//	[002] seed 002: "Create verification session", the older full page
//	      (every field with constraints, the settings switches).
//	[003] seed 003: "Generate KYC token", the newer page; it matches [B].
//	[B]   the official OpenAPI kyc.yaml (reference/idenfy.md §0 [B]).
//	[md]  reference/idenfy.md, the collected notes.

// Documented bounds and defaults. Each is used by the spec, and the
// simulator keeps its own copy of the rules (simulator.go) on purpose.
const (
	// expiryTimeMin/Max bound the token lifetime; see docVersionChoices.
	expiryTimeMin = 0
	expiryTimeMax = 2592000 // 30 days [002][003]
	// DefaultExpiryTime is the documented default token lifetime in
	// seconds [002]. Launch uses it for ExpiresAt when neither the
	// response nor the request carries expiryTime.
	DefaultExpiryTime = 86400
	// sessionLength bounds (union of the sources, see docVersionChoices).
	sessionLengthMin     = 60
	sessionLengthMax     = 3600
	defaultSessionLength = 1800 // [002]
	// ageBound is kycdesk's own sanity bound on ageLimit/ageMax.
	ageBound = 150
)

// docVersionChoices is the one place where the sources disagree or are
// silent and kycdesk had to choose. Each entry is shown as the Param's
// Unconfirmed note (`kycdesk params idenfy`), so an operator sees the choice
// next to the field it affects.
var docVersionChoices = map[string]string{
	// [002]: "More than 60, less than 3600", default 1800. [003]/[B]:
	// 60 <= x <= 3600. The union is 60..3600 inclusive.
	"sessionLength": "sources disagree: the \"Create verification session\" page says more than 60 and less than 3600 (default 1800), " +
		"the \"Generate KYC token\" page and the OpenAPI say 60..3600 inclusive; kycdesk accepts the union, 60..3600 inclusive",
	// [002] lists five values; [003]/[B] only IDENTIFICATION and DOCUMENT.
	"tokenType": "sources disagree: the \"Create verification session\" page lists DOCUMENT, IDENTIFICATION, VIDEO_CALL, VIDEO_CALL_PHOTOS, " +
		"VIDEO_CALL_IDENTIFICATION; the \"Generate KYC token\" page and the OpenAPI list only IDENTIFICATION and DOCUMENT (OpenAPI even marks " +
		"tokenType required, while every prose page says only clientId is); kycdesk offers the union, " +
		"optional with default IDENTIFICATION; the VIDEO_CALL* values may be refused by the current API",
	// [002]: "More than 0, not exceeding 2592000", default 86400. [003]/[B]:
	// 0 <= x <= 2592000. The union (the newer, wider rule) is kept.
	"expiryTime": "sources disagree: the \"Create verification session\" page says more than 0 and at most 2592000 (default 86400), " +
		"the \"Generate KYC token\" page and the OpenAPI say 0..2592000; kycdesk accepts the union, 0..2592000, and warns at 0, whose meaning " +
		"no page gives; when the response carries no expiryTime the launch assumes the request's " +
		"value, else the documented default 86400 the \"Create verification session\" page",
	// [002] has a 24-code enum; [003]/[B] a free string of at most 7
	// characters ("e.g. en, de, ko") with fallback to English.
	"locale": "sources differ: the \"Create verification session\" page lists 24 codes; the \"Generate KYC token\" page and the OpenAPI accept any code of up to 7 " +
		"characters (e.g. en, de, ko) and show English for unsupported ones; kycdesk offers the 24 codes " +
		"as choices, accepts any language code of that shape (ko, pt-BR), and warns when it is not one of the 24",
	// [md] A KYC page: nationality "ALL" clears it.
	"nationality": "iDenfy's \"Create verification session\" page says any alpha-2 country; iDenfy's KYC guide adds that ALL clears it; " +
		"kycdesk accepts both",
	// [md]: the newest page omits <> from the forbidden list; [002] has them.
	"names": "iDenfy's \"Create verification session\" page forbids ~!@#$%^*()_+={}[]|:;\",<>/? (the newest page omits <>); kycdesk keeps the stricter list",
	// Only [B]/[003] name the age fields, with no bounds.
	"age": "only iDenfy's \"Generate KYC token\" page and its OpenAPI name ageLimit/ageMax, as integers without bounds; kycdesk refuses values " +
		"outside 0..150 as typos and requires ageLimit <= ageMax",
	// [002] calls the ratios Float/Integer with defaults 0.8 / 0.7.
	"levenshtein": "iDenfy's \"Create verification session\" page gives only the type (Float/Integer) and the defaults 0.8 / 0.7; kycdesk bounds the " +
		"ratio to 0..1, the range of a match ratio",
	// [003] newest prose example sends country as an array; [B] a string.
	"country": "iDenfy's \"Create verification session\" page and its OpenAPI: a string; the newest prose example (the \"Generate KYC token\" page) " +
		"sends an array; kycdesk sends one string",
	// [B] riskAssessmentProfile format uuid; [002] only "profile id".
	"riskAssessmentProfile": "iDenfy's \"Create verification session\" page says only 'Risk Assessment profile id'; OpenAPI gives format uuid; " +
		"kycdesk requires a UUID",
	// [002] settings must be enabled in the environment first.
	"settings": "iDenfy's \"Create verification session\" page: settings switches must be enabled in your environment's configuration (and some in " +
		"your contract) before they can be sent; otherwise iDenfy may refuse the token",
	// [md] §0: success is 201 [B], 200/201 in practice; any 2xx is accepted.
	"status": "OpenAPI documents 201, other pages 200; kycdesk accepts any 2xx",
}

var localeOptions = []providers.Option{
	{Value: "lt", Label: "Lithuanian"}, {Value: "en", Label: "English"}, {Value: "ru", Label: "Russian"},
	{Value: "pl", Label: "Polish"}, {Value: "lv", Label: "Latvian"}, {Value: "et", Label: "Estonian"},
	{Value: "ro", Label: "Romanian"}, {Value: "it", Label: "Italian"}, {Value: "de", Label: "German"},
	{Value: "fr", Label: "French"}, {Value: "sv", Label: "Swedish"}, {Value: "es", Label: "Spanish"},
	{Value: "hu", Label: "Hungarian"}, {Value: "ja", Label: "Japanese"}, {Value: "bg", Label: "Bulgarian"},
	{Value: "cs", Label: "Czech"}, {Value: "nl", Label: "Dutch"}, {Value: "pt", Label: "Portuguese"},
	{Value: "uk", Label: "Ukrainian"}, {Value: "vi", Label: "Vietnamese"}, {Value: "sk", Label: "Slovak"},
	{Value: "th", Label: "Thai"}, {Value: "hi", Label: "Hindi"}, {Value: "id", Label: "Indonesian"},
}

// documentOptions are the 17 document types of [002].
var documentOptions = []providers.Option{
	{Value: "ID_CARD", Label: "ID card"},
	{Value: "PASSPORT", Label: "Passport"},
	{Value: "RESIDENCE_PERMIT", Label: "Residence permit"},
	{Value: "DRIVER_LICENSE", Label: "Driver license"},
	{Value: "AADHAAR", Label: "Aadhaar card (India)"},
	{Value: "PAN_CARD", Label: "PAN card (India)"},
	{Value: "VISA", Label: "Visa"},
	{Value: "BORDER_CROSSING", Label: "Border crossing card"},
	{Value: "ASYLUM", Label: "Asylum document"},
	{Value: "NATIONAL_PASSPORT", Label: "National passport"},
	{Value: "VOTER_CARD", Label: "Voter card"},
	{Value: "OLD_ID_CARD", Label: "Old ID card"},
	{Value: "TRAVEL_CARD", Label: "Travel card"},
	{Value: "PHOTO_CARD", Label: "Photo card"},
	{Value: "MILITARY_CARD", Label: "Military card"},
	{Value: "PROOF_OF_AGE_CARD", Label: "Proof of age card"},
	{Value: "DIPLOMATIC_ID", Label: "Diplomatic ID"},
}

var tokenTypeOptions = []providers.Option{
	{Value: "IDENTIFICATION", Label: "Document + selfie (default)"},
	{Value: "DOCUMENT", Label: "Document only"},
	{Value: "VIDEO_CALL", Label: "Video call (older docs only)"},
	{Value: "VIDEO_CALL_PHOTOS", Label: "Video call with photos (older docs only)"},
	{Value: "VIDEO_CALL_IDENTIFICATION", Label: "Video call identification (older docs only)"},
}

var sexOptions = []providers.Option{{Value: "M", Label: "Male"}, {Value: "F", Label: "Female"}}

var fraudServiceOptions = []providers.Option{
	{Value: "AML_NAMES_CHECK", Label: "AML names check"},
	{Value: "LID", Label: "Lost and invalid documents (LID)"},
	{Value: "AML_NEWS", Label: "AML adverse news"},
}

var detectionTypeOptions = []providers.Option{
	{Value: "FACE", Label: "Face"},
	{Value: "EYES", Label: "Eyes"},
}

// nameForbidden are the characters [002] refuses in firstName/lastName.
const nameForbidden = "~!@#$%^*()_+={}[]|:;\",<>/?"

// caseAliases lets an operator type an option in another case
// ("passport", "EN").
func caseAliases(opts []providers.Option) map[string]string {
	m := make(map[string]string, 2*len(opts))
	for _, o := range opts {
		if l := strings.ToLower(o.Value); l != o.Value {
			m[l] = o.Value
		}
		if u := strings.ToUpper(o.Value); u != o.Value {
			m[u] = o.Value
		}
	}
	return m
}

// localeMaxLen is the OpenAPI's maxLength for locale [B][003].
const localeMaxLen = 7

// isLocaleShape accepts a language code as the docs show them (en, ko,
// pt-BR): two or three letters, optionally a hyphen or underscore and a
// region or script of two to four letters or digits.
func isLocaleShape(v string) bool {
	lang, region, hasRegion := strings.Cut(strings.ReplaceAll(v, "_", "-"), "-")
	if len(lang) < 2 || len(lang) > 3 || !allASCII(lang, false) {
		return false
	}
	if !hasRegion {
		return true
	}
	return len(region) >= 2 && len(region) <= 4 && allASCII(region, true)
}

func allASCII(s string, digits bool) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || digits && '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

func checkLocale(v string) error {
	if !isLocaleShape(v) {
		return errors.New("must be a language code such as en, lt or pt-BR")
	}
	return nil
}

// knownLocale reports whether v is one of the 24 codes [002] lists.
func knownLocale(v string) bool {
	for _, o := range localeOptions {
		if o.Value == v {
			return true
		}
	}
	return false
}

func checkNotFuture(v string) error {
	d, err := time.Parse("2006-01-02", v)
	if err == nil && d.After(time.Now()) {
		return errors.New("must not be in the future")
	}
	return nil
}

// checkFinite refuses NaN and ±Inf, which strconv.ParseFloat accepts and
// the generic range check lets through (NaN compares false) but JSON cannot carry.
func checkFinite(v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return errors.New("must be a finite number such as 0.8")
	}
	return nil
}

func checkNationality(v string) error {
	if strings.EqualFold(v, "ALL") {
		return nil
	}
	if msg := providers.CheckCountry(v); msg != "" {
		return errors.New(msg + ", or ALL to clear it")
	}
	return nil
}

func checkUUID(v string) error {
	if !isUUID(v) {
		return errors.New("must be a UUID such as e8cadb52-d429-4dc2-b788-99dfbbe8a4ab")
	}
	return nil
}

// isUUID reports whether v is 8-4-4-4-12 hexadecimal digits.
func isUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i, r := range v {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

func setting(name, label, doc string) providers.Param {
	return providers.Param{Name: name, Label: label, Kind: providers.KindBool,
		Doc: doc + " Must be enabled in your environment first (iDenfy, \"Create verification session\").", Unconfirmed: docVersionChoices["settings"]}
}

// checkCallbackURL is the mode-independent part of the callbackUrl rule:
// https, or plain http to a loopback host (which only the sandbox accepts;
// Validate refuses it in live mode).
func checkCallbackURL(v string) error {
	if msg := providers.CheckCallbackURL(v, providers.ModeSandbox); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// Spec is every documented field of POST /api/v2/token, in form order:
// essentials first.
func Spec() providers.Spec {
	urlDoc := " Min length 5, max length 2048. Cannot be used with an iframe implementation."
	return providers.Spec{
		{
			Name: "clientId", Label: "Client ID", Kind: providers.KindText, Required: true, Essential: true,
			Doc: "A unique string identifying the client on your side; the only required field. Same clientId " +
				"skips duplicate checking. Do not generate a new token for the same clientId before its final " +
				"result arrives: repeated tokens may cost extra credits.",
			Placeholder: "100000", ASCII: true, MaxLen: 100,
		},
		{
			Name: "firstName", Label: "First name", Kind: providers.KindText, Essential: true, Personal: true,
			Doc: "Name(s) of the client. Uppercased by iDenfy. If it differs from the document the result is " +
				"SUSPECTED with mismatch tag NAME; iDenfy recommends sending only clientId.",
			Placeholder: "John Tom", MinLen: 1, MaxLen: 100, NoDigits: true, Forbidden: nameForbidden,
			Unconfirmed: docVersionChoices["names"],
		},
		{
			Name: "lastName", Label: "Last name", Kind: providers.KindText, Essential: true, Personal: true,
			Doc: "Surname(s) of the client. Uppercased by iDenfy. If it differs from the document the result " +
				"is SUSPECTED with mismatch tag SURNAME.",
			Placeholder: "Smith", MinLen: 1, MaxLen: 100, NoDigits: true, Forbidden: nameForbidden,
			Unconfirmed: docVersionChoices["names"],
		},
		{
			Name: "locale", Label: "UI language", Kind: providers.KindText, Essential: true, Default: "en",
			Doc: "Language the client first sees in the verification UI: a language code of up to 7 characters " +
				"(en, de, ko, pt-BR). An unsupported locale shows English.",
			Options: localeOptions, Aliases: caseAliases(localeOptions), Unconfirmed: docVersionChoices["locale"],
			MaxLen: localeMaxLen, Check: checkLocale, Pattern: "a language code such as en, lt or pt-BR", Placeholder: "en",
		},
		{
			Name: "country", Label: "Document country", Kind: providers.KindCountry, Essential: true,
			Doc:         "Default document-issuing country (ISO alpha-2). The client cannot select a different country.",
			Placeholder: "LT", Unconfirmed: docVersionChoices["country"],
		},
		{
			Name: "documents", Label: "Documents", Kind: providers.KindMultiEnum, Essential: true,
			Default: "ID_CARD,PASSPORT",
			Doc:     "Verification documents the client may use. Default: ID_CARD, PASSPORT.",
			Options: documentOptions, Aliases: caseAliases(documentOptions),
		},
		{
			Name: "tokenType", Label: "Token type", Kind: providers.KindEnum, Essential: true, Default: "IDENTIFICATION",
			Doc: "What the client goes through: DOCUMENT = document capture only; IDENTIFICATION = document " +
				"and selfie. The VIDEO_CALL types appear only in the older docs.",
			Options: tokenTypeOptions, Aliases: caseAliases(tokenTypeOptions), Unconfirmed: docVersionChoices["tokenType"],
		},
		{
			Name: "expiryTime", Label: "Token lifetime (s)", Kind: providers.KindInt, Essential: true,
			Default: "86400",
			Doc: "Seconds after which a newly generated token becomes invalid; counted from generation. " +
				"At most 2592000 (30 days); the OpenAPI also allows 0, without saying what it means.",
			Placeholder: "86400", Min: expiryTimeMin, Max: expiryTimeMax, HasMin: true, HasMax: true,
			Unconfirmed: docVersionChoices["expiryTime"],
		},
		{
			Name: "successUrl", Label: "Success URL", Kind: providers.KindURL, Default: "https://ui.idenfy.com/result?status=success",
			Doc:         "Where the client is redirected after a successful verification." + urlDoc,
			Placeholder: "https://www.my-company.com/idenfy/success", MinLen: 5, MaxLen: 2048,
		},
		{
			Name: "errorUrl", Label: "Error URL", Kind: providers.KindURL, Default: "https://ui.idenfy.com/result?status=fail",
			Doc:         "Where the client is redirected after a failed verification." + urlDoc,
			Placeholder: "https://www.my-company.com/idenfy/fail", MinLen: 5, MaxLen: 2048,
		},
		{
			Name: "unverifiedUrl", Label: "Unverified URL", Kind: providers.KindURL, Default: "https://ui.idenfy.com/result?status=unverified",
			Doc: "Where the client is redirected after a verification that was not analysed, e.g. the " +
				"client cancelled at once." + urlDoc,
			Placeholder: "https://www.my-company.com/idenfy/unverified", MinLen: 5, MaxLen: 2048,
		},
		{
			Name: "callbackUrl", Label: "Webhook URL", Kind: providers.KindURL,
			Doc: "Webhook endpoint for this session only; overrides the notification endpoints " +
				"(AUTO_FINISHED, MANUAL_FINISHED…). Must be HTTPS and needs a permission enabled by iDenfy " +
				"support (contact them if the request is refused). In the sandbox kycdesk fills it with its own " +
				"loopback receiver (plain http to a loopback host is allowed there only).",
			Placeholder: "https://mywebsite.com/idenfy/webhookendpoint",
			Check:       checkCallbackURL, Pattern: "https (plain http only to a loopback host, in the sandbox)",
			FilledAtLaunch: true,
		},
		{
			Name: "showInstructions", Label: "Show instructions", Kind: providers.KindBool, Default: "true",
			Doc: "Whether instructions are shown in the verification UI.",
		},
		{
			Name: "sessionLength", Label: "Session length (s)", Kind: providers.KindInt, Default: "1800",
			Doc: "Seconds the client has to finish in the verification UI; counted from when the client " +
				"opens the link.",
			Placeholder: "1800", Min: sessionLengthMin, Max: sessionLengthMax, HasMin: true, HasMax: true,
			Unconfirmed: docVersionChoices["sessionLength"],
		},
		{
			Name: "dateOfBirth", Label: "Date of birth", Kind: providers.KindDate, Personal: true,
			Doc:         "Client's date of birth (YYYY-MM-DD). A mismatch gives SUSPECTED with tag DATE_OF_BIRTH.",
			Placeholder: "1990-12-20", Check: checkNotFuture, Pattern: "not in the future",
			Date: providers.DateBirth,
		},
		{
			Name: "dateOfExpiry", Label: "Document expiry date", Kind: providers.KindDate, Personal: true,
			Doc: "Expiry date of the client's document (YYYY-MM-DD).", Placeholder: "2030-12-20",
			Date: providers.DateExpiry,
		},
		{
			Name: "dateOfIssue", Label: "Document issue date", Kind: providers.KindDate, Personal: true,
			Doc: "Issue date of the client's document (YYYY-MM-DD); not after dateOfExpiry.", Placeholder: "2020-12-20",
			Check: checkNotFuture, Pattern: "not in the future",
		},
		{
			Name: "nationality", Label: "Nationality", Kind: providers.KindText, Personal: true,
			Doc:         "Client's nationality (ISO alpha-2, uppercased by iDenfy). ALL clears it.",
			Placeholder: "LT", Check: checkNationality, Pattern: "ISO 3166-1 alpha-2 or ALL",
			Aliases: map[string]string{"all": "ALL", "All": "ALL"}, Unconfirmed: docVersionChoices["nationality"],
		},
		{
			Name: "personalNumber", Label: "Personal number", Kind: providers.KindText, Personal: true,
			Doc: "Client's personal/national number.", Placeholder: "123456789", ASCII: true, MinLen: 1, MaxLen: 50,
		},
		{
			Name: "documentNumber", Label: "Document number", Kind: providers.KindText, Personal: true,
			Doc: "Number of the client's document.", Placeholder: "123456", ASCII: true, MinLen: 1, MaxLen: 50,
		},
		{
			Name: "sex", Label: "Sex", Kind: providers.KindEnum, Personal: true,
			Doc: "Client's sex: M or F.", Options: sexOptions, Aliases: caseAliases(sexOptions),
		},
		{
			Name: "generateDigitString", Label: "Generate digit string", Kind: providers.KindBool, Default: "false",
			Doc: "Generate an 8-digit code identifying the token, for iDenfy's mobile app. The contract must " +
				"allow it, and expiryTime must not exceed the digit string's maximum (the environment's default " +
				"expiryTime); sales@idenfy.com can raise it.",
		},
		{
			Name: "address", Label: "Address", Kind: providers.KindText, Personal: true,
			Doc: "Client's address provided by the partner, used for proof of address.", MaxLen: 255,
			Placeholder: "Address",
		},
		{
			Name: "externalRef", Label: "External reference", Kind: providers.KindText,
			Doc:   "A unique string linking the client to your system; returned as-is in webhooks.",
			ASCII: true, MaxLen: 40, Placeholder: "reference",
		},
		{
			Name: "utilityBill", Label: "Utility bill", Kind: providers.KindBool, Default: "false",
			Doc: "Require a utility bill as an additional step. Cannot be used with additionalSteps; preset " +
				"custom additional steps are the recommended way.",
		},
		{
			Name: "additionalSteps", Label: "Additional steps", Kind: providers.KindJSON, JSONObject: true,
			Doc: "Additional photos the client must upload, as a JSON object " +
				`{country|"ALL": {docType|"ALL": {STEP_NAME: {…, "type": UPLOAD|COMPARE|EXTRACT}}}}. ` +
				"Cannot be used with utilityBill.",
			Placeholder: `{"ALL":{"ALL":{"UTILITY_BILL":{"type":"UPLOAD"}}}}`,
		},
		{
			Name: "additionalData", Label: "Additional data", Kind: providers.KindJSON, JSONObject: true, Personal: true,
			Doc: "Data provided alongside additionalSteps for COMPARE steps, e.g. a Social Security Number " +
				"in UTILITY_BILL. Must be used with additionalSteps.",
			Placeholder: `{"UTILITY_BILL":{"ssn":"123-45-6789"}}`,
		},
		{
			Name: "questionnaire", Label: "Questionnaire key", Kind: providers.KindText,
			Doc: "Key of a questionnaire already created in the dashboard.", Placeholder: "c8QgVx5xzspjVnQ4nJ7MCf",
		},
		{
			Name: "riskAssessmentProfile", Label: "Risk assessment profile", Kind: providers.KindText,
			Doc:         "Id of a risk assessment profile already created in the dashboard.",
			Placeholder: "e8cadb52-d429-4dc2-b788-99dfbbe8a4ab", Check: checkUUID, Pattern: "UUID",
			Unconfirmed: docVersionChoices["riskAssessmentProfile"],
		},
		{
			Name: "ageLimit", Label: "Minimum age", Kind: providers.KindInt,
			Doc: "Minimum required age. Below it the result is SUSPECTED (mismatch tag UNDER_AGE).",
			Min: 0, Max: ageBound, HasMin: true, HasMax: true, Placeholder: "18", Unconfirmed: docVersionChoices["age"],
		},
		{
			Name: "ageMax", Label: "Maximum age", Kind: providers.KindInt,
			Doc: "Maximum allowed age. Above it the result is SUSPECTED (mismatch tag OVER_AGE).",
			Min: 0, Max: ageBound, HasMin: true, HasMax: true, Placeholder: "99", Unconfirmed: docVersionChoices["age"],
		},
		setting("checkLiveness", "Liveness check", "Add liveness face detection to the token."),
		setting("reviewSuccessful", "Review successful", "iDenfy's manual review team reviews successful verifications after the automatic processing."),
		setting("reviewFailed", "Review failed", "iDenfy's manual review team reviews failed verifications after the automatic processing."),
		setting("driverLicenseBack", "Driver license back", "Allow uploading the back side of the driver's license."),
		setting("autoAmlMonitoring", "Auto AML monitoring", "Automatically add the verified person to AML monitoring."),
		{
			Name: "fraudServices", Label: "Fraud services", Kind: providers.KindMultiEnum,
			Doc:     "Fraud services to check for the verification. Must be enabled in your environment first (iDenfy, \"Create verification session\").",
			Options: fraudServiceOptions, Aliases: caseAliases(fraudServiceOptions), Unconfirmed: docVersionChoices["settings"],
		},
		setting("checkIpProxy", "IP proxy check", "Check whether an IP proxy was used for the verification."),
		setting("checkFaceBlacklist", "Face blacklist", "Check the selfie against your environment's face blacklist; a match makes the verification suspected."),
		setting("checkDocFaceBlacklist", "Document face blacklist", "Check the document photo against your environment's face blacklist."),
		setting("checkDuplicateFaces", "Duplicate faces", "Check for an earlier verification of the same person's face in your environment."),
		setting("checkDuplicateDocFaces", "Duplicate document faces", "Check for an earlier verification of the same person's document face in your environment."),
		setting("nfcRequired", "NFC required", "Require NFC as a verification method."),
		{
			Name: "levenshteinTextMatchRatio", Label: "Text match ratio", Kind: providers.KindFloat,
			Doc: "Levenshtein matching ratio used to compare strings and find inconsistencies. The default 0.8 " +
				"is tested and optimal; change at your own risk. Must be enabled in your environment first (iDenfy, \"Create verification session\").",
			Placeholder: "0.8", Check: checkFinite, Min: 0, Max: 1, HasMin: true, HasMax: true, Unconfirmed: docVersionChoices["levenshtein"],
		},
		{
			Name: "levenshteinMrzMatchRatio", Label: "MRZ match ratio", Kind: providers.KindFloat,
			Doc: "Levenshtein matching ratio for the document's MRZ. The default 0.7 is tested and optimal; " +
				"change at your own risk. Must be enabled in your environment first (iDenfy, \"Create verification session\").",
			Placeholder: "0.7", Check: checkFinite, Min: 0, Max: 1, HasMin: true, HasMax: true, Unconfirmed: docVersionChoices["levenshtein"],
		},
		{
			Name: "detectionTypes", Label: "Detection types", Kind: providers.KindMultiEnum,
			Doc:     "Priority of detection in selfie processing for mobile users. Must be enabled in your environment first (iDenfy, \"Create verification session\").",
			Options: detectionTypeOptions, Aliases: caseAliases(detectionTypeOptions), Unconfirmed: docVersionChoices["settings"],
		},
	}
}
