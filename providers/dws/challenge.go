package dws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ResendCooldown is the least time between two codes sent for one
// authentication; Trigger refuses earlier resends without sending anything.
// DWS documents no interval; this is kycdesk's, matching the simulator.
const ResendCooldown = 30 * time.Second

// verifyAuthentication's wire names: the ONE place they are written, each
// with its source (reference/dws.md §2). The request is
//
//	{"authenticationRequestId": …, "authenticationId": …,
//	 "authenticationMethod": "OTP", "authenticationType": "SMS",
//	 "challengeData": {"challengeType": "SMS_OTP", "otpValue": "472556"}}
//
// with every member a JSON string, as every DWS page requires.
const (
	// VerifyFieldAuthenticationRequestID, …Method and …Type are rows of the
	// table on docs/ac/dws2/verifyauthentication (the same names as
	// initAuthentication's, ParamAuthenticationRequestID etc.).
	VerifyFieldAuthenticationRequestID = ParamAuthenticationRequestID
	VerifyFieldAuthenticationMethod    = ParamAuthenticationMethod
	VerifyFieldAuthenticationType      = ParamAuthenticationType
	// VerifyFieldAuthenticationID: docs/ac/dws2/verifyauthentication, String,
	// required: the authenticationId initAuthentication returned.
	VerifyFieldAuthenticationID = "authenticationId"
	// VerifyFieldChallengeData: docs/ac/dws2/verifyauthentication, a
	// ChallengeData object. The table's example shows the password form
	// ({"challengeType":"PAYMENT_PASSWORD","passwordValue":…}).
	VerifyFieldChallengeData = "challengeData"
	// ChallengeDataType, ChallengeDataOTPValue and ChallengeTypeSMSOTP are
	// UNCONFIRMED: no page lists ChallengeData's members; they are shown
	// only by example, on docs/ac/dws2/verifyandresume
	// ("ChallengeData [challengeType = SMS_OTP, otpValue = 472556, …]").
	ChallengeDataType     = "challengeType"
	ChallengeDataOTPValue = "otpValue"
	ChallengeTypeSMSOTP   = "SMS_OTP"
)

// OTPLength is the number of digits of an SMS code, checked before a code
// is sent so a typo never spends one of the customer's attempts.
//
// UNCONFIRMED: no DWS page states the length; the only example
// (docs/ac/dws2/verifyandresume, otpValue 472556) has six digits.
const OTPLength = 6

// VerifyRequestID is the ONE place choosing the authenticationRequestId
// sent to verifyAuthentication.
//
// UNCONFIRMED (an inference, not a sentence of the docs): the page says "The
// value of authenticationRequestId must be the same during the whole
// authentication process", and its table has a separate, required
// authenticationId for DWS's id; so authenticationRequestId is the
// merchant's own id, the one initAuthentication carried.
func VerifyRequestID(l *providers.Launch) string {
	return l.References[ParamAuthenticationRequestID]
}

// Fields kept on Launch.Extra between calls (not secret, not personal).
const (
	extraCodesSent  = "codesSent"               // how many codes DWS confirmed sending
	extraTriggerSeq = "triggerSeq"              // how many triggerRequestIds reached S or F
	extraCodeSentAt = providers.ExtraCodeSentAt // RFC 3339 time of the last one
	extraState      = "verification"            // approved, denied, expired once Verify knows
)

// SandboxCodeField and SandboxCodeExpiresField are the simulator's
// sandbox-only extension of the triggerChallenge answer: present only for
// client ids starting SANDBOX_, copied to Challenge.SandboxCode only in
// sandbox mode. The real DWS never sends them.
const (
	SandboxCodeField        = "sandboxOnlyOtpCode"
	SandboxCodeExpiresField = "sandboxOnlyOtpExpiresAt"
)

// TriggerRequestID is the n-th triggerRequestId (1-based) of an
// authentication, derived from authenticationRequestId and n. n advances
// only when a trigger reaches S or F, so a retry of a send whose outcome is
// unknown reuses the id (DWS acts on it once) and a resend, or a new try
// after a refusal, gets a new one.
func TriggerRequestID(authenticationRequestID string, n int) string {
	sum := sha256.Sum256([]byte(authenticationRequestID + "#trigger#" + strconv.Itoa(n)))
	return "KYCDESKT" + hex.EncodeToString(sum[:])[:40]
}

func recordedState(l *providers.Launch) providers.State {
	if l.Extra != nil {
		switch s := providers.State(l.Extra[extraState]); s {
		case providers.StateApproved, providers.StateDenied, providers.StateExpired:
			return s
		}
	}
	return providers.StatePending
}

