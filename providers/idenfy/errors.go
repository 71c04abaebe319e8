package idenfy

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/kycdesk/kycdesk/providers"
)

// apiError is iDenfy's error body: {"identifier","message"}, sometimes with
// "documentation" and "severity" (reference/idenfy.md §5). Authentication
// errors of the token endpoint have no identifier.
type apiError struct {
	Identifier    string `json:"identifier"`
	Message       string `json:"message"`
	Documentation string `json:"documentation"`
	Severity      string `json:"severity"`
}

// errorInfo is what an identifier means and what the operator does next.
type errorInfo struct {
	meaning string
	action  string
	unknown bool // the outcome may be unknown (the provider may have acted)
}

// credentialsAction is shared by every credentials problem.
const credentialsAction = "check IDENFY_API_KEY and IDENFY_API_SECRET (or [idenfy] in the config file), and that " +
	"sandbox keys are not used against production (or production keys against a sandbox endpoint)"

// Identifiers are those of reference/idenfy.md §5 ([A] resources/error-messages).
// identifiers and byStatus are built on first use: every process links
// this package, few decode an iDenfy error.
var identifiers = sync.OnceValue(func() map[string]errorInfo {
	return map[string]errorInfo{
		"INTERNAL_ERROR": {
			meaning: "iDenfy had an internal error",
			action: "the token may or may not have been created: check the dashboard (or this session's status) " +
				"before retrying, since a second token for the same clientId may cost a credit; contact iDenfy " +
				"support if it persists",
			unknown: true,
		},
		"BAD_VALUE": {
			meaning: "a field has a value iDenfy does not accept",
			action:  "correct the field named in the message and launch again",
		},
		"MISSING_VALUE": {
			meaning: "a required field is missing",
			action:  "fill the field named in the message (clientId is always required) and launch again",
		},
		"UNAUTHORIZED": {
			meaning: "the API key or secret was refused",
			action:  credentialsAction,
		},
		"ENCODING_ERROR": {
			meaning: "iDenfy could not decode the request's text encoding",
			action: "remove unusual characters from the text fields and try again; if it persists, report it as " +
				"a kycdesk bug with the request shown by --dry-run",
		},
		"JSON_ERROR": {
			meaning: "iDenfy could not parse the request body as JSON",
			action: "check the JSON fields (additionalSteps, additionalData); if they are valid, report it as a " +
				"kycdesk bug with the request shown by --dry-run",
		},
		"TOKEN_NOT_VALID": {
			meaning: "the token or scanRef is not valid (unknown, expired or deleted)",
			action:  "launch a new session for the customer; the old link can no longer be used",
		},
		"PARTNER_CONTRACT_ERROR": {
			meaning: "your contract does not include a requested feature",
			action: "remove the option (e.g. generateDigitString, callbackUrl, a settings switch) or ask " +
				"sales@idenfy.com to add it to your contract",
		},
		"METHOD_NOT_ALLOWED": {
			meaning: "the endpoint does not accept this method",
			action:  "check the endpoint (base_url / KYCDESK_IDENFY_URL): it must be the API root such as https://ivs.idenfy.com",
		},
		"PERMISSIONS_ERROR": {
			meaning: "your account is not permitted to do this, or it reached its token limit",
			action: "if the message says the token limit was reached, top up or contact iDenfy sales; otherwise " +
				"ask iDenfy support to enable the permission (callbackUrl needs one)",
		},
		"TOO_MANY_REQUESTS": {
			meaning: "the rate limit was exceeded (default 10,000 requests per hour)",
			action: "nothing was created: iDenfy allows 10,000 requests per hour by default; wait and retry with " +
				"exponential backoff, and do not poll /api/v2/status",
		},
		"VALIDATION_ERROR": {
			meaning: "the request failed iDenfy's validation",
			action:  "correct the fields named in the message and launch again",
		},
		"PARTNER_ERROR": {
			meaning: "the action is not allowed in the session's current state",
			action:  "wait until the session allows it (e.g. a token cannot be deleted before it expires)",
		},
	}
})

