package idenfy

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/biter777/countries"
	"github.com/kycdesk/kycdesk/internal/jsonw"
	"github.com/kycdesk/kycdesk/providers"
)

// The simulator answers at the real API's paths:
//
//	POST /api/v2/token             create a token (HTTP Basic)
//	POST /api/v2/status            {"scanRef":…} → status (HTTP Basic)
//	GET  /api/v2/redirect?authToken=…             the customer page
//	POST /api/v2/redirect/{action} (form: authToken)  the page's buttons:
//	     approve → APPROVED, deny → DENIED, suspect → SUSPECTED, abandon → EXPIRED
//
// When the customer finishes, it sends the identification webhook as iDenfy
// does (reference/idenfy.md §4): a POST of the JSON payload to the
// session's callbackUrl or else the account-level SimOptions.WebhookURL,
// with Idenfy-Event-Type and, when SimOptions.WebhookSigningKey is set,
// Idenfy-Signature = hex HMAC-SHA256 of the raw body. A session asking for
// manual review (reviewSuccessful / reviewFailed) first gets AUTO_FINISHED
// with final false, then MANUAL_FINISHED with final true. Deliveries run in
// the background (a 5 s timeout, two retries); plain http is sent only to a
// loopback host.
//
// It checks requests with its own rules, written from the docs (seeds 002
// and 003, reference/idenfy.md), never with the client's Spec or Validate:
// a mistake in one is then caught by the contract tests.

// Simulator actions, the last path element of the page's form posts.
const (
	ActionApprove = "approve"
	ActionDeny    = "deny"
	ActionSuspect = "suspect"
	ActionAbandon = "abandon"
)

// iDenfy's overall statuses used by the simulator.
const (
	simActive    = "ACTIVE"
	simApproved  = "APPROVED"
	simDenied    = "DENIED"
	simSuspected = "SUSPECTED"
	simExpired   = "EXPIRED"
)

// Documented defaults and bounds, as the simulator applies them.
const (
	simDefaultExpiry  = 86400   // [002] expiryTime default
	simMaxExpiry      = 2592000 // [002][003] 30 days
	simDefaultSession = 1800    // [002] sessionLength default
	simMinSession     = 60      // [003] 60 <= x
	simMaxSession     = 3600    // [003] x <= 3600
	simMaxBody        = 1 << 20
	// simKeep: a session stays queryable this long after the latest it
	// could have ended (its token's life plus its session length), then
	// the simulator forgets it.
	simKeep = 24 * time.Hour
)

// simDocuments are the document types of seed 002, with the words the
// customer page uses (built at first use, as the tables below: not in
// every process's initialization).
var simDocuments = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"ID_CARD": "ID card", "PASSPORT": "passport", "RESIDENCE_PERMIT": "residence permit",
		"DRIVER_LICENSE": "driver's license", "AADHAAR": "Aadhaar card", "PAN_CARD": "PAN card",
		"VISA": "visa", "BORDER_CROSSING": "border crossing card", "ASYLUM": "asylum document",
		"NATIONAL_PASSPORT": "national passport", "VOTER_CARD": "voter card", "OLD_ID_CARD": "old ID card",
		"TRAVEL_CARD": "travel card", "PHOTO_CARD": "photo card", "MILITARY_CARD": "military card",
		"PROOF_OF_AGE_CARD": "proof of age card", "DIPLOMATIC_ID": "diplomatic ID",
	}
})

// simDefaultDocuments are a session's documents when the request names
// none [002]; shared by those sessions, never changed.
var simDefaultDocuments = []string{"ID_CARD", "PASSPORT"}[:2:2]

// simTokenTypes: seed 002 lists all five; seed 003 only the first two.
var simTokenTypes = []string{"IDENTIFICATION", "DOCUMENT", "VIDEO_CALL", "VIDEO_CALL_PHOTOS", "VIDEO_CALL_IDENTIFICATION"}

// simSession is one issued token. What few requests set, and what only a
// decided session has, are kept apart: the sessions still waiting, most of
// what a busy sandbox holds, are then small for every garbage collection
// to scan (a token request costs the process more in collections than in
// its own handling), and for the heap to grow by (every new page of it
// costs the process a fault). Sessions whose request chose none of the
// settings share simDefaultSettings.
type simSession struct {
	*simSettings                          // never changed once the session is stored
	authToken, scanRef, clientID   string // one allocation (newIDs)
	status                         string
	created, opened                int64 // Unix nanoseconds; opened is 0 until the page is first opened
	reviewSuccessful, reviewFailed bool
	opt                            *simOptional // nil when the request set none of them
	result                         *simResult   // nil until the session is decided
}

// simSettings are what a token request chose, or the defaults.
type simSettings struct {
	tokenType, country, locale string
	documents                  []string
	expiry, sessionLength      time.Duration
	showInstructions           bool
}

// simDefaultSettings are the settings of a request that chose none [002];
// shared by those sessions, never changed.
var simDefaultSettings = &simSettings{tokenType: "IDENTIFICATION", locale: "en", documents: simDefaultDocuments,
	expiry: simDefaultExpiry * time.Second, sessionLength: simDefaultSession * time.Second, showInstructions: true}

// createdAt and openedAt are the session's times (openedAt is zero until
// the page is first opened).
func (s *simSession) createdAt() time.Time { return time.Unix(0, s.created) }

