package alibaba

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Credential names (Config.Credentials).
const (
	CredAccessKeyID     = "accessKeyId"
	CredAccessKeySecret = "accessKeySecret"
)

// Actions.
const (
	ActionInitialize  = "Initialize"
	ActionCheckResult = "CheckResult"
)

// SessionTTL is how long a TransactionId / TransactionUrl stays usable
// without completion (the seed: "complete the verification within 30 minutes").
const SessionTTL = 30 * time.Minute

const dateFormat = "2006-01-02T15:04:05Z"

// Client is a configured Alibaba eKYC client. It implements providers.Client.
type Client struct {
	cfg    providers.Config
	base   string // scheme://host, no trailing slash
	akID   string
	secret string
	region string
}

var _ providers.Client = (*Client)(nil)

// New makes a client. Credentials accessKeyId and accessKeySecret are
// required in live mode; in sandbox mode the sandbox ones stand in when
// absent. The endpoint is cfg.BaseURL, or the region / endpoint options
// resolved to Alibaba's endpoint table. Plain http is refused unless the
// host is loopback.
func New(cfg providers.Config) (*Client, error) {
	c := &Client{cfg: cfg,
		akID:   strings.TrimSpace(cfg.Credentials[CredAccessKeyID]),
		secret: cfg.Credentials[CredAccessKeySecret],
		region: strings.ToLower(strings.TrimSpace(cfg.Options[OptionRegion])),
	}
	if c.region == "" {
		c.region = DefaultRegion
	}
	if cfg.Mode != providers.ModeLive && c.akID == "" && c.secret == "" {
		c.akID, c.secret = SandboxAccessKeyID, SandboxAccessKeySecret
	}
	if c.akID == "" {
		return nil, &providers.Error{Kind: providers.KindInvalid, Field: CredAccessKeyID, Message: "the AccessKey ID is missing",
			Action: "set ALIBABA_CLOUD_ACCESS_KEY_ID (or accessKeyId in the config)"}
	}
	if c.secret == "" {
		return nil, &providers.Error{Kind: providers.KindInvalid, Field: CredAccessKeySecret, Message: "the AccessKey secret is missing",
			Action: "set ALIBABA_CLOUD_ACCESS_KEY_SECRET (or accessKeySecret in the config)"}
	}
	resolved, perr := resolve(cfg.Options)
	if perr != nil {
		return nil, perr
	}
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = resolved
	}
	_, u, err := providers.BaseURL(base, cfg.Mode == providers.ModeLive)
	if errors.Is(err, providers.ErrPlainHTTP) {
		return nil, &providers.Error{Kind: providers.KindInvalid, Field: "base_url",
			Message: "plain http is refused for " + u.Host + " (it would expose the request to the network)",
			Action:  "use https, or a loopback address for a local sandbox"}
	}
	if err != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, &providers.Error{Kind: providers.KindInvalid, Field: "base_url",
			Message: "the endpoint must be a URL such as " + LiveURL,
			Action:  "fix base_url or " + BaseURLEnv}
	}
	c.base = u.Scheme + "://" + u.Host
	return c, nil
}

// BaseURL is where requests go.
func (c *Client) BaseURL() string { return c.base }

// Secrets are the configured secret values, for masking.
func (c *Client) Secrets() []string { return []string{c.secret} }

// Canonical resolves names to the spec's spelling and applies aliases,
// including the seed's ShowBlbumIcon for ShowAlbumIcon (decisions.go D1).
// Equal values given under both names collapse to one.
func Canonical(v providers.Values) providers.Values {
	in := make(providers.Values, len(v))
	for name, vals := range v {
		if strings.EqualFold(name, seedAlbumIcon) || strings.EqualFold(name, wireAlbumIcon) {
			in[wireAlbumIcon] = append(in[wireAlbumIcon], vals...)
			continue
		}
		in[name] = append(in[name], vals...)
	}
	out := Spec().Canonical(in)
	if vals := out[wireAlbumIcon]; len(vals) > 1 {
		var uniq []string
		for _, x := range vals {
			dup := false
			for _, u := range uniq {
				dup = dup || u == x
			}
			if !dup {
				uniq = append(uniq, x)
			}
		}
		out[wireAlbumIcon] = uniq
	}
	return out
}

