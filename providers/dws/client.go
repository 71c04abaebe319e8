package dws

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// API paths (reference/dws.md §1–2). Client ids starting with SandboxPrefix
// use "/ams/sandbox/api" instead of "/ams/api" (APIPath).
const (
	PathInitAuthentication   = "/ams/api/v1/customers/initAuthentication"
	PathTriggerChallenge     = "/ams/api/v1/security/triggerChallenge"
	PathVerifyAuthentication = "/ams/api/v1/security/verifyAuthentication"
	// SandboxPrefix marks sandbox client ids, as in every AMS SDK.
	SandboxPrefix = "SANDBOX_"
)

// Credential names in providers.Config.Credentials.
const (
	CredClientID          = "clientId"
	CredPrivateKeyPEM     = "privateKeyPEM"
	CredPlatformPublicKey = "platformPublicKeyPEM"
)

// Option names in providers.Config.Options.
const (
	OptionGateway    = "gateway"
	OptionKeyVersion = "keyVersion"
)

// DefaultRetries is how many times an unknown outcome (status U, HTTP 5xx or
// 429, a timeout) is retried inside one call, with the same idempotency key
// and a byte-identical body.
const DefaultRetries = 3

// DefaultBackoff waits 250 ms, 500 ms, 1 s… before retry n (1-based).
func DefaultBackoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 5 {
		n = 5
	}
	return 250 * time.Millisecond << (n - 1)
}

// SessionTTL is how long kycdesk tracks an authentication. UNCONFIRMED: DWS
// documents no lifetime for an authenticationId; this is kycdesk's own bound,
// after which Status reports expired and the operator starts anew.
const SessionTTL = 30 * time.Minute

// APIPath returns the path for clientID: "/ams/api/…" becomes
// "/ams/sandbox/api/…" for sandbox client ids.
func APIPath(clientID, path string) string {
	if strings.HasPrefix(clientID, SandboxPrefix) {
		return strings.Replace(path, "/ams/api", "/ams/sandbox/api", 1)
	}
	return path
}

// Client is a configured DWS client. It implements providers.Client and
// providers.Challenger.
type Client struct {
	cfg        providers.Config
	http       *http.Client
	baseURL    string
	clientID   string
	keyVersion string
	key        *rsa.PrivateKey
	platform   *rsa.PublicKey // nil: responses are not verified
	secrets    []string

	// Retries bounds the retries of an unknown outcome (DefaultRetries).
	Retries int
	// Backoff is the wait before retry n (1-based); DefaultBackoff unless set.
	Backoff func(n int) time.Duration
}

var (
	_ providers.Client     = (*Client)(nil)
	_ providers.Challenger = (*Client)(nil)
)

// sandboxKey is the sandbox's fixed private key, read once per process:
// checking an RSA private key as it is read costs about 0.4 ms, and a
// console makes this client twice as it opens (home's preview, then its
// desk), a served desk once per connection. The key is only read from.
var sandboxKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return ParsePrivateKey(SandboxClientPrivateKeyPEM) })