// byStatus covers answers without an identifier ([A] kyc/id-error-messages,
// guides/error-handling).
var byStatus = sync.OnceValue(func() map[int]errorInfo {
	ids := identifiers()
	return map[int]errorInfo{
		401: {meaning: "invalid authorization credentials", action: credentialsAction},
		402: {
			meaning: "action not allowed due to lack of funds or an exceeded limit",
			action:  "top up the iDenfy account or contact iDenfy sales to raise the limit; nothing was created",
		},
		403: {
			meaning: "the partner account is inactive or the endpoint is not available for this environment",
			action: "if the message says 'Partner inactive', contact iDenfy; if it says the endpoint is not available " +
				"for this environment, " + credentialsAction,
		},
		404: {
			meaning: "the endpoint or session was not found",
			action:  "check the endpoint (base_url / KYCDESK_IDENFY_URL) and the scanRef",
		},
		405: ids["METHOD_NOT_ALLOWED"],
		409: {
			meaning: "duplicate clientId: this customer already has an active session",
			action: "this clientId already has an active session: use it (its link is still valid) or wait for " +
				"its final result before issuing a new token for this clientId",
		},
		429: ids["TOO_MANY_REQUESTS"],
	}
})

// decodeError turns a non-2xx answer into a *providers.Error: Kind
// rejected for 4xx, unknown for 5xx (and INTERNAL_ERROR), with the
// identifier as Code (HTTP_<status> when there is none), the sanitized
// message and what to do next. A body that is not JSON is handled.
func decodeError(status int, body []byte) *providers.Error {
	var ae apiError
	parsed := json.Unmarshal(body, &ae) == nil
	ae.Identifier = strings.ToUpper(strings.TrimSpace(providers.SanitizeLine(ae.Identifier)))
	ae.Message = strings.TrimSpace(providers.Sanitize(ae.Message))
	ae.Documentation = strings.TrimSpace(providers.SanitizeLine(ae.Documentation))

	info, known := identifiers()[ae.Identifier]
	if ae.Identifier == "" || !known {
		if si, ok := byStatus()[status]; ok && ae.Identifier == "" {
			info, known = si, true
		}
	}
	code := ae.Identifier
	if code == "" {
		code = fmt.Sprintf("HTTP_%d", status)
	}

	msg := ae.Message
	switch {
	case !parsed || (ae.Message == "" && ae.Identifier == ""):
		// Not iDenfy's JSON shape (a proxy page, a truncated body…).
		msg = providers.HTTPStatusText(status) + ": " + providers.Snippet(body)
		if known {
			msg = info.meaning + " (" + msg + ")"
		}
	case msg == "":
		msg = info.meaning
	}
	if msg == "" {
		msg = providers.HTTPStatusText(status)
	}

	action := info.action
	if !known {
		action = "iDenfy refused the request (" + providers.HTTPStatusText(status) + "); read the message, " +
			"correct the request and try again, or contact iDenfy support with the message"
	}
	if ae.Documentation != "" {
		action += " (see " + ae.Documentation + ")"
	}

	var e *providers.Error
	if status >= 500 || info.unknown {
		e = providers.Unknown(status, code, msg, nil)
		if known {
			e.Action = info.action
		} else {
			e.Action = "iDenfy had a server error; the token may have been created: check the dashboard or " +
				"the session's status before retrying, and retry later"
		}
	} else {
		e = providers.Rejected(status, code, msg, action)
	}
	e.Field = fieldInMessage(ae.Message)
	return e
}

// fieldInMessage finds the documented wire name an error message is
// about: the one that leads it ("firstName: …"), else the first named.
func fieldInMessage(msg string) string {
	if msg == "" {
		return ""
	}
	best, at := "", len(msg)+1
	for _, p := range Spec() {
		if i := wordIndex(msg, p.Name); i >= 0 && (i < at || i == at && len(p.Name) > len(best)) {
			best, at = p.Name, i
		}
	}
	return best
}

// wordIndex is the index of word in s as a whole word, or -1.
func wordIndex(s, word string) int {
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return -1
		}
		j += i
		end := j + len(word)
		if (j == 0 || !isWordByte(s[j-1])) && (end == len(s) || !isWordByte(s[end])) {
			return j
		}
		i = j + 1
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}