func (s *simSession) openedAt() time.Time {
	if s.opened == 0 {
		return time.Time{}
	}
	return time.Unix(0, s.opened)
}

// simOptional are the request's values a session keeps that few set.
type simOptional struct {
	digitString                         string
	prefilled                           []string // mismatch tags the prefilled data could raise
	successURL, errorURL, unverifiedURL string
	callbackURL, externalRef            string
}

func (o *simOptional) isZero() bool {
	return o.digitString == "" && o.prefilled == nil && o.successURL == "" && o.errorURL == "" &&
		o.unverifiedURL == "" && o.callbackURL == "" && o.externalRef == ""
}

// options are the session's optional values (zero when none was set).
func (s *simSession) options() simOptional {
	if s.opt == nil {
		return simOptional{}
	}
	return *s.opt
}

// simResult is what the customer's decision set (manual results are only
// in webhooks of sessions under review).
type simResult struct {
	autoDocument, autoFace  string
	fraudTags, mismatchTags []string
}

// results are the session's results (zero while it waits).
func (s *simSession) results() simResult {
	if s.result == nil {
		return simResult{}
	}
	return *s.result
}

// deadline is when an ACTIVE session expires: the token's lifetime until
// the page is first opened, then sessionLength from that visit.
func (s *simSession) deadline() time.Time {
	if s.opened == 0 {
		return s.createdAt().Add(s.expiry)
	}
	return s.openedAt().Add(s.sessionLength)
}

type simulator struct {
	opts   providers.SimOptions
	key    string
	secret string
	basic  string // "Basic " and base64 of key:secret, as net/http's SetBasicAuth writes it
	// redirectJSON is the customer's link up to its token, as the start
	// of a JSON string ("" without a public URL: each request's host).
	redirectJSON string
	deliver      *providers.Deliverer

	// byScan keeps the sessions and drops them when their time is up. A
	// session is found by its token there too: its scanRef is made from
	// its token (scanRefOf). The table is sized for the cap once the
	// sandbox is busy (reserved).
	mu       sync.Mutex
	byScan   *providers.SimTable[*simSession]
	reserved bool
}

// NewSimulator makes iDenfy's sandbox. opts.Credentials (apiKey,
// apiSecret) are the accepted credentials; nil means SandboxAPIKey and
// SandboxAPISecret.
func NewSimulator(opts providers.SimOptions) providers.Simulator {
	s := &simulator{opts: opts, key: SandboxAPIKey, secret: SandboxAPISecret,
		byScan: providers.NewSimTable[*simSession](opts.MaxSessions)}
	if opts.Credentials != nil {
		s.key, s.secret = opts.Credentials["apiKey"], opts.Credentials["apiSecret"]
	}
	if s.key != "" && s.secret != "" && !strings.Contains(s.key, ":") { // BasicAuth splits at the first colon
		s.basic = "Basic " + base64.StdEncoding.EncodeToString([]byte(s.key+":"+s.secret))
	}
	s.opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if s.opts.PublicURL != "" {
		s.redirectJSON = `"` + string(jsonw.AppendStringContent(nil, s.opts.PublicURL+RedirectPath+"?authToken="))
	}
	s.deliver = opts.Deliverer()
	if opts.WebhookURL != "" && !simWebhookURLOK(opts.WebhookURL) {
		s.logf("webhook URL %q is refused (https, or plain http to a loopback host); no webhooks are sent", opts.WebhookURL)
	}
	return s
}

// Register mounts the simulator's routes on mux.
func (s *simulator) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+TokenPath, s.handleToken)
	mux.HandleFunc("POST "+StatusPath, s.handleStatus)
	mux.HandleFunc("GET "+RedirectPath, s.handlePage)
	mux.HandleFunc("POST "+RedirectPath+"/{action}", s.handleAction)
}

func (s *simulator) logf(format string, a ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf("idenfy: "+format, a...)
	}
}

func (s *simulator) now() time.Time { return s.opts.Clock() }

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := jsonw.Append(make([]byte, 0, 1024), v) // encoding/json's bytes, without its reflection
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"identifier":"INTERNAL_ERROR","message":"Internal error."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// apiFail answers with iDenfy's error shape.
func apiFail(w http.ResponseWriter, status int, identifier, message string) {
	writeJSON(w, status, map[string]string{"identifier": identifier, "message": message})
}

// authorized checks HTTP Basic credentials; a failure answers 401 without
// an identifier, as the token endpoint does ([A] kyc/id-error-messages).
func (s *simulator) authorized(w http.ResponseWriter, r *http.Request) bool {
	// The header a client builds from the accepted pair, compared whole,
	// saves decoding it; any other spelling is decoded and checked.
	if s.basic != "" && equalConstantTime(r.Header.Get("Authorization"), s.basic) {
		return true
	}
	user, pass, ok := r.BasicAuth()
	good := ok && s.key != "" && s.secret != "" &&
		subtle.ConstantTimeCompare([]byte(user), []byte(s.key)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.secret)) == 1
	if !good {
		s.logf("%s %s refused: invalid authorization credentials", r.Method, r.URL.Path)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Invalid authorization credentials"})
	}
	return good
}

