package idenfy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Paths of the iDenfy API used here (reference/idenfy.md §1, §2, §3).
const (
	TokenPath    = "/api/v2/token"
	StatusPath   = "/api/v2/status"
	RedirectPath = "/api/v2/redirect"
)

// defaultTimeout bounds every request when the config sets none.
const defaultTimeout = 20 * time.Second

// maxTrustedExpiry is the largest expiryTime (seconds) taken from an
// answer: ten times the documented maximum. A larger value is treated as
// absent rather than overflowing a time.Duration.
const maxTrustedExpiry = 10 * expiryTimeMax

// client implements providers.Client for iDenfy.
type client struct {
	cfg    providers.Config
	base   string
	key    string
	secret string
	http   *http.Client
	spec   providers.Spec
}

// New makes an iDenfy client. cfg.Credentials must hold apiKey and
// apiSecret; cfg.BaseURL is the API root (https://ivs.idenfy.com in live
// mode when empty). Plain http is refused in live mode unless the host is
// loopback.
func New(cfg providers.Config) (providers.Client, error) {
	key := strings.TrimSpace(cfg.Credentials["apiKey"])
	secret := strings.TrimSpace(cfg.Credentials["apiSecret"])
	if key == "" {
		return nil, configError("apiKey", "the iDenfy API key is not set", "set IDENFY_API_KEY (or apiKey under [idenfy] in the config file)")
	}
	if secret == "" {
		return nil, configError("apiSecret", "the iDenfy API secret is not set", "set IDENFY_API_SECRET (or apiSecret under [idenfy] in the config file)")
	}
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		if cfg.Mode != providers.ModeLive {
			return nil, configError("base_url", "no endpoint for iDenfy", "set the sandbox URL or KYCDESK_IDENFY_URL")
		}
		base = LiveURL
	}
	base, _, err := providers.BaseURL(base, cfg.Mode == providers.ModeLive)
	switch {
	case errors.Is(err, providers.ErrPlainHTTP):
		return nil, configError("base_url", "plain http is refused for a live endpoint that is not loopback", "use https:// in KYCDESK_IDENFY_URL")
	case err != nil:
		return nil, configError("base_url", fmt.Sprintf("%q is not an http(s) URL", providers.SanitizeLine(base)), "set KYCDESK_IDENFY_URL to an API root such as "+LiveURL)
	}
	return &client{cfg: cfg, base: base, key: key, secret: secret, http: cfg.Client(), spec: Spec()}, nil
}

func configError(field, msg, action string) *providers.Error {
	return &providers.Error{Kind: providers.KindInvalid, Field: field, Message: msg, Action: action}
}

// Secrets are the configured secret values (the API secret), for masking.
// Secrets are the API secret and the Basic credentials derived from it
// (base64 of key:secret), which a server or proxy may echo back.
func (c *client) Secrets() []string {
	basic := base64.StdEncoding.EncodeToString([]byte(c.key + ":" + c.secret))
	return []string{c.secret, basic}
}

// canonical resolves names (case, and the legacy alias personScanRef for
// clientId, reference/idenfy.md §1.1) and normalises values.
func (c *client) canonical(v providers.Values) providers.Values {
	out := c.spec.Canonical(v)
	for name := range out {
		if strings.EqualFold(name, "personScanRef") && !out.Has("clientId") {
			out.Set("clientId", out[name]...)
			delete(out, name)
		}
	}
	return out
}

// Prepare normalises names and values. iDenfy has no generated ids, and
// documented defaults are left to iDenfy (the dashboard's defaults apply
// to every omitted field), so nothing is added, except in the sandbox:
// with a reachable callback receiver (Config.Callback) and no callbackUrl
// of the operator's, the session's webhook is pointed at the receiver.
// callbackUrl is iDenfy's documented per-session override of the
// account's webhook URL (reference/idenfy.md §4 [C]); live, it needs a
// permission iDenfy support enables, so a live desk leaves it to the
// account-level webhook set in iDenfy's dashboard.
func (c *client) Prepare(v providers.Values) providers.Values {
	out := c.canonical(v)
	if t := c.cfg.Callback; t != nil && t.BaseURL != "" && c.cfg.Mode == providers.ModeSandbox && !out.Has("callbackUrl") {
		out.Set("callbackUrl", t.URL(ID))
	}
	return out
}