// New makes a client.
//
// Live mode signs with privateKeyPEM and verifies answers only when
// platformPublicKeyPEM is set. Sandbox mode talks to kycdesk's simulator,
// which keeps its fixed key pairs whatever client id it accepts (the sandbox
// passes it the DWS_CLIENT_ID from the environment, never the key files):
// it signs with SandboxClientPrivateKeyPEM and verifies answers with
// SandboxPlatformPublicKeyPEM, using the configured client id (the sandbox
// one when none is set). A configured private key is then not used, only
// masked. An empty BaseURL resolves through the gateway option.
func New(cfg providers.Config) (*Client, error) {
	creds := cfg.Credentials
	sandbox := cfg.Mode == providers.ModeSandbox
	if sandbox && strings.TrimSpace(creds[CredClientID]) == "" {
		creds = sandboxCredentials()
	}
	c := &Client{cfg: cfg, http: cfg.Client(), Retries: DefaultRetries, Backoff: DefaultBackoff}
	c.clientID = strings.TrimSpace(creds[CredClientID])
	if c.clientID == "" {
		return nil, configError(CredClientID, "no DWS client id", "set DWS_CLIENT_ID (the Client-Id from the Alipay Developer Center)")
	}
	for _, r := range c.clientID {
		if r <= ' ' || r > '~' {
			return nil, configError(CredClientID, "the client id must be printable ASCII without spaces", "check DWS_CLIENT_ID")
		}
	}
	pemText, pub := creds[CredPrivateKeyPEM], creds[CredPlatformPublicKey]
	if strings.TrimSpace(pemText) != "" {
		c.secrets = secretForms(pemText)
	}
	if sandbox {
		pemText, pub = SandboxClientPrivateKeyPEM, SandboxPlatformPublicKeyPEM
		c.secrets = append(c.secrets, secretForms(pemText)...)
	}
	if strings.TrimSpace(pemText) == "" {
		return nil, configError(CredPrivateKeyPEM, "no private key", "set DWS_PRIVATE_KEY_FILE to the file holding your RSA private key (PEM)")
	}
	parse := ParsePrivateKey
	if sandbox {
		parse = func(string) (*rsa.PrivateKey, error) { return sandboxKey() }
	}
	key, err := parse(pemText)
	if err != nil {
		return nil, configError(CredPrivateKeyPEM, err.Error(), "check the file named by DWS_PRIVATE_KEY_FILE")
	}
	c.key = key
	if strings.TrimSpace(pub) != "" {
		pk, err := ParsePublicKey(pub)
		if err != nil {
			return nil, configError(CredPlatformPublicKey, err.Error(), "check the file named by DWS_PUBLIC_KEY_FILE (the DWS platform public key)")
		}
		c.platform = pk
	}
	if g := cfg.Options[OptionGateway]; g != "" {
		if _, ok := GatewayURL(g); !ok {
			return nil, configError(OptionGateway, fmt.Sprintf("unknown gateway %q", g), "use one of "+strings.Join(GatewayNames(), ", ")+", or set base_url")
		}
	}
	c.keyVersion = "1"
	if kv := strings.TrimSpace(cfg.Options[OptionKeyVersion]); kv != "" {
		for _, r := range kv {
			if r < '0' || r > '9' {
				return nil, configError(OptionKeyVersion, "keyVersion must be a whole number", "set keyVersion to the key's version (default 1)")
			}
		}
		c.keyVersion = kv
	}
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = ResolveBaseURL(cfg.Options)
	}
	base, _, err = providers.BaseURL(base, cfg.Mode == providers.ModeLive)
	switch {
	case errors.Is(err, providers.ErrPlainHTTP):
		return nil, configError("base_url", "plain http is refused for a live endpoint that is not loopback", "use https")
	case err != nil:
		return nil, configError("base_url", fmt.Sprintf("%q is not an http(s) URL", providers.SanitizeLine(base)), "set base_url (or KYCDESK_DWS_URL) to e.g. "+GatewaySingapore)
	}
	c.baseURL = base
	return c, nil
}

func configError(field, msg, action string) *providers.Error {
	return &providers.Error{Kind: providers.KindInvalid, Field: field, Message: "dws: " + msg, Action: action}
}

