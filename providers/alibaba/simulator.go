package alibaba

// The sandbox simulator of cloudauth-intl 2022-08-09. It answers at the
// same place as Alibaba (POST / with x-acs-action) and checks requests with
// its own code written from the documentation: the ACS3-HMAC-SHA256
// signature (reference/alibaba.md §3.1), the 15-minute x-acs-date window
// and single-use nonces (V3 signature page), the AccessKey, and the seed's
// parameter rules. It never calls the client's validator or signer.
//
// Routes:
//
//	POST /                                  Initialize, CheckResult (x-acs-action)
//	GET  /sandbox/alibaba/verify/{id}       the customer page behind TransactionUrl (single use, 30 minutes)
//	POST /sandbox/alibaba/verify/{id}       the page's Approve / Deny / Abandon buttons
//	GET  /cdn/jsvm_all.js                   a stand-in for Alibaba's MetaInfo script (simdevice.go)
//
// The page compares the browser that opens it with the MetaInfo given to
// Initialize: a phone's MetaInfo opened on a computer, or the other way
// round, gets Alibaba-like errors (and the link stays usable on the right
// device). Under SecurityLevel 02 a MetaInfo the stand-in script did not
// produce (a preset) is judged a device risk: the verdict is Passed N,
// SubCode 206, whatever the customer chooses.
//
// Behaviour choices (decisions.go D3, D4): CheckResult answers
// ProcessNotCompleted (HTTP 404) until the customer acts; Approve gives
// Passed Y / SubCode 200, Deny Passed N / SubCode 206, Abandon (or 30
// minutes without completion) TransactionIdInvalid. The sandbox does not
// check that a CallbackUrl is reachable. When the customer approves or
// denies, it sends the callback of seed 000: a GET to CallbackUrl with
// callbackToken (when a CallbackToken was given), transactionId, passed and
// subCode added, in the background (5 s timeout, two retries). Alibaba
// requires https; the sandbox also accepts plain http to a loopback host,
// where the console's receiver listens.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Simulator limits.
const (
	simClockSkew  = 15 * time.Minute // x-acs-date must be within this of the server clock
	simNonceKeep  = 2*simClockSkew + time.Minute
	simMaxBody    = 1 << 20
	simPagePrefix = "/sandbox/alibaba/verify/"
	simRetention  = 30 * 24 * time.Hour // CheckResult keeps results 30 days
	// simExpiredKeep: an unfinished session is kept this long past its
	// 30 minutes, so its page says "expired" rather than "not valid";
	// then it is dropped (CheckResult answers TransactionIdInvalid for
	// both).
	simExpiredKeep = time.Hour
)

// Simulator is the Alibaba eKYC sandbox. It is safe for concurrent use.
type Simulator struct {
	opts    providers.SimOptions
	akID    string
	secret  string
	deliver *providers.Deliverer
	qps     simRate
	public  string // PublicURL without trailing slash; "" = from the request

	mu       sync.Mutex
	nonces   *providers.SimTable[struct{}]
	sessions *providers.SimTable[*simSession]
	devices  *providers.SimTable[simDevice] // device tokens the stand-in script issued
}

type simSession struct {
	id, bizID     string
	docType       string
	model         string
	securityLevel string
	returnURL     string
	callbackURL   string
	callbackToken string
	protocol      string
	meta          simMeta
	created       time.Time
	opened        bool   // the URL was used (single use)
	token         string // ties the page's buttons to the one visit
	outcome       string // "", approve, deny, abandon, risk (approved, but Device Guard refused: SubCode 206)
}

// NewSimulator makes the simulator. It accepts opts.Credentials
// (accessKeyId / accessKeySecret) or, when those are not set, the sandbox
// credentials.
func NewSimulator(opts providers.SimOptions) *Simulator {
	s := &Simulator{opts: opts, akID: SandboxAccessKeyID, secret: SandboxAccessKeySecret,
		public: strings.TrimRight(strings.TrimSpace(opts.PublicURL), "/"),
		// Every request spends a nonce; at most twice the sessions.
		nonces:   providers.NewSimTable[struct{}](2 * simCapacity(opts)),
		sessions: providers.NewSimTable[*simSession](simCapacity(opts)),
		devices:  providers.NewSimTable[simDevice](simCapacity(opts)),
		deliver:  opts.Deliverer(),
	}
	if id, sec := opts.Credentials[CredAccessKeyID], opts.Credentials[CredAccessKeySecret]; id != "" && sec != "" {
		s.akID, s.secret = id, sec
	}
	return s
}