// Validate applies the spec's rules and the cross-field rules of the docs.
func (c *client) Validate(v providers.Values) []providers.FieldError {
	v = c.canonical(v)
	errs := providers.ValidateSpec(c.spec, v)
	// The spec accepts plain http to loopback for the sandbox's receiver;
	// live iDenfy requires https (reference/idenfy.md §4).
	if cb := v.Get("callbackUrl"); cb != "" && checkCallbackURL(cb) == nil {
		if msg := providers.CheckCallbackURL(cb, c.cfg.Mode); msg != "" {
			errs = append(errs, providers.FieldError{Field: "callbackUrl", Message: msg})
		}
	}
	return append(errs, crossField(v)...)
}

// crossField holds the rules that involve more than one field.
// WarnDigitStringContract is the code (providers.FieldError.Code) of the
// generateDigitString warning; desk profiles list the codes they accept.
const WarnDigitStringContract = "digit-string-contract"

// WarnLocaleUndocumented: a locale of the right shape that the
// documentation does not list; WarnExpiryZero: expiryTime 0, allowed but
// not explained. A profile may accept either (its fixed value then warns
// the same way at every launch).
const (
	WarnLocaleUndocumented = "locale-undocumented"
	WarnExpiryZero         = "expiry-time-zero"
)

func crossField(v providers.Values) []providers.FieldError {
	var errs []providers.FieldError
	// [002]: utilityBill "can't be used together with additionalSteps".
	if strings.EqualFold(v.Get("utilityBill"), "true") && v.Has("additionalSteps") {
		errs = append(errs, providers.FieldError{Field: "utilityBill",
			Message: "cannot be used together with additionalSteps; add the utility bill as a custom additional step instead"})
	}
	// [002]: additionalData "must be used with additionalSteps".
	if v.Has("additionalData") && !v.Has("additionalSteps") {
		errs = append(errs, providers.FieldError{Field: "additionalData", Message: "must be used together with additionalSteps"})
	}
	// [003]: ageLimit is the minimum age, ageMax the maximum.
	if lo, err1 := strconv.ParseInt(v.Get("ageLimit"), 10, 64); err1 == nil {
		if hi, err2 := strconv.ParseInt(v.Get("ageMax"), 10, 64); err2 == nil && lo > hi {
			errs = append(errs, providers.FieldError{Field: "ageLimit",
				Message: fmt.Sprintf("minimum age %d is greater than ageMax %d", lo, hi)})
		}
	}
	// A document cannot be issued after it expires.
	if iss, err1 := time.Parse("2006-01-02", v.Get("dateOfIssue")); err1 == nil {
		if exp, err2 := time.Parse("2006-01-02", v.Get("dateOfExpiry")); err2 == nil && iss.After(exp) {
			errs = append(errs, providers.FieldError{Field: "dateOfIssue",
				Message: fmt.Sprintf("%s is after dateOfExpiry %s", v.Get("dateOfIssue"), v.Get("dateOfExpiry"))})
		}
	}
	// [003]/OpenAPI accept any locale of up to 7 characters; [002] lists 24
	// (docVersionChoices["locale"]).
	if l := v.Get("locale"); l != "" && isLocaleShape(l) && !knownLocale(l) {
		errs = append(errs, providers.Warn("locale", WarnLocaleUndocumented,
			fmt.Sprintf("%q is not one of the 24 languages the documentation lists; iDenfy shows English if it does not support it", l)))
	}
	// [003]/OpenAPI allow expiryTime 0 without saying what it means.
	if v.Get("expiryTime") == "0" {
		errs = append(errs, providers.Warn("expiryTime", WarnExpiryZero,
			"0 is allowed by the OpenAPI, but no page says what it does (a token that is invalid at once, or the default lifetime)"))
	}
	// [002]: generateDigitString needs the contract, and expiryTime must
	// not exceed the digit string's maximum (the default expiryTime).
	if strings.EqualFold(v.Get("generateDigitString"), "true") {
		msg := "your contract must allow digit strings, or iDenfy refuses the token"
		if v.Has("expiryTime") {
			msg = fmt.Sprintf("your contract must allow digit strings, and expiryTime (%s s) must not exceed the "+
				"digit string's maximum lifetime (your environment's default expiryTime) unless iDenfy raised it",
				v.Get("expiryTime"))
		}
		errs = append(errs, providers.Warn("generateDigitString", WarnDigitStringContract, msg))
	}
	return errs
}