// Prepare fills what must stay the same from review through every retry:
// a generated MerchantBizId, ProductCode eKYC (the only documented value)
// and the mobile H5 MetaInfo preset (decisions.go D6). With a reachable
// callback receiver (Config.Callback) and no CallbackUrl of the operator's,
// it points the session's callback at the receiver with the session's
// CallbackToken (CallbackToken: derived from MerchantBizId, see there).
func (c *Client) Prepare(v providers.Values) providers.Values {
	out := Canonical(v)
	for _, p := range Spec() {
		if p.Generate != nil && !out.Has(p.Name) {
			out.Set(p.Name, p.Generate())
		}
	}
	if t := c.cfg.Callback; t != nil && t.BaseURL != "" && len(t.Key) > 0 && !out.Has("CallbackUrl") {
		out.Set("CallbackUrl", t.URL(ID))
		out.Set("CallbackToken", CallbackToken(t.Key, out.Get("MerchantBizId")))
	}
	return out
}

// Validate applies the spec and the cross-field rules (warnings included).
func (c *Client) Validate(v providers.Values) []providers.FieldError {
	return validate(Canonical(v), c.region, c.cfg.Mode)
}

// Warning codes (providers.FieldError.Code), stable: desk profiles list the
// ones they accept so that they are not asked again.
const (
	WarnReturnURLUnset           = "return-url-unset"
	WarnAuthorizeNeedsMainlandID = "authorize-needs-mainland-id"
	WarnCallbackTokenWithoutURL  = "callback-token-without-url"
	WarnRegionNotHongKong        = "region-not-hong-kong"
	WarnModelNotOnPC             = "model-not-on-pc"
	WarnGuidePageNotOnPC         = "guide-page-not-on-pc"
	WarnProcedurePriorityNotOnPC = "procedure-priority-not-on-pc"
	WarnAppQualityCheckNotOnWeb  = "app-quality-check-not-on-web"
	WarnSilentWebOnly            = "silent-model-web-only"
)

func validate(v providers.Values, region string, mode providers.Mode) []providers.FieldError {
	errs := providers.ValidateSpec(Spec(), v)
	for i, e := range errs {
		if e.Field == wireAlbumIcon && strings.HasPrefix(e.Message, "takes one value") {
			errs[i].Message = "given twice with different values (ShowBlbumIcon is the Initialize API page's spelling of ShowAlbumIcon; set it once)"
		}
	}
	warn := func(field, code, msg string) {
		errs = append(errs, providers.Warn(field, code, msg))
	}
	if !v.Has("ReturnUrl") {
		warn("ReturnUrl", WarnReturnURLUnset, "not set: it is optional only for iframe integration; without it the customer is not sent anywhere after finishing")
	}
	if v.Get("Authorize") == "T" && v.Has("DocType") && v.Get("DocType") != "00000001" {
		warn("Authorize", WarnAuthorizeNeedsMainlandID, "T works only with the mainland second-generation ID card (DocType 00000001)")
	}
	// The spec accepts plain http to loopback for the sandbox's receiver;
	// live Alibaba requires https ("The webhook address must start with https").
	if cb := v.Get("CallbackUrl"); cb != "" && providers.CheckValue(mustParam("CallbackUrl"), cb) == "" {
		if msg := providers.CheckCallbackURL(cb, mode); msg != "" {
			errs = append(errs, providers.FieldError{Field: "CallbackUrl", Message: msg})
		}
	}
	if v.Has("CallbackToken") && !v.Has("CallbackUrl") {
		warn("CallbackToken", WarnCallbackTokenWithoutURL, "has no effect without CallbackUrl")
	}
	if v.Get("ProductCode") == ProductEKYC && region != DefaultRegion {
		warn("ProductCode", WarnRegionNotHongKong, "eKYC is offered in the China (Hong Kong) region only; this client uses "+region)
	}
	dt := strings.ToLower(metaDeviceType(v.Get("MetaInfo")))
	if dt == "web" {
		if v.Get("Model") == "PHOTINUS_LIVENESS" {
			warn("Model", WarnModelNotOnPC, "PHOTINUS_LIVENESS is not supported on PC (MetaInfo deviceType web); use LIVENESS or SILENT")
		}
		if v.Has("ShowGuidePage") {
			warn("ShowGuidePage", WarnGuidePageNotOnPC, "not supported on PC (MetaInfo deviceType web); it will be ignored")
		}
		if v.Has("ProcedurePriority") {
			warn("ProcedurePriority", WarnProcedurePriorityNotOnPC, "not supported on PC (MetaInfo deviceType web); it will be ignored")
		}
	}
	if (dt == "web" || dt == "h5") && v.Has("AppQualityCheck") {
		warn("AppQualityCheck", WarnAppQualityCheckNotOnWeb, "not supported by the Web SDK (MetaInfo deviceType "+dt+"); it will be ignored")
	}
	if (dt == "ios" || dt == "android") && v.Get("Model") == "SILENT" {
		warn("Model", WarnSilentWebOnly, "SILENT is supported only for Web SDK integrations (MetaInfo deviceType h5 or web)")
	}
	return errs
}

