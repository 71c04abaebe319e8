package alibaba

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/kycdesk/kycdesk/providers"
)

// LocalSendUserIDAsTyped is a kycdesk option, not an Alibaba parameter: it is
// never sent. When true, MerchantUserId goes on the wire exactly as typed
// instead of as its SHA-256 hex (decisions.go D5).
const LocalSendUserIDAsTyped = "kycdeskSendUserIdAsTyped"

// ProductEKYC is the only ProductCode the seed documents.
const ProductEKYC = "eKYC"

// MetaInfo presets (decisions.go D6), shaped like the documented web SDK
// output {bioMetaInfo, deviceType, ua}.
const (
	MetaInfoMobileH5 = `{"bioMetaInfo":"4.1.0:2916352,0","deviceType":"h5","ua":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"}`
	MetaInfoPCWeb    = `{"bioMetaInfo":"4.1.0:2916352,0","deviceType":"web","ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}`
)

// DocTypes are the seed's documents, by the code that is sent (D2).
var DocTypes = []providers.Option{
	{Value: "01000000", Label: "Global passport"},
	{Value: "00000006", Label: "Hong Kong identity card (2003 version)"},
	{Value: "00000008", Label: "Hong Kong identity card (2018 version)"},
	{Value: "00000007", Label: "Exit-Entry Permit for Travelling to and from Hong Kong and Macao"},
	{Value: "00000009", Label: "Mainland Travel Permit for Hong Kong and Macao Residents"},
	{Value: "00000011", Label: "Macao identity card"},
	{Value: "00000012", Label: "Mainland Travel Permit for Taiwan Residents"},
	{Value: "00000001", Label: "Second-generation resident ID card of the Chinese mainland"},
}

// DocTypeName returns the document's name for a code (either spelling), or "".
func DocTypeName(code string) string {
	if c, ok := docTypeAliases[code]; ok {
		code = c
	}
	for _, o := range DocTypes {
		if o.Value == code {
			return o.Label
		}
	}
	return ""
}

func yn(def string) []providers.Option {
	y, n := "enable", "disable"
	if def == "Y" {
		y += " (default)"
	} else {
		n += " (default)"
	}
	return []providers.Option{{Value: "Y", Label: y}, {Value: "N", Label: n}}
}