// body encodes the set fields as iDenfy's flat JSON object, in spec order,
// each with its JSON type (numbers, booleans, arrays, raw JSON objects).
func (c *client) body(v providers.Values) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, p := range c.spec {
		if !v.Has(p.Name) {
			continue
		}
		var vals []string
		for _, x := range v[p.Name] {
			if strings.TrimSpace(x) != "" {
				vals = append(vals, x)
			}
		}
		val, err := json.Marshal(providers.Typed(p, vals))
		if err != nil {
			return nil, &providers.Error{Kind: providers.KindInvalid, Field: p.Name,
				Message: "cannot encode as JSON: " + err.Error(), Action: "correct the field and try again; nothing was sent"}
		}
		name, _ := json.Marshal(p.Name)
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(val)
		n++
	}
	// Names the spec does not know are not sent; Validate names them.
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (c *client) newRequest(ctx context.Context, path string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, &providers.Error{Kind: providers.KindInvalid, Field: "base_url", Message: providers.Sanitize(err.Error()),
			Action: "check the endpoint (KYCDESK_IDENFY_URL)"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kycdesk")
	req.SetBasicAuth(c.key, c.secret)
	return req, nil
}

// Request builds the exact POST /api/v2/token request a launch sends,
// without sending it. Show it with providers.View(req, c.Secrets()).
func (c *client) Request(ctx context.Context, v providers.Values) (*http.Request, error) {
	body, err := c.body(c.canonical(v))
	if err != nil {
		return nil, err
	}
	return c.newRequest(ctx, TokenPath, body)
}

func (c *client) timeout() time.Duration {
	if c.cfg.Timeout > 0 {
		return c.cfg.Timeout
	}
	return defaultTimeout
}

// send posts the request with a timeout and returns a 2xx body, or the
// decoded error.
func (c *client) send(ctx context.Context, req *http.Request) (*providers.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	resp, err := providers.Do(ctx, c.http, req)
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, decodeError(resp.Status, resp.Body)
	}
	return resp, nil
}

// Launch validates, sends POST /api/v2/token and decodes the token.
func (c *client) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	v = c.canonical(v)
	if refusals, _ := providers.Problems(c.Validate(v)); len(refusals) > 0 {
		return nil, providers.Invalid(refusals)
	}
	req, err := c.Request(ctx, v)
	if err != nil {
		return nil, err
	}
	sent := c.cfg.Clock()
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	tok, err := decodeToken(resp.Body)
	if err != nil {
		return nil, providers.Unknown(resp.Status, "",
			fmt.Sprintf("iDenfy answered %s but the token could not be read (%v)", providers.HTTPStatusText(resp.Status), err), err)
	}
	l := c.launchFrom(tok, v, sent)
	if why := providers.CheckHostedURL(l.URL, HostedURLHosts, c.cfg); why != "" {
		return nil, providers.UntrustedURL("iDenfy", "scanRef "+tok.ScanRef, why, "idenfy")
	}
	return l, nil
}

// HostedURLHosts is the host family of iDenfy's hosted flow: the redirect
// and UI hosts are ivs.idenfy.com and ui.idenfy.com (reference/idenfy.md
// §1.2); any other *.idenfy.com host is iDenfy's too.
var HostedURLHosts = []string{"idenfy.com"}

// Spec is the parameter list, so that a masked client knows which sent
// values are personal (providers.SpecOf).
func (c *client) Spec() providers.Spec { return c.spec }

// token is the part of the token response kycdesk uses, sanitized.
type token struct {
	AuthToken     string
	ScanRef       string
	DigitString   string
	ClientID      string
	RedirectURL   string
	Message       string
	TokenType     string
	ExpiryTime    int64
	HasExpiry     bool
	SessionLength int64
	HasSession    bool
}