// equalConstantTime is subtle.ConstantTimeCompare for strings, without
// copying them to byte slices (on the heap, past 32 bytes).
func equalConstantTime(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}

// readObject reads a JSON object body; it answers the error itself.
func readObject(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
		apiFail(w, http.StatusBadRequest, "JSON_ERROR", "Content-Type must be application/json.")
		return nil, false
	}
	buf := bodyBufs.Get().(*bytes.Buffer)
	defer func() { // the decoded values are copies
		if buf.Cap() <= 64<<10 {
			bodyBufs.Put(buf)
		}
	}()
	buf.Reset()
	body := r.Body
	if r.ContentLength < 0 || r.ContentLength > simMaxBody {
		// A body of a stated length within the bound is read to that
		// length by net/http; only the others need the cap.
		body = http.MaxBytesReader(w, r.Body, simMaxBody)
	}
	if _, err := buf.ReadFrom(body); err != nil {
		apiFail(w, http.StatusRequestEntityTooLarge, "BAD_VALUE", "The request body is too large.")
		return nil, false
	}
	data := buf.Bytes()
	if !utf8.Valid(data) {
		apiFail(w, http.StatusBadRequest, "ENCODING_ERROR", "The request body is not valid UTF-8.")
		return nil, false
	}
	if obj, ok := decodeFlat(data); ok {
		return obj, true
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		msg := "JSON parse error."
		if err != nil {
			msg = "JSON parse error - " + err.Error()
		} else {
			msg = "JSON parse error - expected an object."
		}
		apiFail(w, http.StatusBadRequest, "JSON_ERROR", msg)
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		apiFail(w, http.StatusBadRequest, "JSON_ERROR", "JSON parse error - extra data after the object.")
		return nil, false
	}
	return obj, true
}

// bodyBufs keeps request bodies' buffers from one request to the next; a
// buffer grown past 64 KB by a large body is not kept.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// --- the simulator's own field rules, from the docs ---

type simRule struct {
	name  string
	check func(v any) string // "" when fine
}

func wantString(min, max int, ascii bool) func(any) string {
	return func(v any) string {
		s, ok := v.(string)
		if !ok {
			return "Not a valid string."
		}
		n := utf8.RuneCountInString(s)
		if n < min {
			if min == 1 {
				return "This field may not be blank."
			}
			return fmt.Sprintf("Ensure this field has at least %d characters.", min)
		}
		if max > 0 && n > max {
			return fmt.Sprintf("Ensure this field has no more than %d characters.", max)
		}
		if ascii {
			for _, r := range s {
				if r < 0x20 || r > 0x7e {
					return "Only ASCII characters are allowed."
				}
			}
		}
		return ""
	}
}

func wantName(v any) string {
	if msg := wantString(1, 100, false)(v); msg != "" {
		return msg
	}
	s := v.(string)
	for _, r := range s {
		if unicode.IsDigit(r) {
			return "Digits are not allowed."
		}
		if strings.ContainsRune(`~!@#$%^*()_+={}[]|:;",<>/?`, r) || unicode.IsControl(r) {
			return fmt.Sprintf("Character %q is not allowed.", r)
		}
	}
	return ""
}

func wantURL(httpsOnly bool) func(any) string {
	return func(v any) string {
		if msg := wantString(5, 2048, false)(v); msg != "" {
			return msg
		}
		u, err := url.Parse(v.(string))
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return "Enter a valid URL."
		}
		if httpsOnly && u.Scheme != "https" {
			return "Must be an HTTPS URL."
		}
		return ""
	}
}

// wantCallbackURL: iDenfy requires an https webhook endpoint (§4); the
// sandbox also takes plain http to a loopback host, where the console's
// own receiver listens (the simulator's one relaxation, simWebhookURLOK).
func wantCallbackURL(v any) string {
	if msg := wantURL(false)(v); msg != "" {
		return msg
	}
	if !simWebhookURLOK(v.(string)) {
		return "Must be an HTTPS URL."
	}
	return ""
}

func wantBool(v any) string {
	if _, ok := v.(bool); !ok {
		return "Must be a valid boolean."
	}
	return ""
}

func wantInt(min, max int64) func(any) string {
	return func(v any) string {
		n, ok := v.(json.Number)
		if !ok {
			return "A valid integer is required."
		}
		i, err := n.Int64()
		if err != nil {
			return "A valid integer is required."
		}
		if i < min {
			return fmt.Sprintf("Ensure this value is greater than or equal to %d.", min)
		}
		if max > 0 && i > max {
			return fmt.Sprintf("Ensure this value is less than or equal to %d.", max)
		}
		return ""
	}
}