// secretForms lists the private key as given and its base64 body lines, so
// any of them is masked wherever it could appear.
func secretForms(pemText string) []string {
	out := []string{pemText}
	if t := strings.TrimSpace(pemText); t != pemText {
		out = append(out, t)
	}
	for _, line := range strings.Split(pemText, "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}

// ClientID is the configured client id (not secret).
func (c *Client) ClientID() string { return c.clientID }

// VerifiesResponses reports whether a DWS platform public key is configured.
func (c *Client) VerifiesResponses() bool { return c.platform != nil }

// Secrets lists the private key in every form it was given.
func (c *Client) Secrets() []string { return append([]string(nil), c.secrets...) }

func (c *Client) sandbox() bool { return c.cfg.Mode == providers.ModeSandbox }

// withDefaults canonicalises v and fills the values the seed fixes for the
// registration scenario (OTP, SMS, MOBILENO) when they are not set.
func withDefaults(v providers.Values) providers.Values {
	out := Spec().Canonical(v)
	for name, def := range map[string]string{
		ParamAuthenticationMethod: MethodOTP,
		ParamAuthenticationType:   TypeSMS,
		ParamIdentityType:         IdentityMobile,
	} {
		if !out.Has(name) {
			out.Set(name, def)
		}
	}
	return out
}

// Prepare fills the fixed values and a fresh authenticationRequestId when
// none is set; the id then stays the same through review and every retry.
func (c *Client) Prepare(v providers.Values) providers.Values {
	out := withDefaults(v)
	if !out.Has(ParamAuthenticationRequestID) {
		out.Set(ParamAuthenticationRequestID, NewRequestID())
	}
	return out
}

// Validate applies the spec's rules, then the phone number with its country:
// refusals for numbers that cannot exist, warnings for invalid or
// non-mobile ones.
func (c *Client) Validate(v providers.Values) []providers.FieldError {
	return validate(withDefaults(v))
}

func validate(v providers.Values) []providers.FieldError {
	errs := providers.ValidateSpec(Spec(), v)
	for _, e := range errs {
		if e.Field == ParamIdentityValue || e.Field == ParamCountry {
			return errs
		}
	}
	if v.Has(ParamIdentityValue) {
		_, warns, err := normalizePhone(v.Get(ParamIdentityValue), v.Get(ParamCountry))
		if err != nil {
			errs = append(errs, providers.FieldError{Field: ParamIdentityValue, Message: err.Error()})
		}
		errs = append(errs, warns...)
	}
	if v.Get(ParamAuthenticationType) == TypeSMS && v.Get(ParamIdentityType) != IdentityMobile {
		errs = append(errs, providers.FieldError{Field: ParamIdentityType, Message: "authenticationType SMS needs identityType MOBILENO"})
	}
	return errs
}

// initBody is the initAuthentication body. Every member is a JSON string
// (seed: "Set the data type of each field (except array) as String").
type initBody struct {
	AuthenticationRequestID string            `json:"authenticationRequestId"`
	AuthenticationMethod    string            `json:"authenticationMethod"`
	AuthenticationType      string            `json:"authenticationType"`
	IdentityType            string            `json:"identityType"`
	IdentityValue           string            `json:"identityValue"`
	Env                     map[string]string `json:"env,omitempty"`
}

// build validates v (already prepared) and returns the exact body. The same
// values always give the same bytes (struct order, sorted env keys).
func build(v providers.Values) (body []byte, wire string, err error) {
	if !v.Has(ParamAuthenticationRequestID) {
		return nil, "", providers.Invalid([]providers.FieldError{{Field: ParamAuthenticationRequestID, Message: "required (Prepare generates one)"}})
	}
	refusals, _ := providers.Problems(validate(v))
	if len(refusals) > 0 {
		return nil, "", providers.Invalid(refusals)
	}
	wire, _, perr := NormalizePhone(v.Get(ParamIdentityValue), v.Get(ParamCountry))
	if perr != nil {
		return nil, "", providers.Invalid([]providers.FieldError{{Field: ParamIdentityValue, Message: perr.Error()}})
	}
	b := initBody{
		AuthenticationRequestID: v.Get(ParamAuthenticationRequestID),
		AuthenticationMethod:    v.Get(ParamAuthenticationMethod),
		AuthenticationType:      v.Get(ParamAuthenticationType),
		IdentityType:            v.Get(ParamIdentityType),
		IdentityValue:           wire,
	}
	for _, name := range v.Names() {
		if member, ok := strings.CutPrefix(name, EnvPrefix); ok {
			if b.Env == nil {
				b.Env = map[string]string{}
			}
			b.Env[member] = v.Get(name)
		}
	}
	body, err = json.Marshal(b)
	return body, wire, err
}

// Request builds the signed initAuthentication request. It sends nothing.
// Values without an authenticationRequestId get one (as Prepare does).
func (c *Client) Request(ctx context.Context, v providers.Values) (*http.Request, error) {
	body, _, err := build(c.Prepare(v))
	if err != nil {
		return nil, err
	}
	return c.newRequest(ctx, PathInitAuthentication, body)
}

// newRequest signs body for path at the current time.
func (c *Client) newRequest(ctx context.Context, path string, body []byte) (*http.Request, error) {
	uri := APIPath(c.clientID, path)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+uri, bytes.NewReader(body))
	if err != nil {
		return nil, providers.Errorf("dws: cannot build the request: %v", err)
	}
	reqTime := FormatRequestTime(c.cfg.Clock())
	// The signed URI is the API path DWS receives; a path prefix in
	// base_url (a proxy) is not part of it.
	sig, err := Sign(c.key, SignContent(http.MethodPost, uri, c.clientID, reqTime, body))
	if err != nil {
		return nil, providers.Errorf("dws: signing failed: %v", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Client-Id", c.clientID)
	req.Header.Set("Request-Time", reqTime)
	req.Header.Set("Signature", SignatureHeader(c.keyVersion, sig))
	return req, nil
}

// call names one logical DWS call for messages.
type call struct {
	what      string // "initAuthentication"
	idName    string // the idempotency field ("authenticationRequestId"), "" if none
	requestID string // its value
	// unknown is the action when the outcome stays unknown.
	unknown string
}

func retrySameAction(idName, requestID string) string {
	return "DWS may have processed the request. Retry the same request later: the same " + idName + " (" + requestID +
		") with exactly the same values, so the body is identical; DWS then returns the result of the first request instead of acting twice."
}

// exchange is one logical call: it sends body to path and retries an
// unknown outcome (U, 5xx, 429, timeout) up to retries times with the same
// body bytes, re-signed with a fresh Request-Time. It returns the members
// of the S answer and the number of attempts, or a *providers.Error.
func (c *Client) exchange(ctx context.Context, path string, body []byte, retries int, cl call) (map[string]json.RawMessage, int, error) {
	var lastUnknown *providers.Error
	attempts := 0
	for {
		attempts++
		env, perr := c.attempt(ctx, path, body, cl)
		if perr == nil {
			return env, attempts, nil
		}
		retryable := perr.Kind == providers.KindUnknown && perr.Code != CodeResponseSignatureInvalid && perr.Code != CodeMalformedResponse
		if perr.Kind == providers.KindTransport && lastUnknown != nil {
			// Nothing was sent this time, but an earlier attempt may have been processed.
			retryable = true
			perr = &providers.Error{Kind: providers.KindUnknown, Message: perr.Message, Err: perr}
		}
		if !retryable {
			return nil, attempts, perr
		}
		lastUnknown = perr
		if attempts > retries || ctx.Err() != nil {
			break
		}
		if c.Backoff != nil {
			if wait := c.Backoff(attempts); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
				case <-t.C:
				}
				t.Stop()
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, attempts, &providers.Error{Kind: providers.KindUnknown, Code: lastUnknown.Code, HTTPStatus: lastUnknown.HTTPStatus,
		Message: fmt.Sprintf("%s: outcome unknown after %d attempt(s): %s", cl.what, attempts, lastUnknown.Message),
		Err:     lastUnknown, Action: cl.unknown}
}

// attempt sends once and classifies the answer.
func (c *Client) attempt(ctx context.Context, path string, body []byte, cl call) (map[string]json.RawMessage, *providers.Error) {
	what := cl.what
	req, err := c.newRequest(ctx, path, body)
	if err != nil {
		return nil, providers.AsError(err)
	}
	resp, err := providers.Do(ctx, c.http, req)
	if err != nil {
		return nil, providers.AsError(err)
	}
	if resp.Status >= 500 || resp.Status == http.StatusTooManyRequests {
		return nil, providers.Unknown(resp.Status, "", "DWS answered "+providers.HTTPStatusText(resp.Status), nil)
	}
	env, res, derr := DecodeResponse(resp.Body)
	if derr != nil {
		// Nothing of the answer is used beyond a sanitized excerpt, so
		// its signature does not matter.
		if resp.Status >= 400 {
			return nil, providers.Rejected(resp.Status, "", what+": DWS answered "+providers.HTTPStatusText(resp.Status)+": "+providers.Snippet(resp.Body),
				"check the endpoint (base_url) and the request; the answer was not a DWS result")
		}
		return nil, &providers.Error{Kind: providers.KindUnknown, Code: CodeMalformedResponse, HTTPStatus: resp.Status,
			Message: what + ": the answer is not a DWS result (" + derr.Error() + "): " + providers.Snippet(resp.Body),
			Action:  "check the endpoint (base_url)"}
	}
	if c.platform != nil {
		if verr := c.verifyResponse(req.URL.Path, resp); verr != nil {
			// An unsigned refusal of our own signature or client id is
			// expected: DWS cannot sign for a client it does not recognise.
			unsigned := resp.Header.Get("Signature") == ""
			if !(unsigned && res.ResultStatus == StatusFailed && unsignedCodes[res.ResultCode]) {
				return nil, &providers.Error{Kind: providers.KindUnknown, Code: CodeResponseSignatureInvalid, HTTPStatus: resp.Status,
					Message: what + ": the answer's signature does not verify with the configured DWS public key (" + verr.Error() + "); its content was not used",
					Action:  "check that DWS_PUBLIC_KEY_FILE holds the DWS platform public key for client id " + c.clientID}
			}
		}
	}
	switch res.ResultStatus {
	case StatusSuccess:
		return env, nil
	case StatusUnknown:
		code := clean(res.ResultCode, 64)
		msg := "DWS answered U (unknown)"
		if info, ok := LookupCode(code); ok {
			msg += ": " + info.Meaning
		} else if m := clean(res.ResultMessage, 200); m != "" {
			msg += ": " + m
		}
		return nil, providers.Unknown(resp.Status, code, msg, nil)
	case StatusFailed:
		return nil, failure(resp.Status, res, what, cl.idName, cl.requestID)
	}
	return nil, &providers.Error{Kind: providers.KindUnknown, Code: CodeMalformedResponse, HTTPStatus: resp.Status,
		Message: what + ": unknown resultStatus " + fmt.Sprintf("%q", clean(res.ResultStatus, 16)),
		Action:  "check the endpoint (base_url)"}
}

// unsignedCodes are refusals DWS may send without a signature ("targetSignature
// would not be present in the response when AMS returns a SIGNATURE_INVALID").
var unsignedCodes = map[string]bool{
	CodeInvalidSignature: true, "SIGNATURE_INVALID": true,
	CodeInvalidClient: true, "CLIENT_INVALID": true, "KEY_NOT_FOUND": true,
}

// verifyResponse checks the response signature over
// "POST <request uri>\n<client-id>.<Response-Time>.<body>" (the Java SDK's
// form: the request's path and the configured client id).
func (c *Client) verifyResponse(uri string, resp *providers.Response) error {
	rt := resp.Header.Get("Response-Time")
	sigHeader := resp.Header.Get("Signature")
	if sigHeader == "" {
		return errors.New("no Signature header")
	}
	if rt == "" {
		return errors.New("no Response-Time header")
	}
	alg, _, sig, err := ParseSignatureHeader(sigHeader)
	if err != nil {
		return err
	}
	if alg != "" && alg != SignatureAlgorithm {
		return fmt.Errorf("algorithm %q is not %s", clean(alg, 16), SignatureAlgorithm)
	}
	return Verify(c.platform, SignContent(http.MethodPost, uri, c.clientID, rt, resp.Body), sig)
}

// DecodeResponse reads a DWS answer: a JSON object with a "result" object
// whose members are strings. It returns every top-level member for the
// caller to pick from.
func DecodeResponse(body []byte) (map[string]json.RawMessage, Result, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, Result{}, errors.New("not a JSON object")
	}
	raw, ok := env["result"]
	if !ok {
		return nil, Result{}, errors.New("no result")
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, Result{}, errors.New("result is not an object of strings")
	}
	if r.ResultStatus == "" {
		return nil, Result{}, errors.New("result has no resultStatus")
	}
	return env, r, nil
}

// str reads a string member of a decoded answer ("" when absent or not a string).
func str(env map[string]json.RawMessage, name string) string {
	var s string
	if raw, ok := env[name]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// object reads an object member whose members are strings (others are skipped).
func object(env map[string]json.RawMessage, name string) map[string]string {
	var m map[string]json.RawMessage
	raw, ok := env[name]
	if !ok || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		}
	}
	return out
}

// Launch validates, sends initAuthentication (retrying an unknown outcome
// with the same authenticationRequestId and identical body) and returns the
// challenge. Errors are *providers.Error.
func (c *Client) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	v = c.Prepare(v)
	body, wire, err := build(v)
	if err != nil {
		return nil, err
	}
	reqID := v.Get(ParamAuthenticationRequestID)
	cl := call{what: "initAuthentication", idName: ParamAuthenticationRequestID, requestID: reqID,
		unknown: retrySameAction(ParamAuthenticationRequestID, reqID)}
	env, attempts, err := c.exchange(ctx, PathInitAuthentication, body, c.Retries, cl)
	if err != nil {
		return nil, err
	}
	authID := clean(str(env, "authenticationId"), 128)
	if authID == "" {
		return nil, &providers.Error{Kind: providers.KindUnknown, Code: CodeMalformedResponse,
			Message: "initAuthentication: DWS answered S without an authenticationId",
			Action:  cl.unknown}
	}
	if echo := str(env, "authenticationRequestId"); echo != "" && echo != reqID {
		return nil, &providers.Error{Kind: providers.KindUnknown, Code: CodeMalformedResponse,
			Message: "initAuthentication: the answer names another authenticationRequestId (" + clean(echo, 64) + ")",
			Action:  cl.unknown}
	}
	masked := providers.MaskPhone(wire)
	ch := &providers.Challenge{Type: TypeSMS, RenderValue: masked, ChallengeID: authID}
	applyActionForm(ch, object(env, "actionForm"))
	now := c.cfg.Clock()
	l := &providers.Launch{
		Provider: "dws",
		References: map[string]string{
			"authenticationId":           authID,
			ParamAuthenticationRequestID: reqID,
		},
		ExpiresAt: now.Add(SessionTTL),
		Challenge: ch,
		Customer:  masked,
		Extra:     map[string]string{ParamAuthenticationType: v.Get(ParamAuthenticationType)},
	}
	l.Notes = append(l.Notes, "DWS sends the SMS code only when you send it (triggerChallenge); a new code can be sent every "+
		fmt.Sprint(ResendCooldown)+".")
	if c.platform == nil {
		l.Notes = append(l.Notes, "DWS answers are NOT verified: no DWS platform public key is configured (DWS_PUBLIC_KEY_FILE), so a forged or altered answer would not be detected.")
	}
	if attempts > 1 {
		l.Notes = append(l.Notes, fmt.Sprintf("The outcome was unknown at first; the same request (same authenticationRequestId, identical body) was sent %d times.", attempts))
	}
	l.Notes = append(l.Notes, "DWS has no status query: the state shown is what kycdesk learned from triggerChallenge and verifyAuthentication.")
	if c.sandbox() {
		l.Notes = append(l.Notes, "Sandbox: the simulator's SMS inbox is at "+c.baseURL+SimPagePath+".")
	}
	return l, nil
}

// applyActionForm copies the challenge type DWS names. The number shown is
// kycdesk's own mask of the number sent (providers.MaskPhone, one rule on
// every screen); DWS's rendering is used only when kycdesk has none, and
// masked again when it came unmasked, so a full number never reaches the
// screen or the session store.
func applyActionForm(ch *providers.Challenge, form map[string]string) {
	if form == nil {
		return
	}
	if t := clean(form["challengeType"], 32); t != "" {
		ch.Type = t
	}
	if rv := clean(form["challengeRenderValue"], 32); rv != "" && ch.RenderValue == "" {
		if strings.Contains(rv, "*") {
			ch.RenderValue = rv
		} else {
			ch.RenderValue = providers.MaskPhone(rv)
		}
	}
}

// Status reports the state kycdesk knows. DWS documents no query API for an
// authentication, and initAuthentication cannot be re-sent without the
// personal number (which kycdesk does not keep), so nothing is sent: the
// state is the one recorded on the launch by Trigger and Verify (pending
// until verified), or expired after SessionTTL.
func (c *Client) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	if l == nil || l.Provider != "dws" {
		return nil, &providers.Error{Kind: providers.KindInvalid, Message: "not a dws session"}
	}
	now := c.cfg.Clock()
	st := &providers.Status{State: recordedState(l), At: now}
	const noQuery = "DWS has no status query API; this is the state recorded on this copy of the session from triggerChallenge and verifyAuthentication"
	switch {
	case st.State == providers.StatePending && !l.ExpiresAt.IsZero() && now.After(l.ExpiresAt):
		st.State = providers.StateExpired
		st.Detail = "kycdesk stopped tracking this authentication after " + SessionTTL.String() + " (DWS documents no lifetime); start a new session. " + noQuery
	case st.State == providers.StateApproved:
		st.Detail = "DWS verified the code. " + noQuery
	case st.State == providers.StateDenied:
		st.Detail = "too many wrong codes: DWS locked the authentication. " + noQuery
	case st.State == providers.StateExpired:
		st.Detail = "the code expired; send a new code. " + noQuery
	case l.Challenge != nil && l.Challenge.Triggered:
		st.Detail = "code sent, waiting for it to be entered. " + noQuery
	default:
		st.Detail = "waiting for the code to be sent and entered. " + noQuery
	}
	if l.Extra != nil && l.Extra[extraCodesSent] != "" {
		st.Fields = map[string]string{"codesSent": l.Extra[extraCodesSent]}
	}
	return st, nil
}

// Spec is the parameter list, so that a masked client knows which sent
// values are personal (providers.SpecOf).
func (c *Client) Spec() providers.Spec { return Spec() }