// HashUserID is the MerchantUserId sent by default: the typed value
// desensitised under key, a keyed HMAC (providers.KeyedID; decisions.go
// D5). A plain hash would give a phone number back to anyone trying
// numbers; the key (the session store's customer key) stays with kycdesk.
func HashUserID(key []byte, typed string) string {
	return providers.KeyedID(key, typed)
}

// Customer is the customer reference of a launch under key:
// MerchantUserId desensitised (HashUserID), whether or not
// kycdeskSendUserIdAsTyped sends it as typed, so that the store never
// keeps the typed, personal value. It equals Launch.Customer, so a caller
// can compare sessions before launching (the duplicate guard).
func Customer(key []byte, v providers.Values) string {
	cv := Canonical(v)
	if !cv.Has("MerchantUserId") {
		return ""
	}
	return HashUserID(key, cv.Get("MerchantUserId"))
}

// userKey is the key MerchantUserId is desensitised with: the configured
// customer key (the store's), or, for a client built without one, a key
// derived from the account's secret, so that a plain hash is never sent.
func (c *Client) userKey() []byte {
	if len(c.cfg.CustomerKey) > 0 {
		return c.cfg.CustomerKey
	}
	m := hmac.New(sha256.New, []byte(c.secret))
	m.Write([]byte("kycdesk MerchantUserId key v1"))
	return m.Sum(nil)
}

// wireUserID is MerchantUserId as it goes on the wire.
func (c *Client) wireUserID(v providers.Values) string {
	if v.Get(LocalSendUserIDAsTyped) == "true" {
		return v.Get("MerchantUserId")
	}
	return HashUserID(c.userKey(), v.Get("MerchantUserId"))
}

// initializeQuery builds the Initialize query from prepared, canonical values.
func (c *Client) initializeQuery(v providers.Values) url.Values {
	q := url.Values{}
	for _, p := range Spec() {
		if p.Name == LocalSendUserIDAsTyped || !v.Has(p.Name) {
			continue
		}
		val := v.Get(p.Name)
		if p.Name == "MerchantUserId" {
			val = c.wireUserID(v)
		}
		q.Set(p.Name, val)
	}
	return q
}

// prepared canonicalizes, prepares and validates; refusals are KindInvalid.
func (c *Client) prepared(v providers.Values) (providers.Values, error) {
	pv := c.Prepare(v)
	if refusals, _ := providers.Problems(validate(pv, c.region, c.cfg.Mode)); len(refusals) > 0 {
		return nil, providers.Invalid(refusals)
	}
	return pv, nil
}

// Request builds the signed Initialize request (fresh date and nonce). It
// sends nothing. Values are prepared first (Prepare only fills what is
// missing, so prepared values are kept as they are).
func (c *Client) Request(ctx context.Context, v providers.Values) (*http.Request, error) {
	pv, err := c.prepared(v)
	if err != nil {
		return nil, err
	}
	return c.signed(ctx, ActionInitialize, c.initializeQuery(pv))
}

// signed builds POST / with the query and the V3 headers, and signs it.
func (c *Client) signed(ctx context.Context, action string, q url.Values) (*http.Request, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/", nil)
	if err != nil {
		return nil, providers.Errorf("cannot build the request: %v", err)
	}
	req.URL.RawQuery = CanonicalQuery(q)
	signedHeaders := map[string][]string{
		"host":                  {req.URL.Host},
		"x-acs-action":          {action},
		"x-acs-version":         {APIVersion},
		"x-acs-date":            {c.cfg.Clock().UTC().Format(dateFormat)},
		"x-acs-signature-nonce": {providers.RandomHex(16)},
		"x-acs-content-sha256":  {EmptyBodyHash},
	}
	for k, vs := range signedHeaders {
		if k != "host" { // Go sends Host from the URL
			req.Header.Set(k, vs[0])
		}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kycdesk (alibaba cloudauth-intl "+APIVersion+")")
	req.Header.Set("Authorization", Authorization(c.akID, c.secret, http.MethodPost, "/", q, signedHeaders, EmptyBodyHash))
	return req, nil
}

// envelope is every answer's top level.
type envelope struct {
	RequestID string          `json:"RequestId"`
	Code      flexString      `json:"Code"`
	Message   flexString      `json:"Message"`
	Result    json.RawMessage `json:"Result"`
}

// flexString accepts a JSON string, number or bool (some gateways send
// codes as numbers) and null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexString(s)
		return nil
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	if x == nil {
		*f = ""
		return nil
	}
	*f = flexString(strings.TrimSpace(string(b)))
	return nil
}