func wantRatio(v any) string {
	n, ok := v.(json.Number)
	if !ok {
		return "A valid number is required."
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1 {
		return "Ensure this value is between 0 and 1."
	}
	return ""
}

func wantChoice(choices ...string) func(any) string {
	return func(v any) string {
		s, ok := v.(string)
		if !ok {
			return "Not a valid string."
		}
		for _, c := range choices {
			if s == c {
				return ""
			}
		}
		return fmt.Sprintf("%q is not a valid choice.", s)
	}
}

func wantList(valid func(string) bool) func(any) string {
	return func(v any) string {
		items, ok := v.([]any)
		if !ok {
			return "Expected a list of items."
		}
		for _, it := range items {
			s, ok := it.(string)
			if !ok || !valid(s) {
				return fmt.Sprintf("%v is not a valid choice.", it)
			}
		}
		return ""
	}
}

func wantCountry(allowAll bool) func(any) string {
	return func(v any) string {
		s, ok := v.(string)
		if !ok {
			return "Not a valid string."
		}
		if allowAll && strings.EqualFold(s, "ALL") {
			return ""
		}
		up := strings.ToUpper(s)
		if len(s) != 2 || countries.ByName(up).Alpha2() != up {
			return fmt.Sprintf("%q is not a valid alpha-2 country code.", s)
		}
		return ""
	}
}

func wantDate(v any) string {
	s, ok := v.(string)
	if !ok {
		return "Not a valid string."
	}
	if _, err := time.Parse("2006-01-02", s); err != nil || len(s) != 10 {
		return "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
	}
	return ""
}

func wantObject(v any) string {
	if _, ok := v.(map[string]any); !ok {
		return "Must be a valid JSON object."
	}
	return ""
}

func wantUUID(v any) string {
	s, ok := v.(string)
	if !ok || len(s) != 36 {
		return "Must be a valid UUID."
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return "Must be a valid UUID."
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return "Must be a valid UUID."
		}
	}
	return ""
}

// simRules are checked in this order; the first problem is answered.
var simRules = sync.OnceValue(func() []simRule {
	return []simRule{
		{"clientId", wantString(1, 100, true)},
		{"firstName", wantName},
		{"lastName", wantName},
		{"successUrl", wantURL(false)},
		{"errorUrl", wantURL(false)},
		{"unverifiedUrl", wantURL(false)},
		{"callbackUrl", wantCallbackURL},
		{"locale", wantString(1, 7, true)}, // [003]: max 7; unsupported locales show English
		{"showInstructions", wantBool},
		{"expiryTime", wantInt(0, simMaxExpiry)}, // [003]/OpenAPI: 0 <= x <= 2592000
		{"sessionLength", wantInt(simMinSession, simMaxSession)},
		{"country", wantCountry(false)},
		{"documents", wantList(func(s string) bool { _, ok := simDocuments()[s]; return ok })},
		{"dateOfBirth", wantDate},
		{"dateOfExpiry", wantDate},
		{"dateOfIssue", wantDate},
		{"nationality", wantCountry(true)},
		{"personalNumber", wantString(1, 50, true)},
		{"documentNumber", wantString(1, 50, true)},
		{"sex", wantChoice("M", "F")},
		{"generateDigitString", wantBool},
		{"address", wantString(0, 255, false)},
		{"tokenType", wantChoice(simTokenTypes...)},
		{"externalRef", wantString(0, 40, true)},
		{"utilityBill", wantBool},
		{"additionalSteps", wantObject},
		{"additionalData", wantObject},
		{"questionnaire", wantString(0, 0, false)},
		{"riskAssessmentProfile", wantUUID},
		{"ageLimit", wantInt(0, 0)},
		{"ageMax", wantInt(0, 0)},
		{"checkLiveness", wantBool},
		{"reviewSuccessful", wantBool},
		{"reviewFailed", wantBool},
		{"driverLicenseBack", wantBool},
		{"autoAmlMonitoring", wantBool},
		{"fraudServices", wantList(func(s string) bool { return s == "AML_NAMES_CHECK" || s == "LID" || s == "AML_NEWS" })},
		{"checkIpProxy", wantBool},
		{"checkFaceBlacklist", wantBool},
		{"checkDocFaceBlacklist", wantBool},
		{"checkDuplicateFaces", wantBool},
		{"checkDuplicateDocFaces", wantBool},
		{"nfcRequired", wantBool},
		{"levenshteinTextMatchRatio", wantRatio},
		{"levenshteinMrzMatchRatio", wantRatio},
		{"detectionTypes", wantList(func(s string) bool { return s == "FACE" || s == "EYES" })},
	}
})

// simRuleIndex is each rule's place in simRules, by field name.
var simRuleIndex = sync.OnceValue(func() map[string]int {
	rules := simRules()
	m := make(map[string]int, len(rules))
	for i, r := range rules {
		m[r.name] = i
	}
	return m
})

