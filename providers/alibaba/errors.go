package alibaba

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/kycdesk/kycdesk/providers"
)

// CodeInfo explains one Alibaba error code.
type CodeInfo struct {
	HTTP    int    // the documented HTTP status
	Meaning string // what it means, in plain words
	Action  string // what the operator does next
}

// Codes are (built at first use) the error codes of the seed's response-code table, of the
// server status-code page (alibaba.md §1.3), and the common OpenAPI gateway
// codes a signed request can meet. The kind follows from the status: 5xx
// means the outcome is unknown, everything else is a refusal.
var Codes = sync.OnceValue(func() map[string]CodeInfo {
	return map[string]CodeInfo{
		"MissingParameter": {400, "a required parameter is missing (parameter cannot be empty)",
			"fill in the parameter the message names and launch again"},
		"InvalidParameter": {400, "a parameter has an invalid value",
			"correct the parameter the message names (DocType, MetaInfo and CallbackUrl are the usual ones; a CallbackUrl must be reachable from the public internet) and launch again"},
		"TransactionIdInvalid": {400, "the TransactionId is unknown to Alibaba: it expired (30 minutes without completion), its result is older than the 30-day retention, or it does not belong to this MerchantBizId",
			"check that the TransactionId and MerchantBizId are the pair Initialize returned; otherwise start a new session"},
		"Forbidden.ExceptionRepeatedInvoke": {401, "the number of repeated abnormal calls exceeds the limit",
			"stop retrying; fix what made the earlier calls fail, then wait before calling again"},
		"UnqualifiedPhoto": {401, "the face photo does not meet the quality requirements",
			"supply a clear, well-lit, front-facing photo"},
		"DataDuplication": {401, "duplicate data: the same data was already submitted",
			"do not resubmit the same request; start a new session with a new MerchantBizId if needed"},
		"ToolargeImage": {401, "the image is too large",
			"supply a smaller image (a base64 face picture is limited to 1 MB)"},
		"DownloadTimeout": {401, "downloading the image from the given URL timed out",
			"make the image URL reachable and fast from the public internet, or send the picture itself"},
		"NoFaceDetected": {401, "no face was detected in the photo",
			"supply a photo in which the face is clearly visible"},
		"Forbidden.RAMUserAccessDenied": {403, "the RAM user lacks permission for ID Verification",
			"in the RAM console, grant the AliyunAntCloudAuthFullAccess policy to the RAM user that owns this AccessKey"},
		"Forbidden.AccountAccessDenied": {403, "ID Verification is not activated for this account, or the account has an overdue payment",
			"activate ID Verification in the Alibaba Cloud console and settle any overdue payment"},
		"Throttling.Api": {403, "the API's QPS limit was exceeded (per account and per API, shared by all RAM users: 10 for eKYC, 5 for eKYC_PRO)",
			"wait a moment and retry with backoff; spread launches out or ask Alibaba for a higher limit"},
		"ProcessNotCompleted": {404, "the verification has not been completed yet",
			"wait until the customer finishes, then refresh the status"},
		"SuspiciousActivity": {429, "Alibaba flagged the requests as suspicious activity",
			"stop sending; contact Alibaba Cloud support with the RequestId"},
		"InternalError": {500, "internal system error at Alibaba",
			"the request may have been processed: check the status or retry the same request later; if it persists, report the RequestId to Alibaba"},
		"ServiceUnavailable": {503, "the service is unavailable",
			"the request may have been processed: retry later with the same request; if it persists, contact Alibaba with the RequestId"},

		// Common OpenAPI gateway codes (signature, credentials, routing).
		"IncompleteSignature": {400, "the request signature is malformed or incomplete",
			"check the Authorization header (ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…) and that host and every x-acs-* header are signed"},
		"SignatureDoesNotMatch": {400, "the signature does not match the one Alibaba computed",
			"check the AccessKey secret (no stray spaces) and the clock; the message shows the server's string to sign"},
		"InvalidAccessKeyId.NotFound": {404, "the AccessKey ID does not exist",
			"check ALIBABA_CLOUD_ACCESS_KEY_ID (or accessKeyId in the config)"},
		"InvalidAccessKeyId.Inactive": {400, "the AccessKey is disabled",
			"enable the AccessKey in the RAM console or use another one"},
		"InvalidTimeStamp.Expired": {400, "the request time (x-acs-date) is more than 15 minutes from Alibaba's clock",
			"synchronise this computer's clock (NTP) and launch again"},
		"InvalidTimeStamp.Format": {400, "the request time (x-acs-date) is not formatted as yyyy-MM-ddTHH:mm:ssZ",
			"send the time in UTC as yyyy-MM-ddTHH:mm:ssZ"},
		"SignatureNonceUsed": {400, "the signature nonce was already used (a replayed request)",
			"launch again: every send uses a fresh nonce"},
		"InvalidAction.NotFound": {404, "the API action is not found at this endpoint",
			"check the endpoint (region) and the x-acs-action / x-acs-version headers"},
		"InvalidVersion": {400, "the API version is not valid for this product",
			"send x-acs-version 2022-08-09"},
	}
})

// apiError turns an Alibaba error answer into a *providers.Error: 5xx (and
// InternalError / ServiceUnavailable whatever the status) are KindUnknown,
// everything else KindRejected. All network text is sanitized.
func apiError(status int, code, message, requestID string) *providers.Error {
	code = providers.SanitizeLine(strings.TrimSpace(code))
	message = strings.TrimSpace(providers.SanitizeLine(message))
	requestID = providers.SanitizeLine(requestID)
	info, known := Codes()[code]
	if code == "" {
		code = providers.HTTPStatusText(status)
	}
	var b strings.Builder
	if known {
		b.WriteString(info.Meaning)
		if message != "" && !strings.EqualFold(message, info.Meaning) {
			fmt.Fprintf(&b, " (Alibaba: %s)", clip(message, 400))
		}
	} else if message != "" {
		b.WriteString(clip(message, 400))
	} else {
		b.WriteString("Alibaba refused the request without a message")
	}
	if requestID != "" {
		fmt.Fprintf(&b, " [RequestId %s]", clip(requestID, 80))
	}
	unknown := status >= 500 || code == "InternalError" || code == "ServiceUnavailable"
	action := info.Action
	if !known {
		if unknown {
			action = "the request may have been processed: check the status or retry the same request later"
		} else {
			action = "read Alibaba's message, correct the request and launch again; quote the RequestId to Alibaba support if it is unclear"
		}
	}
	if unknown {
		e := providers.Unknown(status, code, b.String(), nil)
		e.Action = action
		return e
	}
	return providers.Rejected(status, code, b.String(), action)
}

// bodyError is the error for an answer that is not Alibaba's JSON.
func bodyError(status int, body []byte) *providers.Error {
	switch {
	case status >= 500:
		return providers.Unknown(status, providers.HTTPStatusText(status),
			"Alibaba answered "+providers.HTTPStatusText(status)+": "+providers.Snippet(body), nil)
	case status >= 200 && status < 300:
		return providers.Unknown(status, "", "the answer could not be read (not the expected JSON): "+providers.Snippet(body), nil)
	case status == http.StatusNotFound:
		return providers.Rejected(status, providers.HTTPStatusText(status), "not found: "+providers.Snippet(body),
			"check the endpoint (base_url, region and endpoint type); Alibaba answers at POST / on cloudauth-intl.<region>.aliyuncs.com")
	}
	return providers.Rejected(status, providers.HTTPStatusText(status), providers.Snippet(body),
		"check the endpoint and the request; this is not an answer from Alibaba's API")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