// decode reads an answer: on success (2xx with Code Success or no Code) it
// returns the envelope; otherwise a *providers.Error (with the envelope
// when it could be read).
func decode(resp *providers.Response) (*envelope, *providers.Error) {
	var env envelope
	if err := json.Unmarshal(resp.Body, &env); err != nil {
		return nil, bodyError(resp.Status, resp.Body)
	}
	code := strings.TrimSpace(string(env.Code))
	ok := resp.Status >= 200 && resp.Status < 300 && (code == "" || strings.EqualFold(code, "Success") || code == "200")
	if !ok {
		return &env, apiError(resp.Status, code, string(env.Message), env.RequestID)
	}
	return &env, nil
}

// InitializeResult is Result of a successful Initialize.
type InitializeResult struct {
	TransactionID  string `json:"TransactionId"`
	TransactionURL string `json:"TransactionUrl"`
	Protocol       string `json:"Protocol"`
}

// DecodeInitialize decodes an Initialize answer. Errors are *providers.Error.
func DecodeInitialize(resp *providers.Response) (*InitializeResult, string, error) {
	env, perr := decode(resp)
	if perr != nil {
		return nil, "", perr
	}
	var r InitializeResult
	if len(env.Result) == 0 || json.Unmarshal(env.Result, &r) != nil {
		return nil, "", providers.Unknown(resp.Status, "", "Alibaba answered success without a readable Result: "+providers.Snippet(resp.Body), nil)
	}
	r.TransactionID = providers.SanitizeLine(strings.TrimSpace(r.TransactionID))
	r.TransactionURL = providers.SanitizeLine(strings.TrimSpace(r.TransactionURL))
	r.Protocol = providers.SanitizeLine(strings.TrimSpace(r.Protocol))
	if r.TransactionID == "" {
		return nil, "", providers.Unknown(resp.Status, "", "Alibaba answered success without a TransactionId", nil)
	}
	if u, err := url.Parse(r.TransactionURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", providers.Unknown(resp.Status, "", "Alibaba answered success without a usable TransactionUrl (TransactionId "+clip(r.TransactionID, 80)+")", nil)
	}
	return &r, providers.SanitizeLine(env.RequestID), nil
}

// Launch validates, sends Initialize (signed anew: fresh date and nonce)
// and decodes the answer. Desks queue launches on the account's bucket
// before calling it (desk: launchLimit).
func (c *Client) Launch(ctx context.Context, v providers.Values) (*providers.Launch, error) {
	pv, err := c.prepared(v)
	if err != nil {
		return nil, err
	}
	var (
		r         *InitializeResult
		requestID string
	)
	for attempt := 0; ; attempt++ {
		req, err := c.signed(ctx, ActionInitialize, c.initializeQuery(pv))
		if err != nil {
			return nil, err
		}
		resp, err := providers.Do(ctx, c.cfg.Client(), req)
		if err != nil {
			return nil, err
		}
		r, requestID, err = DecodeInitialize(resp)
		if err == nil {
			break
		}
		// Flow control refuses a call without running it: asked again
		// after a pause, signed anew (a bunch of requests delayed on the
		// way can reach Alibaba closer together than they left).
		if providers.AsError(err).Code != CodeThrottling || attempt >= throttleRetries {
			return nil, err
		}
		if !providers.Sleep(ctx, time.Duration(attempt+1)*time.Second) {
			return nil, err
		}
	}
	if why := providers.CheckHostedURL(r.TransactionURL, HostedURLHosts, c.cfg); why != "" {
		return nil, providers.UntrustedURL("Alibaba", "TransactionId "+clip(r.TransactionID, 80), why, "alibaba")
	}
	l := &providers.Launch{
		Provider: "alibaba",
		References: map[string]string{
			"TransactionId": r.TransactionID,
			"MerchantBizId": pv.Get("MerchantBizId"),
		},
		URL:       r.TransactionURL,
		ExpiresAt: c.cfg.Clock().Add(SessionTTL),
		SingleUse: true,
		Extra:     map[string]string{},
		Notes:     []string{"the URL works once and for 30 minutes"},
		// Always desensitised: sent as typed, MerchantUserId is personal
		// data, and Customer goes to the session store.
		Customer: HashUserID(c.userKey(), pv.Get("MerchantUserId")),
	}
	if r.Protocol != "" {
		l.Extra["Protocol"] = r.Protocol
	}
	if requestID != "" {
		l.Extra["RequestId"] = requestID
	}
	if name := DocTypeName(pv.Get("DocType")); name != "" {
		l.Notes = append(l.Notes, "document: "+name)
	}
	// A relay marks its launches "phone" (desk/relay.go).
	if meta := pv.Get("MetaInfo"); IsPreset(meta) {
		MarkDevice(l, SourcePreset, meta)
		l.Notes = append(l.Notes, PresetNote)
	} else {
		MarkDevice(l, SourcePasted, meta)
	}
	return l, nil
}