// checkTokenRequest applies the docs' rules; it returns the identifier and
// message of the first problem, or "".
func checkTokenRequest(req map[string]any) (identifier, message string) {
	// The legacy name personScanRef is accepted for clientId [A/C KYC page].
	if _, ok := req["clientId"]; !ok {
		if v, ok := req["personScanRef"]; ok {
			req["clientId"] = v
		}
	}
	if v, ok := req["clientId"]; !ok || v == nil {
		return "MISSING_VALUE", "clientId: This field is required."
	}
	// The rules of the fields present, in simRules' order (a request has
	// a few of the forty-odd fields: looking each rule's field up was a
	// tenth of the token endpoint's time).
	var present [8]int
	idx := present[:0]
	for k, v := range req {
		if i, ok := simRuleIndex()[k]; ok && v != nil { // every optional field is nullable
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	for _, i := range idx {
		r := simRules()[i]
		if msg := r.check(req[r.name]); msg != "" {
			return "BAD_VALUE", r.name + ": " + msg
		}
	}
	// [002]: utilityBill can't be used together with additionalSteps.
	if req["utilityBill"] == true && req["additionalSteps"] != nil {
		return "BAD_VALUE", "utilityBill: Can't be used together with additionalSteps."
	}
	// [002]: additionalData must be used with additionalSteps.
	if req["additionalData"] != nil && req["additionalSteps"] == nil {
		return "BAD_VALUE", "additionalData: Must be used with additionalSteps."
	}
	// [002]: with a digit string, expiryTime must not exceed the digit
	// string's maximum, the default expiryTime.
	if req["generateDigitString"] == true {
		if n, ok := req["expiryTime"].(json.Number); ok {
			if i, _ := n.Int64(); i > simDefaultExpiry {
				return "BAD_VALUE", fmt.Sprintf("expiryTime: With generateDigitString, expiryTime must not exceed %d.", simDefaultExpiry)
			}
		}
	}
	return "", ""
}

// --- random identifiers ---

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString draws n characters of alphabet uniformly from crypto/rand,
// one read for all of them: bytes at or above the largest multiple of the
// alphabet's length are rejected, so that every character is as likely.
func randomString(n int, alphabet string) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		readRandom(buf[:])
		out = appendUniform(out, n, alphabet, buf[:])
	}
	return string(out)
}

// appendUniform appends characters of alphabet drawn from the random
// bytes src (rejecting those that would favour some) until out has n.
func appendUniform(out []byte, n int, alphabet string, src []byte) []byte {
	limit := 256 - 256%len(alphabet)
	for _, b := range src {
		if len(out) == n {
			break
		}
		if int(b) < limit {
			out = append(out, alphabet[int(b)%len(alphabet)])
		}
	}
	return out
}

// readRandom fills b with crypto/rand's bytes, taken from a buffer
// filled 4 KB at a time: a read of its own for each token (80 bytes) cost
// the sandbox about as much again as the bytes, from a cold cache. Each
// byte is handed out once, and zeroed in the buffer as it is (the buffer
// holds only bytes still to come; the tokens themselves are in the
// session table, on the same heap).
func readRandom(b []byte) {
	rb := randomBufs.Get().(*randomBuf)
	for len(b) > 0 {
		if rb.next == len(rb.b) {
			if _, err := rand.Read(rb.b[:]); err != nil {
				panic(err) // crypto/rand never fails on supported platforms
			}
			rb.next = 0
		}
		n := copy(b, rb.b[rb.next:])
		clear(rb.b[rb.next : rb.next+n])
		rb.next += n
		b = b[n:]
	}
	randomBufs.Put(rb)
}

// randomBuf is crypto/rand's bytes, b[next:] not yet handed out.
type randomBuf struct {
	b    [4096]byte
	next int
}

// randomBufs: one goroutine at a time takes bytes from a buffer.
var randomBufs = sync.Pool{New: func() any { return &randomBuf{next: 4096} }}

// newIDs draws a session's authToken (40 characters) from one crypto/rand
// read and makes its scanRef from it (appendScanRef); both, and a copy of
// clientID,
// share one allocation (a kept session is one object fewer for every
// garbage collection to mark, three fewer than separate strings).
func newIDs(clientID string) (authToken, scanRef, client string) {
	var buf [64]byte
	readRandom(buf[:])
	var room [256]byte // string(ids) is then the one allocation
	ids := room[:0]
	ids = appendUniform(ids, 40, tokenAlphabet, buf[:64])
	for len(ids) < 40 { // 64 bytes fall short about once in a hundred million
		var more [64]byte
		readRandom(more[:])
		ids = appendUniform(ids, 40, tokenAlphabet, more[:])
	}
	ids = appendScanRef(ids, ids[:40])
	ids = append(ids, clientID...)
	all := string(ids)
	return all[:40], all[40:76], all[76:]
}

// appendScanRef appends the scanRef of the session whose token is token:
// a UUID of version 4's form (iDenfy's scanRef is one) made of the
// token's SHA-256. A session is found by its token in the table of
// scanRefs, with no index of its own: a map insert per token, and the
// collector's work over it, was a twentieth of a token's CPU (issue 18).
// The scanRef is the session's reference, which operators and webhooks
// see; the token is the secret, and the scanRef does not give it back.
func appendScanRef(dst, token []byte) []byte {
	sum := sha256.Sum256(token)
	return appendUUID(dst, [16]byte(sum[:16]))
}

// scanRefOf is appendScanRef's scanRef of token.
func scanRefOf(token string) string { return string(appendScanRef(nil, []byte(token))) }

// appendUUID appends b as a version 4 UUID.
func appendUUID(dst []byte, b [16]byte) []byte {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:16])
	return append(dst, out[:]...)
}

// appendRedirect appends the customer's link for token as a JSON string.
// With a public URL, all but the token is the same for every session:
// escaped once (redirectJSON). The token, query-escaped, is ASCII, so the
// two pieces are escaped as the whole link would be.
func (s *simulator) appendRedirect(dst []byte, r *http.Request, token string) []byte {
	if s.redirectJSON == "" {
		return jsonw.AppendString(dst, s.publicBase(r)+RedirectPath+"?authToken="+url.QueryEscape(token))
	}
	dst = append(dst, s.redirectJSON...)
	return append(jsonw.AppendStringContent(dst, url.QueryEscape(token)), '"')
}

