package dws

import (
	"strings"

	"github.com/kycdesk/kycdesk/providers"
)

// Result statuses (result.resultStatus).
const (
	StatusSuccess = "S"
	StatusFailed  = "F"
	StatusUnknown = "U"
)

// Result codes from the seed's initAuthentication error table.
const (
	CodeSuccess                   = "SUCCESS"
	CodeRepeatReqInconsistent     = "REPEAT_REQ_INCONSISTENT"
	CodeParamIllegal              = "PARAM_ILLEGAL"
	CodeProcessFail               = "PROCESS_FAIL"
	CodeUnknownException          = "UNKNOWN_EXCEPTION"
	CodeInvalidPhoneNumber        = "INVALID_PHONE_NUMBER"
	CodeTimesExceedLimit          = "TIMES_EXCEED_LIMIT"
	CodeInvalidAPI                = "INVALID_API"
	CodeInvalidClient             = "INVALID_CLIENT"
	CodeInvalidSignature          = "INVALID_SIGNATURE"
	CodeRequestTrafficExceedLimit = "REQUEST_TRAFFIC_EXCEED_LIMIT"
	CodeAccessDenied              = "ACCESS_DENIED"
	CodeSendTimesExceedLimit      = "SEND_TIMES_EXCEED_LIMIT"
	CodeMethodNotSupported        = "METHOD_NOT_SUPPORTED"
)

// Verification outcomes of verifyAuthentication.
//
// UNCONFIRMED: the DWS verifyAuthentication page's error codes were not
// available (reference/dws.md §2: "wrong OTP, expired OTP, retry limits:
// NOT FOUND"; the legacy users API lists none either). These names are
// kycdesk's, chosen in the style of the seed's codes (TIMES_EXCEED_LIMIT,
// SEND_TIMES_EXCEED_LIMIT). The simulator answers with them and the client
// recognises them; this is the one place to change when the real codes are known.
const (
	CodeOTPIncorrect           = "OTP_INCORRECT"
	CodeOTPExpired             = "OTP_EXPIRED"
	CodeVerifyTimesExceedLimit = "VERIFY_TIMES_EXCEED_LIMIT"
)

// kycdesk's own codes for failures found on this side of the wire.
const (
	// CodeResendTooSoon: Trigger was called within ResendCooldown; nothing was sent.
	CodeResendTooSoon = "RESEND_TOO_SOON"
	// CodeResponseSignatureInvalid: the answer's signature does not verify
	// with the configured DWS public key; its content was not used.
	CodeResponseSignatureInvalid = "RESPONSE_SIGNATURE_INVALID"
	// CodeMalformedResponse: the answer could not be read as a DWS result.
	CodeMalformedResponse = "MALFORMED_RESPONSE"
)

// CodeInfo is what kycdesk knows about a result code.
type CodeInfo struct {
	Code    string
	Status  string // S, F or U as documented
	Meaning string // the documented result message, in plain words
	Action  string // the documented further action
	Source  string // where this comes from
}

const (
	srcSeed        = "seed 001 (initAuthentication error codes)"
	srcAMS         = "AMS common codes (reference/dws.md §2, §4)"
	srcUnconfirmed = "kycdesk, UNCONFIRMED (reference/dws.md §2: verify codes NOT FOUND)"
)