func extraInt(l *providers.Launch, key string) int {
	if l.Extra == nil {
		return 0
	}
	n, _ := strconv.Atoi(l.Extra[key])
	return n
}

// ResendWait is how long until Trigger may send another code for l (0: now).
func ResendWait(l *providers.Launch, now time.Time) time.Duration {
	if l == nil || l.Extra == nil || l.Extra[extraCodeSentAt] == "" {
		return 0
	}
	at, err := time.Parse(time.RFC3339Nano, l.Extra[extraCodeSentAt])
	if err != nil {
		return 0
	}
	if w := at.Add(ResendCooldown).Sub(now); w > 0 {
		return w
	}
	return 0
}

func checkLaunch(l *providers.Launch) *providers.Error {
	if l == nil || l.Provider != "dws" || l.References["authenticationId"] == "" || l.References[ParamAuthenticationRequestID] == "" {
		return &providers.Error{Kind: providers.KindInvalid, Message: "not a launched dws authentication (no authenticationId)",
			Action: "launch a dws session first"}
	}
	return nil
}

// Trigger asks DWS to send (or resend) the SMS code: triggerChallenge with
// challengeId = authenticationId. Resends within ResendCooldown are refused
// without sending. An unknown outcome is retried with the same
// triggerRequestId and an identical body. l is updated in place.
func (c *Client) Trigger(ctx context.Context, l *providers.Launch) (*providers.Challenge, error) {
	if err := checkLaunch(l); err != nil {
		return nil, err
	}
	if s := recordedState(l); s == providers.StateApproved || s == providers.StateDenied {
		return nil, &providers.Error{Kind: providers.KindInvalid, Code: string(s),
			Message: "the authentication is already " + string(s) + "; no code is sent",
			Action:  "start a new session"}
	}
	now := c.cfg.Clock()
	if w := ResendWait(l, now); w > 0 {
		secs := int((w + time.Second - 1) / time.Second)
		return nil, &providers.Error{Kind: providers.KindInvalid, Code: CodeResendTooSoon,
			Message: fmt.Sprintf("a code was sent less than %s ago; wait %d s before sending another", ResendCooldown, secs),
			Action:  fmt.Sprintf("wait %d s, then send again; nothing was sent", secs)}
	}
	authID := l.References["authenticationId"]
	reqID := l.References[ParamAuthenticationRequestID]
	n := extraInt(l, extraTriggerSeq) + 1
	trigID := TriggerRequestID(reqID, n)
	body, err := json.Marshal(struct {
		TriggerRequestID string `json:"triggerRequestId"`
		ChallengeID      string `json:"challengeId"`
	}{trigID, authID})
	if err != nil {
		return nil, providers.Errorf("dws: %v", err)
	}
	cl := call{what: "triggerChallenge", idName: "triggerRequestId", requestID: trigID,
		unknown: "DWS may have sent the code. Ask the customer whether an SMS arrived; sending again reuses the same triggerRequestId (" +
			trigID + ") with an identical body, so DWS does not send a second code for it."}
	env, _, err := c.exchange(ctx, PathTriggerChallenge, body, c.Retries, cl)
	if l.Extra == nil {
		l.Extra = map[string]string{}
	}
	if err != nil {
		if providers.AsError(err).Kind == providers.KindRejected {
			l.Extra[extraTriggerSeq] = strconv.Itoa(n) // DWS answers this id with F from now on
		}
		return nil, err
	}
	l.Extra[extraTriggerSeq] = strconv.Itoa(n)
	if l.Challenge == nil {
		l.Challenge = &providers.Challenge{Type: TypeSMS, ChallengeID: authID, RenderValue: l.Customer}
	}
	ch := l.Challenge
	ch.Triggered = true
	ch.ChallengeID = authID
	applyActionForm(ch, object(env, "actionForm"))
	ch.SandboxCode, ch.CodeExpires = "", time.Time{}
	if c.sandbox() {
		if code := clean(str(env, SandboxCodeField), 16); code != "" {
			ch.SandboxCode = code
		}
		if t, err := time.Parse(time.RFC3339, str(env, SandboxCodeExpiresField)); err == nil {
			ch.CodeExpires = t
		}
	}
	l.Extra[extraCodesSent] = strconv.Itoa(extraInt(l, extraCodesSent) + 1)
	l.Extra[extraCodeSentAt] = c.cfg.Clock().UTC().Format(time.RFC3339Nano)
	if recordedState(l) == providers.StateExpired {
		delete(l.Extra, extraState) // a new code: pending again
	}
	return ch, nil
}