// Register mounts the API and the customer page.
func (s *Simulator) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /{$}", s.serveAPI)
	mux.HandleFunc("GET "+simPagePrefix+"{id}", s.servePage)
	mux.HandleFunc("POST "+simPagePrefix+"{id}", s.serveAction)
	mux.HandleFunc("GET "+ScriptPath, s.serveScript)
}

func (s *Simulator) logf(format string, a ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, a...)
	}
}

// ---- API ----

// simCapacity is the session cap (SimOptions.MaxSessions or the default).
func simCapacity(opts providers.SimOptions) int {
	if opts.MaxSessions > 0 {
		return opts.MaxSessions
	}
	return providers.DefaultSimCapacity
}

// simThrottled is the documented answer to too many calls (Throttling.Api,
// HTTP 403, alibaba.md §6), given when the sandbox is full.
func simThrottled() *simError {
	return simErr(403, "Throttling.Api", "Request was denied due to api flow control (the sandbox holds as many sessions as it keeps; try again when older ones expire).")
}

type simError struct {
	status  int
	code    string
	message string
}

func simErr(status int, code, format string, a ...any) *simError {
	return &simError{status, code, fmt.Sprintf(format, a...)}
}

func missing(name string) *simError {
	return simErr(400, "MissingParameter", "The input parameter %q that is mandatory for processing this request is not supplied.", name)
}

func invalid(name, why string) *simError {
	return simErr(400, "InvalidParameter", "The specified parameter %q is not valid: %s.", name, why)
}

func simRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := strings.ToUpper(hex.EncodeToString(b))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func simHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Simulator) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Simulator) writeError(w http.ResponseWriter, r *http.Request, e *simError) {
	s.logf("alibaba: %s %s → %d %s", r.Method, r.Header.Get("x-acs-action"), e.status, e.code)
	s.writeJSON(w, e.status, map[string]string{
		"RequestId": simRequestID(),
		"HostId":    r.Host,
		"Code":      e.code,
		"Message":   e.message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code) + "&product=Cloudauth-intl",
	})
}

func (s *Simulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, simMaxBody))
	if err != nil {
		s.writeError(w, r, simErr(400, "InvalidParameter", "The request body is too large or unreadable."))
		return
	}
	params, e := s.authenticate(r, body)
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	if !s.qps.allow(s.akID+"/"+r.Header.Get("x-acs-action"), s.opts.Clock()) {
		s.writeError(w, r, simFlowControl())
		return
	}
	switch r.Header.Get("x-acs-action") {
	case ActionInitialize:
		s.initialize(w, r, params)
	case ActionCheckResult:
		s.checkResult(w, r, params)
	default:
		s.writeError(w, r, simErr(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."))
	}
}

// simEscape is RFC 3986 percent-encoding: unreserved characters stay, every
// other byte becomes %XX (upper case).
func simEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// simQuery decodes the raw query into sorted key/value pairs and the
// canonical query string.
func simQuery(raw string) ([][2]string, string, bool) {
	var pairs [][2]string
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, "", false
		}
		pairs = append(pairs, [2]string{dk, dv})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p[0] + "=" + simEscape(p[1])
	}
	return pairs, strings.Join(parts, "&"), true
}

