package idenfy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Webhook headers (reference/idenfy.md §4, OpenAPI webhooks section).
const (
	// SignatureHeader carries hex(HMAC-SHA256(signing key, raw body)),
	// 64 lower-case hex digits [A security/callback-signing].
	SignatureHeader = "Idenfy-Signature"
	// EventTypeHeader names the event (IDENTIFICATION_AUTO_FINISHED, …).
	EventTypeHeader = "Idenfy-Event-Type"
)

// Webhook event types [B webhooks section].
const (
	EventIdentification         = "IDENTIFICATION" // legacy: every outcome
	EventAutoFinished           = "IDENTIFICATION_AUTO_FINISHED"
	EventManualFinished         = "IDENTIFICATION_MANUAL_FINISHED"
	EventExpired                = "IDENTIFICATION_EXPIRED"
	EventCancelled              = "IDENTIFICATION_CANCELLED"
	EventResubmitted            = "IDENTIFICATION_RESUBMITTED"
	EventDocumentExpiration     = "DOCUMENT_EXPIRATION"
	EventVideoCallFinished      = "VIDEO_CALL_FINISHED"
	maxWebhookString        int = 100
)

// Signature errors.
var (
	// ErrUnsigned: a signing key is configured but the call has no
	// Idenfy-Signature header.
	ErrUnsigned = errors.New("the webhook has no " + SignatureHeader + " header")
	// ErrBadSignature: the header is not the HMAC of the body with the key.
	ErrBadSignature = errors.New("the webhook's " + SignatureHeader + " does not match its body")
)

// SignWebhook is the Idenfy-Signature of a raw body: hex HMAC-SHA256 with
// the signing key's raw bytes (go-idenfy after commit f72445e; the 2021
// docs used the API secret as the key, hence a configurable key).
func SignWebhook(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook checks the Idenfy-Signature header against the raw body
// (exactly the bytes received: a parsed and re-encoded body no longer
// matches), in constant time. It returns ErrUnsigned or ErrBadSignature.
func VerifyWebhook(key, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrUnsigned
	}
	got, err := hex.DecodeString(header)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return ErrBadSignature
	}
	return nil
}

// Webhook is the part of an identification webhook kycdesk records: the
// session's references and the status block. The personal data the payload
// also carries (data, fileUrls, AML, …) is not read.
type Webhook struct {
	EventType string // Idenfy-Event-Type, when given
	ScanRef   string
	ClientID  string
	// Final false means another webhook follows (a manual review after
	// AUTO_FINISHED); the status is then intermediate.
	Final bool
	// Overall is status.overall (APPROVED, DENIED, SUSPECTED, REVIEWING,
	// EXPIRED, …); "" for events without a status (DOCUMENT_EXPIRATION).
	Overall string
	// Fields are the other documented status members that are present
	// (autoDocument, autoFace, manualDocument, manualFace, fraudTags,
	// mismatchTags, additionalSteps), sanitized.
	Fields map[string]string
}

// webhookStatusFields are status members besides overall [B IdentificationWebhook].
var webhookStatusFields = []string{"autoDocument", "autoFace", "manualDocument", "manualFace", "fraudTags", "mismatchTags", "additionalSteps"}

// ParseWebhook reads an identification webhook's raw body. Every string is
// sanitized and clipped. A body without scanRef is an error.
func ParseWebhook(body []byte, eventType string) (*Webhook, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("the webhook body is not a JSON object (%d bytes)", len(body))
	}
	w := &Webhook{
		EventType: clipText(providers.SanitizeLine(strings.TrimSpace(eventType)), maxWebhookString),
		ScanRef:   clipText(jsonString(raw["scanRef"]), maxWebhookString),
		ClientID:  clipText(jsonString(raw["clientId"]), maxWebhookString),
		Fields:    map[string]string{},
	}
	if w.ScanRef == "" {
		return nil, fmt.Errorf("the webhook has no scanRef")
	}
	if f, ok := raw["final"]; ok {
		if err := json.Unmarshal(f, &w.Final); err != nil {
			return nil, fmt.Errorf("the webhook's final is not a boolean")
		}
	} else {
		// MANUAL_FINISHED and EXPIRED are always final [A kyc/webhooks];
		// a webhook that does not say is taken as final.
		w.Final = true
	}
	var status map[string]json.RawMessage
	if s := raw["status"]; len(s) > 0 && string(s) != "null" {
		if err := json.Unmarshal(s, &status); err != nil {
			return nil, fmt.Errorf("the webhook's status is not an object")
		}
	}
	w.Overall = clipText(strings.ToUpper(jsonString(status["overall"])), maxWebhookString)
	for _, name := range webhookStatusFields {
		if v := clipText(jsonList(status[name]), 300); v != "" {
			w.Fields[name] = v
		}
	}
	return w, nil
}

// Status is what the webhook says about the session, or nil for an event
// without a status. A webhook with final false is recorded as pending: the
// automatic result is in its detail and fields, the decision follows.
func (w *Webhook) Status(now time.Time) *providers.Status {
	if w.Overall == "" {
		return nil
	}
	fields := map[string]string{"overall": w.Overall, "final": fmt.Sprint(w.Final)}
	for k, v := range w.Fields {
		fields[k] = v
	}
	if w.EventType != "" {
		fields["eventType"] = w.EventType
	}
	st := &providers.Status{State: mapState(w.Overall), Fields: fields, At: now}
	var parts []string
	for _, f := range webhookStatusFields {
		if w.Fields[f] != "" {
			parts = append(parts, f+" "+w.Fields[f])
		}
	}
	detail := "iDenfy webhook: " + w.Overall
	if !w.Final {
		st.State = providers.StatePending
		detail = "iDenfy webhook: automatic result " + w.Overall + ", not final: a manual review follows"
	}
	if len(parts) > 0 {
		detail += " (" + strings.Join(parts, "; ") + ")"
	}
	st.Detail = clipText(detail, 500)
	return st
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