// decodeToken reads a token response leniently: strings may come as
// numbers, numbers as strings, anything may be null. Every string is
// sanitized. A body without authToken is an error.
func decodeToken(body []byte) (token, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return token{}, fmt.Errorf("the body is not a JSON object (%d bytes)", len(body))
	}
	t := token{
		AuthToken:   jsonString(raw["authToken"]),
		ScanRef:     jsonString(raw["scanRef"]),
		DigitString: jsonString(raw["digitString"]),
		ClientID:    jsonString(raw["clientId"]),
		RedirectURL: jsonString(raw["redirectUrl"]),
		Message:     jsonString(raw["message"]),
		TokenType:   jsonString(raw["tokenType"]),
	}
	t.ExpiryTime, t.HasExpiry = jsonInt(raw["expiryTime"])
	t.SessionLength, t.HasSession = jsonInt(raw["sessionLength"])
	if t.ClientID == "" {
		t.ClientID = jsonString(raw["personScanRef"])
	}
	if t.AuthToken == "" {
		return t, fmt.Errorf("the answer has no authToken")
	}
	return t, nil
}

// jsonString returns a JSON string or number as sanitized single-line text;
// null, absent and other types give "".
func jsonString(m json.RawMessage) string {
	if len(m) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		return strings.TrimSpace(providers.SanitizeLine(s))
	}
	var n json.Number
	if json.Unmarshal(m, &n) == nil {
		return n.String()
	}
	return ""
}

// jsonInt returns a JSON number (or numeric string) as an integer.
func jsonInt(m json.RawMessage) (int64, bool) {
	if len(m) == 0 {
		return 0, false
	}
	var f float64
	if json.Unmarshal(m, &f) == nil {
		if f > 1e15 || f < -1e15 {
			return 0, false
		}
		return int64(f), true
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return i, true
		}
	}
	return 0, false
}

// jsonList returns a JSON array of strings (or a single string) as
// sanitized, comma-separated text.
func jsonList(m json.RawMessage) string {
	if len(m) == 0 {
		return ""
	}
	var items []json.RawMessage
	if json.Unmarshal(m, &items) == nil {
		var out []string
		for _, it := range items {
			if s := jsonString(it); s != "" {
				out = append(out, s)
			}
		}
		return strings.Join(out, ", ")
	}
	return jsonString(m)
}

// RedirectURL is the hosted-flow URL for a token, as iDenfy builds it
// (reference/idenfy.md §1.2): {base}/api/v2/redirect?authToken=….
func RedirectURL(base, authToken string) string {
	return strings.TrimRight(base, "/") + RedirectPath + "?authToken=" + url.QueryEscape(authToken)
}

// usableURL accepts only an absolute http(s) URL without spaces.
func usableURL(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n\"'<>\\") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http")
}

func (c *client) launchFrom(t token, v providers.Values, sent time.Time) *providers.Launch {
	l := &providers.Launch{
		Provider:   ID,
		References: map[string]string{"authToken": t.AuthToken},
		Customer:   t.ClientID,
	}
	if t.ScanRef != "" {
		l.References["scanRef"] = t.ScanRef
	}
	if l.Customer == "" {
		l.Customer = v.Get("clientId")
	}
	l.URL = t.RedirectURL
	if !usableURL(l.URL) {
		l.URL = RedirectURL(c.base, t.AuthToken)
	}

	expiry, source := int64(DefaultExpiryTime), "the documented default"
	if t.HasExpiry && t.ExpiryTime > 0 && t.ExpiryTime <= maxTrustedExpiry {
		expiry, source = t.ExpiryTime, "from iDenfy's answer"
	} else if x, err := strconv.ParseInt(v.Get("expiryTime"), 10, 64); err == nil && x > 0 {
		expiry, source = x, "as requested (the answer had none)"
	}
	l.ExpiresAt = sent.Add(time.Duration(expiry) * time.Second)

	session := ""
	switch {
	case t.HasSession && t.SessionLength > 0:
		session = fmt.Sprintf("%d s", t.SessionLength)
	case v.Has("sessionLength"):
		session = v.Get("sessionLength") + " s"
	}
	note := fmt.Sprintf("The link works until %s (expiryTime %d s, %s)", l.ExpiresAt.UTC().Format(time.RFC3339), expiry, source)
	if session != "" {
		note += "; once the customer opens it they have " + session + " (sessionLength) to finish."
	} else {
		note += "; once opened, the customer has sessionLength seconds to finish."
	}
	l.Notes = append(l.Notes, note)
	if t.DigitString != "" {
		l.Extra = map[string]string{"digitString": t.DigitString}
		l.Notes = append(l.Notes, "digitString "+t.DigitString+": the customer can type it into iDenfy's mobile app instead of scanning.")
	}
	l.Notes = append(l.Notes,
		"Do not issue another token for clientId "+strconv.Quote(l.Customer)+" before this session's final result: repeated tokens may cost credits.",
		"Results arrive by webhook; iDenfy asks not to poll /api/v2/status, so kycdesk never polls it and a refresh asks at most once per "+ManualRefreshInterval.String()+".")
	return l
}