// CheckCode refuses what cannot be a code before anything is sent: a code
// is OTPLength ASCII digits (surrounding spaces are ignored). The error is a
// *providers.Error of KindInvalid for the field "code", so every front end
// exits 2 / shows it at the field with nothing sent.
func CheckCode(code string) error {
	code = strings.TrimSpace(code)
	msg := ""
	switch {
	case code == "":
		msg = "type the code the customer received"
	case !allDigits(code):
		msg = fmt.Sprintf("the code is %d digits (0-9) only; check what the customer read out", OTPLength)
	case len(code) != OTPLength:
		msg = fmt.Sprintf("the code is %d digits, not %d; check what the customer read out", OTPLength, len(code))
	}
	if msg == "" {
		return nil
	}
	return &providers.Error{Kind: providers.KindInvalid, Field: "code", Message: msg,
		Fields: []providers.FieldError{{Field: "code", Message: msg}},
		Action: "type the code again; nothing was sent and no attempt was used"}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// verifyBody is verifyAuthentication's body: every member a JSON string,
// challengeData an object of strings.
func verifyBody(requestID, authenticationID, authType, code string) ([]byte, error) {
	return json.Marshal(map[string]any{
		VerifyFieldAuthenticationRequestID: requestID,
		VerifyFieldAuthenticationID:        authenticationID,
		VerifyFieldAuthenticationMethod:    MethodOTP,
		VerifyFieldAuthenticationType:      authType,
		VerifyFieldChallengeData: map[string]string{
			ChallengeDataType:     ChallengeTypeSMSOTP,
			ChallengeDataOTPValue: code,
		},
	})
}

// Verify submits the code (verifyAuthentication). A verified code gives
// StateApproved. A wrong code, an expired code and too many attempts each
// return a KindRejected *providers.Error with its own code (CodeOTPIncorrect,
// CodeOTPExpired, CodeVerifyTimesExceedLimit) together with the resulting
// Status (pending, expired, denied). Verify is not retried on an unknown
// outcome: every attempt counts against the limit. l is updated in place.
func (c *Client) Verify(ctx context.Context, l *providers.Launch, code string) (*providers.Status, error) {
	if err := checkLaunch(l); err != nil {
		return nil, err
	}
	code = strings.TrimSpace(code)
	if err := CheckCode(code); err != nil {
		return nil, err
	}
	switch s := recordedState(l); s {
	case providers.StateApproved:
		return &providers.Status{State: s, Detail: "already verified", At: c.cfg.Clock()}, nil
	case providers.StateDenied:
		return &providers.Status{State: s, Detail: "locked after too many wrong codes", At: c.cfg.Clock()},
			&providers.Error{Kind: providers.KindInvalid, Code: CodeVerifyTimesExceedLimit,
				Message: "the authentication is locked after too many wrong codes; nothing was sent", Action: "start a new session"}
	}
	// Whether a code was sent is DWS's to say: a Launch restored from the
	// store read by another process may not show the trigger.
	authType := TypeSMS
	if t := l.Extra[ParamAuthenticationType]; t != "" {
		authType = t
	}
	body, err := verifyBody(VerifyRequestID(l), l.References["authenticationId"], authType, code)
	if err != nil {
		return nil, providers.Errorf("dws: %v", err)
	}
	cl := call{what: "verifyAuthentication",
		unknown: "DWS may have checked the code. Type the same code again to learn the result; if DWS had accepted it, it says so."}
	env, _, err := c.exchange(ctx, PathVerifyAuthentication, body, 0, cl)
	now := c.cfg.Clock()
	if l.Extra == nil {
		l.Extra = map[string]string{}
	}
	if err != nil {
		pe := providers.AsError(err)
		switch pe.Code {
		case CodeOTPIncorrect:
			return &providers.Status{State: providers.StatePending, Detail: pe.Message, At: now}, pe
		case CodeOTPExpired:
			l.Extra[extraState] = string(providers.StateExpired)
			return &providers.Status{State: providers.StateExpired, Detail: pe.Message, At: now}, pe
		case CodeVerifyTimesExceedLimit:
			l.Extra[extraState] = string(providers.StateDenied)
			return &providers.Status{State: providers.StateDenied, Detail: pe.Message, At: now}, pe
		}
		return nil, pe
	}
	// The legacy users API answers isPassed (a Boolean, sent as a string);
	// an explicit "false" is a wrong code.
	if p := strings.ToLower(str(env, "isPassed")); p == "false" {
		pe := providers.Rejected(0, CodeOTPIncorrect, "verifyAuthentication: DWS answered isPassed=false: the code is incorrect",
			"ask the customer to read the code again and type it exactly")
		return &providers.Status{State: providers.StatePending, Detail: pe.Message, At: now}, pe
	}
	l.Extra[extraState] = string(providers.StateApproved)
	return &providers.Status{State: providers.StateApproved, Detail: "DWS verified the code", At: now}, nil
}