func (s *simulator) publicBase(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return s.opts.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// --- handlers ---

// prefilledFields are the request fields that prefill the customer's
// data, with the tag the session records for each.
var prefilledFields = [...]struct{ field, tag string }{
	{"firstName", "NAME"}, {"lastName", "SURNAME"}, {"dateOfBirth", "DATE_OF_BIRTH"},
}

func (s *simulator) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	req, ok := readObject(w, r)
	if !ok {
		return
	}
	defer releaseObject(req)
	if id, msg := checkTokenRequest(req); id != "" {
		s.logf("token refused: %s %s", id, msg)
		apiFail(w, http.StatusBadRequest, id, msg)
		return
	}
	now := s.now()
	authToken, scanRef, clientID := newIDs(req["clientId"].(string))
	sess := &simSession{
		simSettings: simDefaultSettings,
		authToken:   authToken,
		scanRef:     scanRef,
		clientID:    clientID,
		created:     now.UnixNano(),
		status:      simActive,
	}
	// The request's members in one pass, not a lookup per field (a
	// request has a few of the forty-odd).
	set := *simDefaultSettings // the session's own settings, if it chose any
	chose := false
	var opt simOptional
	var prefilled [len(prefilledFields)]bool
	for k, v := range req {
		switch k {
		case "tokenType":
			if v, ok := v.(string); ok {
				set.tokenType, chose = v, true
				if i := slices.Index(simTokenTypes, v); i >= 0 {
					set.tokenType = simTokenTypes[i] // the constant, not the request's copy
				}
			}
		case "locale":
			if v, ok := v.(string); ok {
				set.locale, chose = v, true
			}
		case "country":
			if v, ok := v.(string); ok {
				set.country, chose = strings.ToUpper(v), true
			}
		case "showInstructions":
			if v, ok := v.(bool); ok {
				set.showInstructions, chose = v, true
			}
		case "documents":
			if v, ok := v.([]any); ok && len(v) > 0 {
				set.documents, chose = make([]string, 0, len(v)), true
				for _, d := range v {
					set.documents = append(set.documents, d.(string))
				}
			}
		case "expiryTime":
			if n, ok := v.(json.Number); ok {
				// The OpenAPI allows 0 without saying what it means; the
				// simulator reads it as "the default lifetime".
				if i, _ := n.Int64(); i > 0 {
					set.expiry, chose = time.Duration(i)*time.Second, true
				}
			}
		case "sessionLength":
			if n, ok := v.(json.Number); ok {
				i, _ := n.Int64()
				set.sessionLength, chose = time.Duration(i)*time.Second, true
			}
		case "successUrl":
			opt.successURL, _ = v.(string)
		case "errorUrl":
			opt.errorURL, _ = v.(string)
		case "unverifiedUrl":
			opt.unverifiedURL, _ = v.(string)
		case "callbackUrl":
			opt.callbackURL, _ = v.(string)
		case "externalRef":
			opt.externalRef, _ = v.(string)
		case "reviewSuccessful":
			sess.reviewSuccessful = v == true
		case "reviewFailed":
			sess.reviewFailed = v == true
		case "generateDigitString":
			if v == true {
				opt.digitString = randomString(8, "0123456789")
			}
		default:
			for i, f := range prefilledFields {
				if k == f.field && v != nil {
					prefilled[i] = true
				}
			}
		}
	}
	for i, f := range prefilledFields { // in this order, whatever the request's
		if prefilled[i] {
			opt.prefilled = append(opt.prefilled, f.tag)
		}
	}
	if chose {
		own := set // on the heap only when chosen
		sess.simSettings = &own
	}
	if !opt.isZero() {
		o := opt
		sess.opt = &o
	}
	var room [256]byte // on the stack: the answer copies it
	redirect := s.appendRedirect(room[:0], r, sess.authToken)

	// Opened before the token expires, finished within sessionLength:
	// this is after the latest possible end.
	until := now.Add(sess.expiry + sess.sessionLength + simKeep)
	s.mu.Lock()
	s.byScan.Sweep(now)
	stored := s.byScan.Put(sess.scanRef, sess, until) // false when full
	if stored {
		if !s.reserved && s.byScan.Len() >= simReserveAt {
			s.reserve()
		}
	}
	s.mu.Unlock()
	if !stored {
		// The documented rate-limit answer [A resources/error-messages].
		apiFail(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "Request limit reached: the sandbox holds as many sessions as it keeps; try again when older ones expire.")
		return
	}
	if s.opts.Logf != nil {
		// One pointer, not four boxed values and a joined format: the
		// sandbox's rate limit drops most of these lines under load, and
		// a dropped line is then formatted by no one.
		s.opts.Logf("idenfy: token issued: %v", (*issuedLine)(sess))
	}

	buf := answerBufs.Get().(*[]byte)
	defer answerBufs.Put(buf)
	b, err := appendTokenAnswer((*buf)[:0], req, sess, redirect)
	*buf = b
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"identifier": "INTERNAL_ERROR", "message": "Internal error."})
		return
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b) // copied: the buffer goes back to the pool
}

// simReserveAt is how many sessions make a sandbox that is filling up (a
// load test, not a developer's handful): its indexes are then sized for
// the cap. One that holds fewer, however long, keeps maps its own size:
// probing maps sized for the cap misses the cache more.
const simReserveAt = 4096