// authenticate checks the V3 signature, the clock, the nonce and the
// version, and returns the request's parameters (query, then form body).
func (s *Simulator) authenticate(r *http.Request, body []byte) (map[string]string, *simError) {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	if auth == "" {
		return nil, simErr(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards: the Authorization header is missing.")
	}
	algo, rest, _ := strings.Cut(auth, " ")
	if algo != "ACS3-HMAC-SHA256" {
		return nil, simErr(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards: signature algorithm %q is not supported here (use ACS3-HMAC-SHA256).", providers.SanitizeLine(clip(algo, 40)))
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if ok {
			fields[k] = v
		}
	}
	cred, signedList, sig := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	if cred == "" || signedList == "" || sig == "" {
		return nil, simErr(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards: Credential, SignedHeaders and Signature are required.")
	}
	for _, h := range []string{"x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} {
		if strings.TrimSpace(r.Header.Get(h)) == "" {
			return nil, missing(h)
		}
	}
	signed := strings.Split(signedList, ";")
	inList := map[string]bool{}
	for _, h := range signed {
		inList[h] = true
	}
	if !inList["host"] {
		return nil, simErr(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards: host must be signed.")
	}
	for name := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-acs-") && !inList[l] {
			return nil, simErr(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards: header %s must be signed.", l)
		}
	}
	if cred != s.akID {
		return nil, simErr(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	sum := sha256.Sum256(body)
	if !strings.EqualFold(r.Header.Get("x-acs-content-sha256"), hex.EncodeToString(sum[:])) {
		return nil, simErr(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation: x-acs-content-sha256 is not the SHA-256 of the body.")
	}
	pairs, cq, ok := simQuery(r.URL.RawQuery)
	if !ok {
		return nil, simErr(400, "InvalidParameter", "The query string is not valid percent-encoding.")
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	var ch strings.Builder
	for _, h := range signed {
		var vals []string
		if h == "host" {
			vals = []string{r.Host}
		} else {
			for _, v := range r.Header.Values(h) {
				vals = append(vals, strings.TrimSpace(v))
			}
		}
		sort.Strings(vals)
		ch.WriteString(h + ":" + strings.Join(vals, ",") + "\n")
	}
	creq := strings.Join([]string{r.Method, path, cq, ch.String(), signedList, r.Header.Get("x-acs-content-sha256")}, "\n")
	digest := sha256.Sum256([]byte(creq))
	sts := "ACS3-HMAC-SHA256\n" + hex.EncodeToString(digest[:])
	mac := hmac.New(sha256.New, []byte(s.secret))
	mac.Write([]byte(sts))
	if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(strings.ToLower(sig))) {
		return nil, simErr(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:%s", sts)
	}
	now := s.opts.Clock()
	at, err := time.Parse("2006-01-02T15:04:05Z", r.Header.Get("x-acs-date"))
	if err != nil {
		return nil, simErr(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := now.Sub(at); d > simClockSkew || d < -simClockSkew {
		return nil, simErr(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	nonce := r.Header.Get("x-acs-signature-nonce")
	s.mu.Lock()
	s.nonces.Sweep(now.Add(-simNonceKeep))
	_, used := s.nonces.Get(nonce)
	full := !used && !s.nonces.Put(nonce, struct{}{}, now)
	s.mu.Unlock()
	if used {
		return nil, simErr(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	if full {
		return nil, simThrottled()
	}
	if v := r.Header.Get("x-acs-version"); v != APIVersion {
		return nil, simErr(400, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	params := map[string]string{}
	for _, p := range pairs {
		if _, ok := params[p[0]]; !ok {
			params[p[0]] = p[1]
		}
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, simErr(400, "InvalidParameter", "The form body is not valid.")
		}
		for k, vs := range form {
			if _, ok := params[k]; !ok && len(vs) > 0 {
				params[k] = vs[0]
			}
		}
	}
	return params, nil
}

// simDocTypes are the seed's documents, in both of the seed's spellings.
var simDocTypes = map[string]string{
	"01000000":  "Global passport",
	"00000006":  "Hong Kong identity card (2003 version)",
	"00000008":  "Hong Kong identity card (2018 version)",
	"00000007":  "Exit-Entry Permit for Travelling to and from Hong Kong and Macao",
	"00000009":  "Mainland Travel Permit for Hong Kong and Macao Residents",
	"000000011": "Macao identity card",
	"00000011":  "Macao identity card",
	"000000012": "Mainland Travel Permit for Taiwan Residents",
	"00000012":  "Mainland Travel Permit for Taiwan Residents",
	"00000001":  "Second-generation resident ID card of the Chinese mainland",
}

// simEnums are the seed's closed value sets.
var simEnums = []struct {
	name   string
	values []string
}{
	{"IdSpoof", []string{"Y", "N"}},
	{"Authorize", []string{"T", "F"}},
	{"SecurityLevel", []string{"01", "02"}},
	{"IdThreshold", []string{"0", "1", "2", "3"}},
	{"Model", []string{"LIVENESS", "PHOTINUS_LIVENESS", "SILENT"}},
	{"DocVideo", []string{"Y", "N"}},
	{"ShowAlbumIcon", []string{"1", "0"}},
	{"ShowBlbumIcon", []string{"1", "0"}},
	{"ShowOcrResult", []string{"1", "0"}},
	{"ShowGuidePage", []string{"1", "0"}},
	{"ProcedurePriority", []string{"url", "keep"}},
	{"AppQualityCheck", []string{"Y", "N"}},
	{"EditOcrResult", []string{"1", "0"}},
}

func alnumUnderscore(s string, underscore bool) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || underscore && r == '_') {
			return false
		}
	}
	return true
}

func jsonObject(s string) (map[string]any, bool) {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func absHTTPURL(s string, httpsOnly bool) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "https" || (!httpsOnly && u.Scheme == "http")
}

// checkInitialize applies the seed's rules.
func checkInitialize(p map[string]string) *simError {
	for _, name := range []string{"ProductCode", "MerchantBizId", "MetaInfo", "MerchantUserId", "DocType"} {
		if strings.TrimSpace(p[name]) == "" {
			return missing(name)
		}
	}
	if p["ProductCode"] != "eKYC" {
		return invalid("ProductCode", "the valid value is eKYC")
	}
	if id := p["MerchantBizId"]; len(id) > 32 || !alnumUnderscore(id, false) {
		return invalid("MerchantBizId", "use at most 32 letters and digits")
	}
	meta, ok := jsonObject(p["MetaInfo"])
	if !ok {
		return invalid("MetaInfo", "it must be the JSON object returned by getMetaInfo()")
	}
	if dt, _ := meta["deviceType"].(string); strings.TrimSpace(dt) == "" {
		return invalid("MetaInfo", "deviceType is missing, so the runtime environment cannot be identified")
	}
	if _, ok := simDocTypes[p["DocType"]]; !ok {
		return invalid("DocType", "unsupported document type")
	}
	if sc := p["SceneCode"]; len(sc) > 10 || !alnumUnderscore(sc, true) {
		return invalid("SceneCode", "use at most 10 letters, digits or underscores")
	}
	for _, e := range simEnums {
		v := p[e.name]
		if v == "" {
			continue // an optional parameter sent empty counts as not sent
		}
		found := false
		for _, x := range e.values {
			found = found || v == x
		}
		if !found {
			return invalid(e.name, "valid values are "+strings.Join(e.values, ", "))
		}
	}
	for _, name := range []string{"LanguageConfig", "StyleConfig"} {
		if v := p[name]; v != "" {
			if _, isObj := jsonObject(v); !isObj {
				return invalid(name, "it must be a JSON object")
			}
		}
	}
	if v := p["ReturnUrl"]; v != "" && !absHTTPURL(v, false) {
		return invalid("ReturnUrl", "it must be an absolute http(s) URL")
	}
	if v := p["CallbackUrl"]; v != "" && !absHTTPURL(v, true) && !simLoopbackHTTP(v) {
		return invalid("CallbackUrl", "the webhook address must start with https")
	}
	return nil
}

func (s *Simulator) initialize(w http.ResponseWriter, r *http.Request, p map[string]string) {
	if e := checkInitialize(p); e != nil {
		s.writeError(w, r, e)
		return
	}
	base := s.public
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	model := p["Model"]
	if model == "" {
		model = "LIVENESS"
	}
	level := p["SecurityLevel"]
	if level == "" {
		level = "02"
	}
	sess := &simSession{
		id: simHex(16), bizID: p["MerchantBizId"], docType: p["DocType"], model: model,
		securityLevel: level, returnURL: p["ReturnUrl"], protocol: "hksb" + simHex(14),
		callbackURL: p["CallbackUrl"], callbackToken: p["CallbackToken"],
		created: s.opts.Clock(),
	}
	s.mu.Lock()
	sess.meta = s.readMeta(p["MetaInfo"], sess.created)
	s.sessions.Sweep(sess.created)
	stored := s.sessions.Put(sess.id, sess, sess.created.Add(SessionTTL+simExpiredKeep))
	s.mu.Unlock()
	if !stored {
		s.writeError(w, r, simThrottled())
		return
	}
	from := "not from the script"
	if sess.meta.genuine {
		from = "from the stand-in script"
	}
	s.logf("alibaba: Initialize MerchantBizId=%s → TransactionId=%s (MetaInfo deviceType=%s, %s, ua=%q)", providers.SanitizeLine(sess.bizID), sess.id,
		providers.SanitizeLine(clip(sess.meta.deviceType, 20)), from, providers.SanitizeLine(clip(sess.meta.ua, 300)))
	s.writeJSON(w, http.StatusOK, map[string]any{
		"RequestId": simRequestID(),
		"Code":      "Success",
		"Message":   "success",
		"Result": map[string]string{
			"TransactionId":  sess.id,
			"TransactionUrl": base + simPagePrefix + sess.id,
			"Protocol":       sess.protocol,
		},
	})
}

func (s *Simulator) checkResult(w http.ResponseWriter, r *http.Request, p map[string]string) {
	for _, name := range []string{"MerchantBizId", "TransactionId"} {
		if strings.TrimSpace(p[name]) == "" {
			s.writeError(w, r, missing(name))
			return
		}
	}
	now := s.opts.Clock()
	s.mu.Lock()
	s.sessions.Sweep(now)
	sess, ok := s.sessions.Get(p["TransactionId"])
	var outcome, docType string
	var expired bool
	if ok {
		outcome, docType = sess.outcome, sess.docType
		expired = now.Sub(sess.created) > SessionTTL
		ok = sess.bizID == p["MerchantBizId"]
	}
	s.mu.Unlock()
	invalidTx := simErr(400, "TransactionIdInvalid", "The TransactionId is invalid or has expired.")
	switch {
	case !ok, outcome == "abandon", outcome == "" && expired:
		s.writeError(w, r, invalidTx)
		return
	case outcome == "":
		s.writeError(w, r, simErr(404, "ProcessNotCompleted", "The verification process is not completed."))
		return
	}
	ocr, _ := json.Marshal(map[string]any{
		"ocrIdInfo":   map[string]string{"docType": docType, "name": "SANDBOX CUSTOMER", "idNumber": "S000000(0)"},
		"ocrIdPassed": "Y",
		"spoofInfo":   map[string]string{"spoofResult": "N"},
	})
	result := map[string]string{"ExtIdInfo": string(ocr)}
	if outcome == "approve" { // "risk" falls through: Device Guard refused
		face, _ := json.Marshal(map[string]any{"faceAttack": "N", "faceComparisonScore": 99.12, "facePassed": "Y", "faceQuality": 95.45, "faceOcclusion": "N"})
		result["Passed"], result["SubCode"], result["ExtFaceInfo"] = "Y", "200", string(face)
	} else {
		face, _ := json.Marshal(map[string]any{"faceAttack": "Y", "faceComparisonScore": 41.3, "facePassed": "N", "faceQuality": 62.1, "faceOcclusion": "N"})
		result["Passed"], result["SubCode"], result["ExtFaceInfo"] = "N", "206", string(face)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{
		"RequestId": simRequestID(), "Code": "Success", "Message": "success", "Result": result,
	})
}

// ---- customer page ----

var simPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} · Alibaba Cloud ID Verification (sandbox)</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:0;background:#f5f6f8;color:#1f2329}
main{max-width:28rem;margin:0 auto;padding:1.25rem}
header{background:#ff6a00;color:#fff;padding:1rem 1.25rem;font-weight:600}
.card{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;margin:1rem 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.tag{display:inline-block;background:#fff3e8;color:#b34700;border-radius:.4rem;padding:.1rem .5rem;font-size:.8rem}
ol{padding-left:1.2rem}li{margin:.4rem 0}
button{display:block;width:100%;font-size:1.05rem;padding:.9rem;margin:.6rem 0;border:0;border-radius:.6rem;color:#fff}
.approve{background:#1a7f37}.deny{background:#cf222e}.abandon{background:#57606a}
small{color:#57606a}code{word-break:break-all}.risk{background:#fff8c5;border-radius:.4rem;padding:.5rem}
</style></head>
<body><header>Alibaba Cloud ID Verification <span class="tag">sandbox</span></header>
<main>
<h1>{{.Title}}</h1>
{{if .Message}}<div class="card"><p>{{.Message}}</p>{{if .ReturnURL}}<p><a href="{{.ReturnURL}}">Continue to the merchant (ReturnUrl)</a></p>{{end}}</div>{{end}}
{{if .Token}}
<div class="card">
<p>In the real flow Alibaba would now ask you to:</p>
<ol>
<li>Photograph your <strong>{{.DocName}}</strong> <small>(DocType <code>{{.DocType}}</code>)</small>.</li>
<li>Complete the liveness check: <strong>{{.Liveness}}</strong> <small>(Model <code>{{.Model}}</code>, SecurityLevel <code>{{.Level}}</code>)</small>.</li>
</ol>
<p><small>MetaInfo: deviceType <code>{{.Device}}</code>, {{.DeviceFrom}}; user agent <code class="ua">{{.DeviceUA}}</code></small></p>
{{if .Risk}}<p class="risk">{{.Risk}}</p>{{end}}
<p><small>This is the kycdesk sandbox: nothing is captured. Choose the outcome the merchant's CheckResult will see. This page works once and until {{.Expires}}.</small></p>
</div>
<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
<button class="approve" name="action" value="approve">Approve</button>
<button class="deny" name="action" value="deny">Deny</button>
<button class="abandon" name="action" value="abandon">Abandon</button>
</form>
<p><small>TransactionId <code>{{.ID}}</code></small></p>
{{end}}
</main></body></html>
`))
})

type simPageData struct {
	Title, Message, ReturnURL                string
	Device, DeviceUA, DeviceFrom, Risk       string
	Token, Action, ID                        string
	DocName, DocType, Liveness, Model, Level string
	Expires                                  string
}

var simLiveness = map[string]string{
	"LIVENESS":          "blink at the camera",
	"PHOTINUS_LIVENESS": "blink while the screen flashes colours",
	"SILENT":            "look at the camera (passive liveness)",
}

func (s *Simulator) renderPage(w http.ResponseWriter, status int, d simPageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	simPage().Execute(w, d)
}

// pageError returns the provider-like error page for an unusable link
// (unknown, used, expired); bad is false when the session can be used.
// Call with s.mu held.
func (s *Simulator) pageError(sess *simSession, now time.Time) (status int, d simPageData, bad bool) {
	switch {
	case sess == nil:
		return http.StatusNotFound, simPageData{Title: "Verification link not valid",
			Message: "This verification link is not valid. Ask the merchant for a new one."}, true
	case sess.outcome != "":
		return http.StatusForbidden, simPageData{Title: "Verification link already used",
			Message: "For security, a verification link can be used only once. Ask the merchant for a new link."}, true
	case now.Sub(sess.created) > SessionTTL:
		return http.StatusGone, simPageData{Title: "Verification link expired",
			Message: "This verification link has expired: it must be used within 30 minutes. Ask the merchant for a new link."}, true
	}
	return 0, simPageData{}, false
}

func (s *Simulator) servePage(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Clock()
	s.mu.Lock()
	sess, _ := s.sessions.Get(r.PathValue("id"))
	status, d, bad := s.pageError(sess, now)
	if !bad {
		status, d, bad = deviceMismatch(sess, r.Header.Get("User-Agent")) // not spent: usable on the right device
	}
	if !bad && sess.opened {
		status, d, bad = http.StatusForbidden, simPageData{Title: "Verification link already used",
			Message: "For security, a verification link can be used only once. Ask the merchant for a new link."}, true
	}
	if !bad {
		sess.opened = true
		sess.token = simHex(16)
		name := simDocTypes[sess.docType]
		live := simLiveness[sess.model]
		d = simPageData{Title: "Verify your identity", Token: sess.token, Action: sess.id, // relative: works behind a --public-url with a path prefix
			ID:      sess.id,
			DocName: name, DocType: sess.docType, Liveness: live, Model: sess.model, Level: sess.securityLevel,
			Expires: sess.created.Add(SessionTTL).UTC().Format("15:04 UTC"),
			Device:  sess.meta.deviceType, DeviceUA: sess.meta.ua, DeviceFrom: "not produced by Alibaba's script"}
		if sess.meta.genuine {
			d.DeviceFrom = "from the script on this device"
		}
		if sess.deviceRisk() {
			d.Risk = "Sandbox: under SecurityLevel 02, Device Guard judges a MetaInfo that Alibaba's script did not produce a device risk: " +
				"whatever you choose, the result will be Passed N with SubCode 206."
		}
		status = http.StatusOK
	}
	s.mu.Unlock()
	s.renderPage(w, status, d)
}

func (s *Simulator) serveAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	action, token := "", ""
	if r.ParseForm() == nil {
		action, token = r.PostForm.Get("action"), r.PostForm.Get("token")
	}
	now := s.opts.Clock()
	s.mu.Lock()
	sess, _ := s.sessions.Get(r.PathValue("id"))
	status, d, bad := s.pageError(sess, now)
	if !bad && (!sess.opened || sess.token == "" || !hmac.Equal([]byte(token), []byte(sess.token))) {
		status, d, bad = http.StatusForbidden, simPageData{Title: "Verification link already used",
			Message: "This page was not opened from this verification link, or the link was already used. Ask the merchant for a new link."}, true
	}
	if !bad && action != "approve" && action != "deny" && action != "abandon" {
		status, d, bad = http.StatusBadRequest, simPageData{Title: "Unknown choice", Message: "Choose Approve, Deny or Abandon."}, true
	}
	if !bad {
		if action == "approve" && sess.deviceRisk() {
			action = "risk"
		}
		sess.outcome = action
		s.sessions.Keep(sess.id, sess.created.Add(simRetention)) // results are kept 30 days
		sess.token = ""
		ret := ""
		if absHTTPURL(sess.returnURL, false) {
			ret = sess.returnURL
		}
		switch action {
		case "approve":
			d = simPageData{Title: "Verification complete", Message: "Thank you. Your identity was verified (sandbox: approved).", ReturnURL: ret}
		case "deny":
			d = simPageData{Title: "Verification failed", Message: "Your identity could not be verified (sandbox: denied).", ReturnURL: ret}
		case "risk":
			d = simPageData{Title: "Verification failed", Message: "The device environment was judged risky (SubCode 206): under SecurityLevel 02 " +
				"Device Guard refuses a MetaInfo that Alibaba's script did not produce on this device (sandbox).", ReturnURL: ret}
		default:
			d = simPageData{Title: "Verification abandoned", Message: "You left the verification (sandbox: abandoned). The merchant will see no result.", ReturnURL: ret}
		}
		status = http.StatusOK
		s.logf("alibaba: customer chose %s for TransactionId=%s", action, sess.id)
		if action != "abandon" && sess.callbackURL != "" {
			s.sendCallback(sess, action)
		}
	}
	s.mu.Unlock()
	s.renderPage(w, status, d)
}

// simLoopbackHTTP is the sandbox's relaxation of the https rule: plain
// http to a loopback host.
func simLoopbackHTTP(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return false
	}
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// sendCallback queues the completion callback: the seed's example is
// https://www.aliyun.com?callbackToken=…&transactionId=…&passed=Y&subCode=200,
// the fields added to CallbackUrl's own query. Call with s.mu held.
func (s *Simulator) sendCallback(sess *simSession, action string) {
	u, err := url.Parse(sess.callbackURL)
	if err != nil {
		return
	}
	passed, sub := "Y", "200"
	if action == "deny" || action == "risk" {
		passed, sub = "N", "206"
	}
	q := u.Query()
	if sess.callbackToken != "" {
		q.Set("callbackToken", sess.callbackToken)
	}
	q.Set("transactionId", sess.id)
	q.Set("passed", passed)
	q.Set("subCode", sub)
	u.RawQuery = q.Encode()
	s.deliver.Send(providers.Delivery{Method: http.MethodGet, URL: u.String(),
		What: "alibaba: callback TransactionId=" + sess.id + " passed=" + passed})
}