func oneZero(one, zero string) []providers.Option {
	return []providers.Option{{Value: "1", Label: one}, {Value: "0", Label: zero}}
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func checkMerchantBizID(v string) error {
	for _, r := range v {
		if !isAlnum(r) {
			return errors.New("only letters and digits are allowed")
		}
	}
	return nil
}

func checkSceneCode(v string) error {
	for _, r := range v {
		if !isAlnum(r) && r != '_' {
			return errors.New("only letters, digits and _ are allowed")
		}
	}
	return nil
}

// metaDeviceType returns MetaInfo's deviceType, or "" when it is not a JSON
// object with a string deviceType.
func metaDeviceType(v string) string {
	var m map[string]any
	if json.Unmarshal([]byte(v), &m) != nil {
		return ""
	}
	s, _ := m["deviceType"].(string)
	return strings.TrimSpace(s)
}

func checkMetaInfo(v string) error {
	var m map[string]any
	if json.Unmarshal([]byte(v), &m) != nil || m == nil {
		return errors.New(`must be the JSON object getMetaInfo() returns, such as {"deviceType":"h5",…}`)
	}
	d, ok := m["deviceType"]
	if !ok {
		return errors.New(`must contain "deviceType" (h5, web, ios or android): the server picks the mobile or PC flow from it`)
	}
	if s, _ := d.(string); strings.TrimSpace(s) == "" {
		return errors.New(`"deviceType" must be a non-empty string such as "h5"`)
	}
	return nil
}

// checkCallbackURL is the mode-independent part of the CallbackUrl rule:
// https, or plain http to a loopback host (which only the sandbox accepts;
// validate refuses it in live mode).
func checkCallbackURL(v string) error {
	if msg := providers.CheckCallbackURL(v, providers.ModeSandbox); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// Spec is every Initialize request parameter of the seed, in its order, plus
// one local option (kycdeskSendUserIdAsTyped) that is never sent.
func Spec() providers.Spec {
	return providers.Spec{
		{
			Name: "ProductCode", Label: "Product", Kind: providers.KindEnum, Required: true, Essential: true,
			Default: ProductEKYC,
			Doc: "The product solution. eKYC: the user completes document detection and liveness detection. " +
				"eKYC is offered in the China (Hong Kong) region only. kycdesk fills eKYC when it is left empty.",
			Options:  []providers.Option{{Value: ProductEKYC, Label: "document + liveness (China, Hong Kong, Macao, Taiwan documents)"}},
			Generate: func() string { return ProductEKYC },
		},
		{
			Name: "MerchantBizId", Label: "Merchant business id", Kind: providers.KindText, Required: true,
			MaxLen: 32, ASCII: true, Pattern: "letters and digits only",
			Placeholder: "e0c34a77f5ac40a5aa5e6ed20c35a1b2",
			Doc: "Your unique business id, used to track and troubleshoot a session: up to 32 letters and digits. " +
				"Alibaba does not check that it is unique, so keep it unique. Left empty, kycdesk generates 32 random hex " +
				"characters once, and the same id is kept for review, launch and every retry. CheckResult needs it with the TransactionId.",
			Check:    checkMerchantBizID,
			Generate: func() string { return providers.RandomHex(16) },
			Unique:   true,
		},
		{
			Name: "MetaInfo", Label: "Device MetaInfo", Kind: providers.KindJSON, Required: true, Essential: true,
			JSONObject: true, Default: MetaInfoMobileH5, Pattern: `contains "deviceType"`,
			Doc: "The runtime environment from getMetaInfo() in the customer's browser, passed through unmodified; the server " +
				"uses it (deviceType) to send a mobile or a PC verification URL. At a desk the session is created before the " +
				"customer's phone has opened anything, so kycdesk offers presets shaped like the documented examples: " +
				"\"mobile H5\" (the default: the customer scans the QR with a phone) or \"PC web\". Type h5 or web for a preset, " +
				"or paste a real getMetaInfo() result. A preset may be judged risky by Device Guard under SecurityLevel 02 (SubCode 206).",
			Options: []providers.Option{
				{Value: MetaInfoMobileH5, Label: "mobile H5 (QR handed to a phone)"},
				{Value: MetaInfoPCWeb, Label: "PC web"},
			},
			Aliases:     map[string]string{"h5": MetaInfoMobileH5, "web": MetaInfoPCWeb},
			Check:       checkMetaInfo,
			Generate:    func() string { return MetaInfoMobileH5 },
			Unconfirmed: unconfirmedMetaInfo,
		},
		{
			Name: "MerchantUserId", Label: "Merchant user id", Kind: providers.KindText, Required: true, Essential: true,
			Placeholder: "customer-1234",
			Doc: "Your user id or another unique identifier such as a phone number or e-mail address. Alibaba's documentation strongly " +
				"recommends desensitising it by hashing, so kycdesk sends its SHA-256 (64 hex characters) by default; the " +
				"same input always gives the same hash. Set kycdeskSendUserIdAsTyped=true to send it as typed.",
			Personal:    true,
			Unconfirmed: unconfirmedUserID,
		},
		{
			Name: "ReturnUrl", Label: "Return URL", Kind: providers.KindURL, Essential: true,
			Placeholder: "https://www.alibabacloud.com",
			Doc: "Where the user is redirected after the process is complete. Optional only for iframe integration; " +
				"for the QR hand-off kycdesk warns when it is missing.",
		},
		{
			Name: "DocType", Label: "Document type", Kind: providers.KindEnum, Required: true, Essential: true,
			Placeholder: "01000000",
			Doc: "The document the customer presents, an 8-digit code. Alibaba's documentation prints the Macao identity card as " +
				"000000011 and the Taiwan permit as 000000012; those spellings are accepted and sent as 00000011 and 00000012.",
			Options:     DocTypes,
			Aliases:     docTypeAliases,
			Unconfirmed: unconfirmedDocType,
		},
		{
			Name: "SceneCode", Label: "Scene code", Kind: providers.KindText, MaxLen: 10, ASCII: true,
			Pattern: "letters, digits and _", Placeholder: "1234567890",
			Doc:   "A custom authentication scenario id, for finding records in the console: up to 10 letters, digits or underscores.",
			Check: checkSceneCode,
		},
		{
			Name: "IdSpoof", Label: "Document anti-spoofing", Kind: providers.KindEnum, Default: "N", Options: yn("N"),
			Doc: "Whether to enable document anti-spoofing detection. Y: enable; N: disable (default).",
		},
		{
			Name: "Authorize", Label: "Official database check", Kind: providers.KindEnum, Default: "F",
			Options: []providers.Option{{Value: "T", Label: "enable"}, {Value: "F", Label: "disable (default)"}},
			Doc: "Whether to verify the identity against an official database. T: enable; F: disable (default). " +
				"Available only for the second-generation resident ID card of the Chinese mainland (DocType 00000001).",
		},
		{
			Name: "LanguageConfig", Label: "Language configuration", Kind: providers.KindJSON, JSONObject: true,
			Placeholder: `{"languageContent":{},"supportedLanguage":[]}`,
			Doc: "Custom language configuration as a JSON string built from Alibaba's template " +
				"(languageContent, ocrResultContent, supportedLanguage, titleTranslate). Web SDK only.",
		},
		{
			Name: "SecurityLevel", Label: "Security level", Kind: providers.KindEnum, Essential: true, Default: "02",
			Options: []providers.Option{
				{Value: "01", Label: "standard mode (for testing)"},
				{Value: "02", Label: "safe mode (default; for production)"},
			},
			Doc: "01: standard mode, for low-threat scenarios with restricted device information collection. " +
				"02: safe mode (default), stricter: Device Guard judges the face-scanning environment and intercepts injection attacks. " +
				"A test device can be judged a threat and fail with SubCode 206, so use 01 during development and testing " +
				"and 02 in production.",
		},
		{
			Name: "StyleConfig", Label: "UI style configuration", Kind: providers.KindJSON, JSONObject: true,
			Placeholder: `{"guidepage":{},"ocrPage":{},"facePage":{}}`,
			Doc:         "Custom UI configuration as a JSON string built from Alibaba's template (guide page, OCR page, OCR result page, face page).",
		},
		{
			Name: "IdThreshold", Label: "OCR quality threshold", Kind: providers.KindEnum, Default: "3",
			Options: []providers.Option{
				{Value: "0", Label: "standard"},
				{Value: "1", Label: "strict"},
				{Value: "2", Label: "loose"},
				{Value: "3", Label: "quality detection off (default)"},
			},
			Doc: "The OCR quality detection threshold: 0 standard, 1 strict, 2 loose, 3 disable quality detection (default).",
		},
		{
			Name: "Model", Label: "Liveness model", Kind: providers.KindEnum, Default: "LIVENESS",
			Options: []providers.Option{
				{Value: "LIVENESS", Label: "blink liveness (default)"},
				{Value: "PHOTINUS_LIVENESS", Label: "blink + colour liveness (not on PC)"},
				{Value: "SILENT", Label: "passive liveness (Web SDK only)"},
			},
			Doc: "The liveness detection to perform. LIVENESS: blinking (default). PHOTINUS_LIVENESS: blinking and " +
				"colour-based detection; not supported on PCs. SILENT: passive detection; supported only for Web SDK " +
				"(mobile / PC) integrations.",
		},
		{
			Name: "DocVideo", Label: "Save verification video", Kind: providers.KindEnum, Default: "N", Options: yn("N"),
			Doc: "Whether to save a 1–2 second video of the face scan, returned by the query API. N: no (default); Y: yes. " +
				"On an unstable network the video may be dropped to keep the essential images.",
		},
		{
			Name: wireAlbumIcon, Label: "Album upload entry", Kind: providers.KindEnum, Default: "1",
			Options: oneZero("show (default)", "do not show"),
			Doc: "In the OCR step, whether to show the entry for uploading from the photo album. 1: show (default); 0: do not show. " +
				"Alibaba's documentation spells this parameter ShowBlbumIcon; that name is accepted too and sent as ShowAlbumIcon.",
			Unconfirmed: unconfirmedAlbum,
		},
		{
			Name: "ShowOcrResult", Label: "OCR result page", Kind: providers.KindEnum, Default: "1",
			Options: oneZero("show (default)", "do not show"),
			Doc:     "In the OCR step, whether to show the OCR result page. 1: show (default); 0: do not show.",
		},
		{
			Name: "ShowGuidePage", Label: "Guide page", Kind: providers.KindEnum, Default: "1",
			Options: oneZero("show (default)", "do not show"),
			Doc:     "Whether to show the guide page. 1: show (default); 0: do not show. Not supported on PCs.",
		},
		{
			Name: "ProcedurePriority", Label: "Fallback on incompatibility", Kind: providers.KindEnum, Default: "url",
			Options: []providers.Option{
				{Value: "url", Label: "fallback: show the URL to open in another browser (default)"},
				{Value: "keep", Label: "no fallback: end with the error"},
			},
			Doc: "When mobile H5 authentication hits a compatibility problem: url (default) shows the authentication URL so " +
				"the user can continue in another browser; keep returns the error and ends the flow. Not supported on PCs. " +
				"For a web page embedded in an app, keep is recommended.",
		},
		{
			Name: "CallbackUrl", Label: "Callback URL", Kind: providers.KindURL,
			Placeholder: "https://example.com/ekyc/callback",
			Doc: "Webhook for the result notification: a GET to this https address with transactionId, passed and subCode " +
				"added. Alibaba checks that the address is reachable from the public internet before accepting the call " +
				"(otherwise HTTP 400). The callback can be delayed: confirm the result with CheckResult. kycdesk fills it " +
				"(with a CallbackToken) when its callback receiver is reachable.",
			Check: checkCallbackURL, Pattern: "https (plain http only to a loopback host, in the sandbox)",
			FilledAtLaunch: true,
		},
		{
			Name: "CallbackToken", Label: "Callback token", Kind: providers.KindText, ASCII: true,
			Placeholder: "NMjvQanQgplBSaEI0sL86WnQplB",
			Doc:         "A security token you generate for anti-replay and tamper checks; when set, it is included in the CallbackUrl callback.",
			// Personal in the session store's sense: it authenticates callbacks, so
			// it is kept out of the session store with the personal fields.
			Personal:       true,
			FilledAtLaunch: true,
		},
		{
			Name: "AppQualityCheck", Label: "Strict face quality check", Kind: providers.KindEnum, Default: "Y", Options: yn("Y"),
			Doc: "Whether to enable strict face quality detection. Y: enable (default); N: disable. Not supported by the Web SDK.",
		},
		{
			Name: "EditOcrResult", Label: "Editable OCR result", Kind: providers.KindEnum, Default: "0",
			Options: oneZero("users can edit", "users cannot edit (default)"),
			Doc:     "Whether users can edit the information on the OCR result page. 1: yes; 0: no (default).",
		},
		{
			Name: LocalSendUserIDAsTyped, Label: "Send user id as typed (kycdesk option)", Kind: providers.KindBool, Default: "false",
			Doc: "A kycdesk option, not an Alibaba parameter: it is never sent. false (default): MerchantUserId is sent desensitised, " +
				"as Alibaba's documentation recommends: a keyed HMAC-SHA256 under kycdesk's store key, the same for every desk sharing the store. " +
				"true: MerchantUserId is sent exactly as typed; use it only for an opaque internal id (the session store still records only " +
				"the keyed form).",
		},
	}
}