// reserve sizes the session table for the cap, not grown one doubling at
// a time from here (SimTable.Reserve). Call with mu held.
func (s *simulator) reserve() {
	s.byScan.Reserve()
	s.reserved = true
}

// issuedLine is a new session's log line, formatted when it is written
// (the fields it reads never change once the session is stored).
type issuedLine simSession

func (l *issuedLine) String() string {
	return fmt.Sprintf("scanRef=%s clientId=%q tokenType=%s expires in %s", l.scanRef, l.clientID, l.tokenType, l.expiry)
}

// jsonContentType is the token answer's Content-Type header, shared (net/http
// only reads it) rather than a new slice per answer.
var jsonContentType = []string{"application/json"}

// answerBufs keeps the token answers' buffers from one request to the next.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// refresh expires an ACTIVE session whose time is up. Call with mu held.
func (s *simulator) refresh(sess *simSession, now time.Time) {
	if sess.status == simActive && !now.Before(sess.deadline()) {
		sess.status = simExpired
		s.logf("scanRef=%s expired (no decision in time)", sess.scanRef)
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func tags(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

func (s *simulator) handleStatus(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	req, ok := readObject(w, r)
	if !ok {
		return
	}
	defer releaseObject(req)
	raw, present := req["scanRef"]
	if !present || raw == nil {
		apiFail(w, http.StatusBadRequest, "MISSING_VALUE", "scanRef: This field is required.")
		return
	}
	scanRef, ok := raw.(string)
	if !ok {
		apiFail(w, http.StatusBadRequest, "BAD_VALUE", "scanRef: Not a valid string.")
		return
	}
	s.mu.Lock()
	s.byScan.Sweep(s.now())
	sess, _ := s.byScan.Get(scanRef)
	if sess == nil {
		s.mu.Unlock()
		apiFail(w, http.StatusBadRequest, "BAD_VALUE", "scanRef: No verification with this scanRef exists.")
		return
	}
	s.refresh(sess, s.now())
	res := sess.results()
	resp := map[string]any{
		"status":         sess.status,
		"scanRef":        sess.scanRef,
		"clientId":       sess.clientID,
		"autoDocument":   nullable(res.autoDocument),
		"autoFace":       nullable(res.autoFace),
		"manualDocument": nil, // manual results come only in a reviewed session's webhook
		"manualFace":     nil,
		"fraudTags":      tags(res.fraudTags),
		"mismatchTags":   tags(res.mismatchTags),
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// errPage answers a provider-like error page.
func errPage(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = errorTmpl().Execute(w, map[string]any{"Title": title, "Message": message, "Status": status})
}

// lookupForPage finds an ACTIVE session by token, answering an error page
// when there is none. Call with mu held.
func (s *simulator) lookupForPage(w http.ResponseWriter, token string, now time.Time) *simSession {
	s.byScan.Sweep(now)
	var sess *simSession
	if token != "" {
		if found, ok := s.byScan.Get(scanRefOf(token)); ok && found.authToken == token {
			sess = found
		}
	}
	if sess == nil {
		errPage(w, http.StatusBadRequest, "Verification link is not valid",
			"This verification link is not valid. Ask the company that sent it for a new one.")
		return nil
	}
	s.refresh(sess, now)
	switch sess.status {
	case simActive:
		return sess
	case simExpired:
		errPage(w, http.StatusGone, "Verification link has expired",
			"This verification session has expired. Ask the company that sent it for a new link.")
	default:
		errPage(w, http.StatusGone, "Verification already completed",
			"This verification has already been completed; the link cannot be used again.")
	}
	return nil
}

func (s *simulator) handlePage(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.lookupForPage(w, r.URL.Query().Get("authToken"), now)
	if sess == nil {
		return
	}
	// sessionLength counts from the customer's first visit (a HEAD from a
	// link previewer is not one).
	if sess.opened == 0 && r.Method == http.MethodGet {
		sess.opened = now.UnixNano()
		s.logf("scanRef=%s page opened; session ends in %s", sess.scanRef, sess.sessionLength)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Cache-Control", "no-store")
	_ = pageTmpl().Execute(w, s.pageData(sess, now))
}

func (s *simulator) handleAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		errPage(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	action := r.PathValue("action")
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch action {
	case ActionApprove, ActionDeny, ActionSuspect, ActionAbandon:
	default:
		errPage(w, http.StatusNotFound, "Not found", "There is no such step in this verification.")
		return
	}
	sess := s.lookupForPage(w, r.Form.Get("authToken"), now)
	if sess == nil {
		return
	}
	if sess.opened == 0 {
		sess.opened = now.UnixNano()
	}
	decide(sess, action)
	s.logf("scanRef=%s → %s (customer page: %s)", sess.scanRef, sess.status, action)
	s.sendWebhooks(sess, now)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("Cache-Control", "no-store")
	_ = doneTmpl().Execute(w, doneData(sess))
}

// decide moves the session to the page's outcome with plausible results
// (FaceStatusEnum, DocumentStatusEnum, fraud and mismatch tags of
// reference/idenfy.md §3).
func decide(sess *simSession, action string) {
	selfie := sess.tokenType != "DOCUMENT"
	face := func(s string) string {
		if !selfie {
			return "FACE_NOT_CHECKED"
		}
		return s
	}
	r := &simResult{fraudTags: []string{}, mismatchTags: []string{}}
	switch action {
	case ActionApprove:
		sess.status = simApproved
		r.autoDocument, r.autoFace = "DOC_VALIDATED", face("FACE_MATCH")
	case ActionDeny:
		sess.status = simDenied
		if selfie {
			r.autoDocument, r.autoFace = "DOC_VALIDATED", "FACE_MISMATCH"
		} else {
			r.autoDocument, r.autoFace = "DOC_EXPIRED", "FACE_NOT_CHECKED"
		}
	case ActionSuspect:
		sess.status = simSuspected
		r.autoDocument, r.autoFace = "DOC_VALIDATED", face("FACE_MATCH")
		if prefilled := sess.options().prefilled; len(prefilled) > 0 {
			r.mismatchTags = append(r.mismatchTags, sortedTags(prefilled)...)
		} else if selfie {
			r.fraudTags = []string{"FACE_SUSPECTED"}
		} else {
			r.fraudTags = []string{"DOC_MOBILE_PHOTO"}
		}
	case ActionAbandon:
		sess.status = simExpired
	}
	sess.result = r
}

func sortedTags(t []string) []string {
	order := []string{"NAME", "SURNAME", "DATE_OF_BIRTH"}
	var out []string
	for _, o := range order {
		for _, x := range t {
			if x == o {
				out = append(out, x)
			}
		}
	}
	return out
}

// errNoSession is returned by sessionByScanRef for an unknown scanRef.
var errNoSession = errors.New("no such session")

// sessionByScanRef returns a copy of a session's status (for tests).
func (s *simulator) sessionByScanRef(scanRef string) (simSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, _ := s.byScan.Get(scanRef)
	if sess == nil {
		return simSession{}, errNoSession
	}
	s.refresh(sess, s.now())
	return *sess, nil
}

// --- webhooks ---

// simWebhookURLOK is the simulator's rule for where it sends webhooks:
// https as iDenfy requires, or plain http to a loopback host (the sandbox's
// own relaxation, so the console's receiver can be reached).
func simWebhookURLOK(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		if strings.EqualFold(h, "localhost") {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// simWebhook is the IdentificationWebhook payload [B], with the members a
// sandbox session has; data carries no personal data here.
func simWebhook(sess *simSession, final bool, manual bool, now time.Time) map[string]any {
	res := sess.results()
	status := map[string]any{
		"overall":         sess.status,
		"fraudTags":       tags(res.fraudTags),
		"mismatchTags":    tags(res.mismatchTags),
		"autoFace":        nullable(res.autoFace),
		"manualFace":      nil,
		"autoDocument":    nullable(res.autoDocument),
		"manualDocument":  nil,
		"additionalSteps": nil,
	}
	if manual {
		status["manualFace"], status["manualDocument"] = nullable(res.autoFace), nullable(res.autoDocument)
	}
	return map[string]any{
		"final":       final,
		"platform":    "MOBILE",
		"status":      status,
		"data":        map[string]any{"selectedCountry": nullable(sess.country)},
		"fileUrls":    map[string]any{},
		"scanRef":     sess.scanRef,
		"externalRef": nullable(sess.options().externalRef),
		"clientId":    sess.clientID,
		"startTime":   sess.openedAt().Unix(),
		"finishTime":  now.Unix(),
		"clientIp":    "192.0.2.10",
	}
}

// sendWebhooks queues the webhook(s) for a finished session. Call with mu held.
func (s *simulator) sendWebhooks(sess *simSession, now time.Time) {
	target := s.opts.WebhookURL
	if cb := sess.options().callbackURL; cb != "" {
		target = cb // per-session override [C]
	}
	if target == "" || !simWebhookURLOK(target) {
		return
	}
	review := (sess.status == simApproved && sess.reviewSuccessful) ||
		((sess.status == simDenied || sess.status == simSuspected) && sess.reviewFailed)
	var out []providers.Delivery
	switch {
	case sess.status == simExpired:
		out = append(out, s.webhook(target, "IDENTIFICATION_EXPIRED", simWebhook(sess, true, false, now), sess))
	case review:
		out = append(out,
			s.webhook(target, "IDENTIFICATION_AUTO_FINISHED", simWebhook(sess, false, false, now), sess),
			s.webhook(target, "IDENTIFICATION_MANUAL_FINISHED", simWebhook(sess, true, true, now), sess))
	default:
		out = append(out, s.webhook(target, "IDENTIFICATION_AUTO_FINISHED", simWebhook(sess, true, false, now), sess))
	}
	s.deliver.SendInOrder(out...)
}

func (s *simulator) webhook(target, event string, payload map[string]any, sess *simSession) providers.Delivery {
	body, _ := json.Marshal(payload)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Idenfy-Event-Type", event)
	if key := s.opts.WebhookSigningKey; key != "" {
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write(body)
		h.Set("Idenfy-Signature", hex.EncodeToString(mac.Sum(nil)))
	}
	return providers.Delivery{Method: http.MethodPost, URL: target, Header: h, Body: body,
		What: fmt.Sprintf("idenfy: webhook %s scanRef=%s final=%v", event, sess.scanRef, payload["final"])}
}