// CheckResultRequest builds the signed CheckResult request.
func (c *Client) CheckResultRequest(ctx context.Context, merchantBizID, transactionID string) (*http.Request, error) {
	if merchantBizID == "" || transactionID == "" {
		return nil, &providers.Error{Kind: providers.KindInvalid, Field: "TransactionId",
			Message: "CheckResult needs both MerchantBizId and TransactionId",
			Action:  "use a session launched by kycdesk, whose references hold both"}
	}
	return c.signed(ctx, ActionCheckResult, url.Values{"MerchantBizId": {merchantBizID}, "TransactionId": {transactionID}})
}

// CheckResult is Result of CheckResult. The Ext* fields are JSON strings.
type CheckResult struct {
	Passed        string
	SubCode       string
	ExtBasicInfo  string
	ExtFaceInfo   string
	ExtIdInfo     string
	ExtInfo       string
	ExtRiskInfo   string
	ExtSourceInfo string
	EkycResult    string
}

// extFields lists the CheckResult JSON-string fields shown in Status.Fields.
var extFields = []string{"ExtBasicInfo", "ExtFaceInfo", "ExtIdInfo", "ExtInfo", "ExtRiskInfo", "ExtSourceInfo", "EkycResult"}

func (r *CheckResult) field(name string) *string {
	switch name {
	case "ExtBasicInfo":
		return &r.ExtBasicInfo
	case "ExtFaceInfo":
		return &r.ExtFaceInfo
	case "ExtIdInfo":
		return &r.ExtIdInfo
	case "ExtInfo":
		return &r.ExtInfo
	case "ExtRiskInfo":
		return &r.ExtRiskInfo
	case "ExtSourceInfo":
		return &r.ExtSourceInfo
	case "EkycResult":
		return &r.EkycResult
	}
	return nil
}

// DecodeCheckResult decodes a CheckResult answer into a status:
// Passed Y approved, N denied, P pending; ProcessNotCompleted pending
// (decisions.go D3); TransactionIdInvalid unknown with an explanation.
// Other error answers are returned as *providers.Error.
func DecodeCheckResult(resp *providers.Response, now time.Time) (*providers.Status, error) {
	env, perr := decode(resp)
	if perr != nil {
		switch perr.Code {
		case "ProcessNotCompleted":
			return &providers.Status{State: providers.StatePending, At: now,
				Detail: "the customer has not finished the verification yet (ProcessNotCompleted)",
				Fields: map[string]string{"Code": "ProcessNotCompleted"}}, nil
		case "TransactionIdInvalid":
			return &providers.Status{State: providers.StateUnknown, At: now,
				Detail: "Alibaba no longer knows this TransactionId: the customer did not finish within 30 minutes (or abandoned), " +
					"the result is past the 30-day retention, or the MerchantBizId does not match; start a new session if needed",
				Fields: map[string]string{"Code": "TransactionIdInvalid", "Message": perr.Message}}, nil
		}
		return nil, perr
	}
	var raw map[string]json.RawMessage
	if len(env.Result) == 0 || json.Unmarshal(env.Result, &raw) != nil || raw == nil {
		return nil, providers.Unknown(resp.Status, "", "Alibaba answered success without a readable Result: "+providers.Snippet(resp.Body), nil)
	}
	var r CheckResult
	r.Passed = rawString(raw["Passed"])
	r.SubCode = rawString(raw["SubCode"])
	for _, name := range extFields {
		*r.field(name) = rawString(raw[name])
	}
	st := &providers.Status{At: now, Fields: map[string]string{}}
	passed := strings.ToUpper(strings.TrimSpace(providers.SanitizeLine(r.Passed)))
	sub := clip(strings.TrimSpace(providers.SanitizeLine(r.SubCode)), 40)
	st.Fields["Passed"] = clip(passed, 40)
	if sub != "" {
		st.Fields["SubCode"] = sub
	}
	switch passed {
	case "Y":
		st.State = providers.StateApproved
		st.Detail = "passed"
	case "N":
		st.State = providers.StateDenied
		st.Detail = "not passed"
	case "P":
		st.State = providers.StatePending
		st.Detail = "in progress (Passed P)"
	default:
		st.State = providers.StateUnknown
		st.Detail = "Alibaba returned Passed " + clip(passed, 40) + ", which kycdesk does not know"
	}
	if sub != "" {
		st.Detail += " (SubCode " + sub
		if m := SubCodeMeaning(sub); m != "" {
			st.Detail += ": " + m
		}
		st.Detail += ")"
	}
	for _, name := range extFields {
		if s := *r.field(name); strings.TrimSpace(s) != "" {
			st.Fields[name] = RenderJSON(s)
		}
	}
	return st, nil
}