// mapState maps iDenfy's overall status (reference/idenfy.md §3) to a State.
func mapState(s string) providers.State {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "APPROVED":
		return providers.StateApproved
	case "DENIED":
		return providers.StateDenied
	case "SUSPECTED":
		return providers.StateSuspected
	case "EXPIRED", "EXPIRED-DELETED", "DELETED", "ARCHIVED":
		// ARCHIVED (IdentificationStatusEnum) names no verdict either: like
		// DELETED, the identification is over and its data is gone.
		return providers.StateExpired
	case "ACTIVE", "REVIEWING":
		return providers.StatePending
	}
	return providers.StateUnknown
}

// statusFields are the /api/v2/status fields shown with a status.
var statusFields = []string{"autoDocument", "autoFace", "manualDocument", "manualFace", "fraudTags", "mismatchTags"}

// decodeStatus reads a /api/v2/status answer; every string is sanitized.
func decodeStatus(body []byte) (providers.State, string, map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return providers.StateUnknown, "", nil, fmt.Errorf("the body is not a JSON object (%d bytes)", len(body))
	}
	status := jsonString(raw["status"])
	if status == "" {
		return providers.StateUnknown, "", nil, fmt.Errorf("the answer has no status")
	}
	fields := map[string]string{}
	for _, f := range statusFields {
		if s := jsonList(raw[f]); s != "" {
			fields[f] = s
		}
	}
	detail := "iDenfy status " + status
	var parts []string
	for _, f := range statusFields {
		if fields[f] != "" {
			parts = append(parts, f+" "+fields[f])
		}
	}
	if len(parts) > 0 {
		detail += " (" + strings.Join(parts, "; ") + ")"
	}
	return mapState(status), detail, fields, nil
}

// statusError gives a status request's refusal of its scanRef the action
// that fits a question about a session (the launch's "correct the field
// and launch again" does not): iDenfy no longer knows the session.
func statusError(err error) error {
	var pe *providers.Error
	if errors.As(err, &pe) && pe.Kind == providers.KindRejected && (pe.Field == "scanRef" || strings.Contains(pe.Message, "scanRef")) &&
		(pe.Code == "BAD_VALUE" || pe.Code == "TOKEN_NOT_VALID" || pe.Code == "HTTP_404") {
		pe.Action = "iDenfy does not know this session any more (a sandbox that restarted forgets its sessions; a live " +
			"one may have been deleted): its result cannot be asked; launch a new session for the customer if one is needed"
	}
	return err
}

// Status asks POST /api/v2/status for the session's state. iDenfy asks
// not to poll it: it is a fallback for webhooks.
func (c *client) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	if l == nil || l.References["scanRef"] == "" {
		return nil, providers.Invalid([]providers.FieldError{{Field: "scanRef", Message: "the session has no scanRef to ask about"}})
	}
	body, _ := json.Marshal(map[string]string{"scanRef": l.References["scanRef"]})
	req, err := c.newRequest(ctx, StatusPath, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, statusError(err)
	}
	state, detail, fields, err := decodeStatus(resp.Body)
	if err != nil {
		return nil, &providers.Error{Kind: providers.KindUnknown, HTTPStatus: resp.Status,
			Message: "iDenfy's status answer could not be read: " + err.Error(), Err: err,
			Action: "try the status again later, or check the session in the iDenfy dashboard"}
	}
	return &providers.Status{State: state, Detail: detail, Fields: fields, At: c.cfg.Clock()}, nil
}