// Codes lists every code kycdesk explains: every row of the seed's table,
// the AMS/legacy spellings of the same failures, and the unconfirmed
// verification codes.
var Codes = []CodeInfo{
	{CodeSuccess, StatusSuccess, "Success.", "None.", srcSeed},
	{CodeRepeatReqInconsistent, StatusFailed, "Repeated requests are inconsistent: DWS already holds a request with this id whose fields differ from this one.",
		"Ensure the fields in the requests are the same.", srcSeed},
	{CodeParamIllegal, StatusFailed, "Illegal parameters exist. For example, a non-numeric input, or an invalid date.",
		"Check and verify whether the request fields, including the header fields and body fields, are correct and valid.", srcSeed},
	{CodeProcessFail, StatusFailed, "A general business failure occurred. Don't retry.",
		"Human intervention is usually needed. It is recommended that you contact the technical support team to troubleshoot the issue.", srcSeed},
	{CodeUnknownException, StatusUnknown, "An API call is failed, which is caused by unknown reasons.",
		"Call the interface again to resolve the issue. If the issue persists, contact Alipay Technical Support.", srcSeed},
	{CodeInvalidPhoneNumber, StatusFailed, "Invalid phone number.",
		"Check and verify whether the user's phone number has the correct format and is valid.", srcSeed},
	{CodeTimesExceedLimit, StatusFailed, "Too many requests in a short time, please try again later.",
		"Too many requests in a short time, wait for a while to try again.", srcSeed},
	{CodeInvalidAPI, StatusFailed, "API is invalid (or not active).",
		"Check whether the API name, HTTP method, or request format is correct when sending the request.", srcSeed},
	{CodeInvalidClient, StatusFailed, "Invalid client.",
		"Check whether the client ID is correct, or contact Alipay Technical Support for detailed reasons.", srcSeed},
	{CodeInvalidSignature, StatusFailed, "Signature is invalid.",
		"Check whether the private key used to sign a request matches the public key of Alipay Developer Center.", srcSeed},
	{CodeRequestTrafficExceedLimit, StatusUnknown, "Request traffic exceeds the limit.",
		"Call the interface again to resolve the issue. If the issue persists, contact Alipay Technical Support.", srcSeed},
	{CodeAccessDenied, StatusFailed, "Access denied.",
		"Contact Alipay Technical Support for detailed reasons.", srcSeed},
	{CodeSendTimesExceedLimit, StatusFailed, "The send times exceed the limit.",
		"Contact Alipay technical support to know the specific limitation.", srcSeed},
	{CodeMethodNotSupported, StatusFailed, "The server does not implement the requested HTTP method.",
		"Ensure the HTTP method is POST.", srcSeed},

	{"SIGNATURE_INVALID", StatusFailed, "Signature is invalid.",
		"Check whether the private key used to sign a request matches the public key of Alipay Developer Center.", srcAMS},
	{"CLIENT_INVALID", StatusFailed, "Invalid client.", "Check whether the clientId is correct.", srcAMS},
	{"API_INVALID", StatusFailed, "API is invalid (or not active).",
		"Check whether the API name, HTTP method, or request format is correct when sending the request.", srcAMS},
	{"KEY_NOT_FOUND", StatusFailed, "The key for this client id was not found.",
		"Check that your public key is uploaded for this client id (and keyVersion) in the Alipay Developer Center.", srcAMS},
	{"USER_NOT_EXIST", StatusFailed, "The user does not exist.", "Check the identity sent.", srcAMS},
	{"USER_STATUS_ABNORMAL", StatusFailed, "The user's status is abnormal.", "Contact Alipay Technical Support for detailed reasons.", srcAMS},

	{CodeOTPIncorrect, StatusFailed, "The one-time password is incorrect.",
		"Ask the customer to read the code again and type it exactly; after too many wrong codes the authentication is locked.", srcUnconfirmed},
	{CodeOTPExpired, StatusFailed, "The one-time password has expired.",
		"Send a new code (resend) and type the new one.", srcUnconfirmed},
	{CodeVerifyTimesExceedLimit, StatusFailed, "Too many wrong codes: the authentication is locked.",
		"Start a new session (a new launch, with a new authenticationRequestId).", srcUnconfirmed},
}

// LookupCode finds a code in Codes.
func LookupCode(code string) (CodeInfo, bool) {
	for _, c := range Codes {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}

// notStored are refusals given before DWS looks at the idempotency key
// (authentication and routing) or that concern one attempt (a code): a
// corrected retry with the same id is not bound to the same answer.
var notStored = map[string]bool{
	CodeInvalidSignature: true, "SIGNATURE_INVALID": true, CodeInvalidClient: true, "CLIENT_INVALID": true,
	CodeInvalidAPI: true, "API_INVALID": true, CodeMethodNotSupported: true, "KEY_NOT_FOUND": true,
	CodeOTPIncorrect: true, CodeOTPExpired: true, CodeVerifyTimesExceedLimit: true,
}

// Result is the result object every DWS answer carries.
type Result struct {
	ResultCode    string `json:"resultCode"`
	ResultStatus  string `json:"resultStatus"`
	ResultMessage string `json:"resultMessage"`
}

// failure turns an F (or an unrecognised status) into the operator's error.
// what names the call ("initAuthentication"), requestID the idempotency key
// involved (authenticationRequestId or triggerRequestId) when there is one.
func failure(httpStatus int, r Result, what, idName, requestID string) *providers.Error {
	code := clean(r.ResultCode, 64)
	msg := clean(r.ResultMessage, 300)
	info, known := LookupCode(code)
	var text, action string
	if known {
		text = info.Meaning
		if msg != "" && !strings.EqualFold(strings.TrimSuffix(msg, "."), strings.TrimSuffix(info.Meaning, ".")) {
			text += " DWS says: " + msg
		}
		action = info.Action
	} else {
		text = msg
		if text == "" {
			text = "DWS refused the request without a message"
		}
		action = "Look the code up in the DWS error code reference."
	}
	if what != "" {
		text = what + ": " + text
	}
	switch code {
	case CodeRepeatReqInconsistent:
		text = what + ": DWS already has a request with " + idName + " " + requestID +
			" whose fields differ from this one (for example the number or env changed after the first attempt). " +
			"DWS answers repeated ids only when the request is the same."
		action = "Ensure the fields in the requests are the same. To finish the first request, resend exactly its values; " +
			"to send different values, use a new " + idName
		if idName == ParamAuthenticationRequestID {
			action += ": launch anew with a new authenticationRequestId (leave the field empty and kycdesk generates one)."
		} else {
			action += " (kycdesk uses a new one on the next try)."
		}
	case CodeTimesExceedLimit:
		action += " Then launch anew: the same " + idName + " keeps returning this answer."
	default:
		if idName != "" && requestID != "" && !notStored[code] {
			action += " A retry with the same " + idName + " returns this same answer."
		}
	}
	if code == "" {
		code = "F"
	}
	return providers.Rejected(httpStatus, code, text, action)
}

func clean(s string, max int) string {
	s = strings.TrimSpace(providers.SanitizeLine(s))
	if len([]rune(s)) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}