// SubCodeMeaning explains the SubCodes the sources name (decisions.go D4).
func SubCodeMeaning(sub string) string {
	switch sub {
	case "200":
		return "verification passed"
	case "206":
		return "Device Guard judged the device or environment a threat (SecurityLevel 02); use SecurityLevel 01 while testing"
	}
	return ""
}

// rawString reads a JSON value as text: a string as itself, anything else
// (an object sent where the docs promise a JSON string) as its JSON text.
func rawString(b json.RawMessage) string {
	if len(b) == 0 || string(b) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(b)
}

// Status asks CheckResult for the state of a launched session. Every
// CheckResult of an AccessKey in this process waits on one token bucket
// (providers.AccountLimits, Follow.AccountQPS), so callbacks, polling and
// refreshes of many sessions together stay below the account's QPS.
func (c *Client) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	if l == nil {
		return nil, &providers.Error{Kind: providers.KindInvalid, Message: "no session to check"}
	}
	req, err := c.CheckResultRequest(ctx, l.References["MerchantBizId"], l.References["TransactionId"])
	if err != nil {
		return nil, err
	}
	if err := providers.AccountLimits.Wait(ctx, ID+"/"+ActionCheckResult, c.LimitKey(), Follow.AccountQPS); err != nil {
		return nil, &providers.Error{Kind: providers.KindTransport, Message: "CheckResult was not sent: " + providers.SanitizeLine(err.Error()),
			Action: "try again; nothing was sent", Err: err}
	}
	resp, err := providers.Do(ctx, c.cfg.Client(), req)
	if err != nil {
		return nil, err
	}
	st, err := DecodeCheckResult(resp, c.cfg.Clock())
	if err == nil && st.Fields["Code"] == "TransactionIdInvalid" && !l.ExpiresAt.IsZero() && !c.cfg.Clock().Before(l.ExpiresAt) {
		// Past the link's 30 minutes Alibaba forgets an unfinished
		// transaction: the customer never finished (or abandoned it).
		st.State = providers.StateExpired
		st.Detail = "the link expired unfinished: the customer did not complete the verification within 30 minutes, or abandoned it " +
			"(CheckResult: TransactionIdInvalid); start a new session if the customer is still there"
	}
	return st, err
}

// LimitKey names this client's token bucket in providers.AccountLimits:
// the AccessKey at its endpoint (Alibaba's QPS limits are per account and
// region; a sandbox on another address is another account).
func (c *Client) LimitKey() string { return c.akID + "@" + c.base }

// mustParam returns a parameter of the spec by name.
func mustParam(name string) providers.Param {
	p, ok := Spec().Lookup(name)
	if !ok {
		panic("alibaba: no parameter " + name)
	}
	return p
}

// Spec is the parameter list, so that a masked client knows which sent
// values are personal (providers.SpecOf).
func (c *Client) Spec() providers.Spec { return Spec() }

// CodeThrottling is Alibaba's flow-control refusal (the per-account QPS):
// the call was not run. Launch asks again up to throttleRetries times,
// after a pause of a second, then two.
const (
	CodeThrottling  = "Throttling.Api"
	throttleRetries = 2
)
