package dws

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/nyaruka/phonenumbers"
)

// The simulator answers at the real paths (both /ams/api and
// /ams/sandbox/api) and checks requests with its own code, written from the
// seed and reference/dws.md, not with the client's validator or signer.
//
// Routes (Go 1.22 patterns on the shared mux):
//
//	POST /ams/api/v1/customers/initAuthentication          (and /ams/sandbox/api/…)
//	POST /ams/api/v1/security/triggerChallenge             (and /ams/sandbox/api/…)
//	POST /ams/api/v1/security/verifyAuthentication         (and /ams/sandbox/api/…)
//	POST /ams/                    any other API: F INVALID_API
//	GET  /ams/                    F METHOD_NOT_SUPPORTED (HTTP 405)
//	GET  /sandbox/dws/            the "SMS inbox" page: masked number → code
//	GET  /sandbox/dws/inbox.json  the same as JSON
//	GET  /sandbox/dws/sms.json    the newest code for ?authenticationId= (sandboxsms.go)
//
// What it checks, in order: Client-Id (INVALID_CLIENT, unsigned), the path
// matching the client id (SANDBOX_ ids use /ams/sandbox/api; INVALID_API),
// the RSA256 signature over "POST <uri>\n<client-id>.<Request-Time>.<body>"
// (INVALID_SIGNATURE, unsigned, as DWS: "targetSignature would not be
// present"), Request-Time (epoch milliseconds or ISO 8601; PARAM_ILLEGAL),
// a JSON body whose every member is a string (PARAM_ILLEGAL), then each API's
// fields. Answers are signed with the platform key (Response-Time header,
// ISO 8601).
//
// Idempotency: an authenticationRequestId (triggerRequestId) whose request
// reached S or F returns the very same answer to a request with a
// byte-identical body; any other body gets F REPEAT_REQ_INCONSISTENT. (DWS
// compares "key parameters"; the simulator compares bytes, which is stricter.)

// SimPagePath is the simulator's SMS inbox page.
const SimPagePath = "/sandbox/dws/"

// Sandbox magic values: an identityValue whose number ends with one of these
// suffixes makes the simulator misbehave on purpose, so the retry and
// failure paths can be seen from the console and the CLI
// (e.g. --set identityValue=+60123450999).
const (
	// SandboxSuffixUnknownOnce: the first request of each authenticationRequestId
	// is answered U UNKNOWN_EXCEPTION; the retry (same id, same body) succeeds.
	SandboxSuffixUnknownOnce = "0999"
	// SandboxSuffixAlwaysUnknown: always U REQUEST_TRAFFIC_EXCEED_LIMIT (outcome unknown).
	SandboxSuffixAlwaysUnknown = "0998"
	// SandboxSuffixUnavailableOnce: the first request of each id gets HTTP 503; the retry succeeds.
	SandboxSuffixUnavailableOnce = "0997"
	// SandboxSuffixProcessFail: F PROCESS_FAIL.
	SandboxSuffixProcessFail = "0996"
	// SandboxSuffixAccessDenied: F ACCESS_DENIED.
	SandboxSuffixAccessDenied = "0995"
)

// Simulator limits.
const (
	SimCodeTTL        = 5 * time.Minute  // a code's life
	SimMaxAttempts    = 5                // wrong codes before the authentication is locked
	SimMaxSends       = 5                // codes per authentication (then SEND_TIMES_EXCEED_LIMIT)
	SimResendInterval = 30 * time.Second // between two codes (else TIMES_EXCEED_LIMIT)
	SimInitLimit      = 5                // new authentications per number per SimInitWindow
	SimInitWindow     = 10 * time.Minute // (else TIMES_EXCEED_LIMIT)
)

// simKeep is how long the simulator keeps an authentication and its
// idempotency records after it began (no DWS lifetime is documented; a
// code lives SimCodeTTL and at most SimMaxSends are sent).
const simKeep = 24 * time.Hour

// simMaxRecorded bounds the requests kept for Requests.
const simMaxRecorded = 1000

// SimRequest is one request the simulator received (a testing hook).
type SimRequest struct {
	Path   string
	Header http.Header
	Body   []byte
}

// SimSMS is one code the simulator "sent".
type SimSMS struct {
	To               string    `json:"to"` // masked number
	Code             string    `json:"code"`
	AuthenticationID string    `json:"authenticationId"`
	SentAt           time.Time `json:"sentAt"`
	ExpiresAt        time.Time `json:"expiresAt"`
}

// Simulator is the DWS sandbox. It is safe for concurrent use.
type Simulator struct {
	opts        providers.SimOptions
	clientID    string
	clientKey   *rsa.PublicKey
	platformKey *rsa.PrivateKey
	configErr   string

	mu         sync.Mutex
	inits      *providers.SimTable[*simIdem]
	triggers   *providers.SimTable[*simIdem]
	auths      *providers.SimTable[*simAuth] // by authenticationId
	numberHits *providers.SimTable[[]time.Time]
	inbox      []SimSMS
	requests   []SimRequest
	seq        uint64
}

type simIdem struct {
	body      []byte
	final     []byte // the S or F answer, once there is one
	status    int
	servedU   bool
	served503 bool
}

type simAuth struct {
	id, reqID, clientID, number string
	code                        string
	codeExpires, lastSend       time.Time
	sends, wrong                int
	verified, locked            bool
}

// NewSimulator makes the DWS simulator. opts.Credentials may name clientId
// and the client's key (publicKeyPEM, or privateKeyPEM from which the public
// key is taken) and the key that signs answers (platformPrivateKeyPEM); nil
// means the fixed sandbox credentials. Without a client key the sandbox
// client key pair is the one accepted, and without platformPrivateKeyPEM the
// sandbox platform key signs (the sandbox passes only DWS_CLIENT_ID).
func NewSimulator(opts providers.SimOptions) *Simulator {
	s := &Simulator{opts: opts,
		inits: providers.NewSimTable[*simIdem](opts.MaxSessions), triggers: providers.NewSimTable[*simIdem](opts.MaxSessions),
		auths:      providers.NewSimTable[*simAuth](opts.MaxSessions),
		numberHits: providers.NewSimTable[[]time.Time](opts.MaxSessions)}
	creds := opts.Credentials
	if creds == nil {
		creds = map[string]string{CredClientID: SandboxClientID, "publicKeyPEM": SandboxClientPublicKeyPEM}
	}
	s.clientID = strings.TrimSpace(creds[CredClientID])
	if s.clientID == "" {
		s.clientID = SandboxClientID
	}
	var err error
	switch {
	case strings.TrimSpace(creds["publicKeyPEM"]) != "":
		s.clientKey, err = simPublicKey(creds["publicKeyPEM"])
	case strings.TrimSpace(creds[CredPrivateKeyPEM]) != "":
		var k *rsa.PrivateKey
		if k, err = simPrivateKey(creds[CredPrivateKeyPEM]); err == nil {
			s.clientKey = &k.PublicKey
		}
	default:
		// The sandbox passes the client id from the environment but keeps
		// its fixed key pair.
		s.clientKey, err = simPublicKey(SandboxClientPublicKeyPEM)
	}
	if err != nil {
		s.configErr = "client key: " + err.Error()
	}
	platform := creds["platformPrivateKeyPEM"]
	readPlatform := simPrivateKey
	if strings.TrimSpace(platform) == "" {
		platform = SandboxPlatformPrivateKeyPEM
		readPlatform = func(string) (*rsa.PrivateKey, error) { return sandboxPlatformKey() }
	}
	if s.platformKey, err = readPlatform(platform); err != nil {
		s.configErr = "platform key: " + err.Error()
	}
	if s.configErr != "" {
		s.logf("dws sandbox: misconfigured (%s); every request is refused", s.configErr)
	}
	return s
}

// OperatorPaths: the SMS inbox shows every code sent, so the sandbox keeps
// it from other machines (providers.OperatorPages).
func (s *Simulator) OperatorPaths() []string { return []string{SimPagePath} }

// Register mounts the routes on mux.
func (s *Simulator) Register(mux *http.ServeMux) {
	for _, prefix := range []string{"/ams/api", "/ams/sandbox/api"} {
		mux.HandleFunc("POST "+prefix+"/v1/customers/initAuthentication", s.handle(s.initAuthentication))
		mux.HandleFunc("POST "+prefix+"/v1/security/triggerChallenge", s.handle(s.triggerChallenge))
		mux.HandleFunc("POST "+prefix+"/v1/security/verifyAuthentication", s.handle(s.verifyAuthentication))
	}
	mux.HandleFunc("POST /ams/", s.invalidAPI)
	mux.HandleFunc("GET /ams/", s.methodNotSupported)
	mux.HandleFunc("GET "+SimPagePath+"{$}", s.inboxPage)
	mux.HandleFunc("GET "+SimPagePath+"inbox.json", s.inboxJSON)
	mux.HandleFunc("GET "+SimSMSPath, s.smsFor)
}

// Requests returns the requests received so far, at most the last 1000 (a testing hook).
func (s *Simulator) Requests() []SimRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SimRequest, len(s.requests))
	for i, r := range s.requests {
		out[i] = SimRequest{Path: r.Path, Header: r.Header.Clone(), Body: append([]byte(nil), r.Body...)}
	}
	return out
}

// Inbox returns the codes sent so far, newest last.
func (s *Simulator) Inbox() []SimSMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SimSMS(nil), s.inbox...)
}

func (s *Simulator) logf(format string, a ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, a...)
	}
}

// answer is what an API handler returns.
type answer struct {
	status int
	body   []byte
	signed bool
	final  bool // S or F: kept for idempotent replay
}

func result(status, code, msg string) map[string]string {
	return map[string]string{"resultStatus": status, "resultCode": code, "resultMessage": msg}
}

func (s *Simulator) reply(status, code, msg string, extra map[string]any) answer {
	m := map[string]any{"result": result(status, code, msg)}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return answer{status: http.StatusOK, body: b, signed: true, final: status != StatusUnknown}
}

func (s *Simulator) fail(code, msg string) answer { return s.reply(StatusFailed, code, msg, nil) }

type apiHandler func(r *http.Request, clientID string, body []byte, f map[string]string) answer

func (s *Simulator) handle(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
		if err != nil || len(body) > 1<<20 {
			s.write(w, r, "", s.fail(CodeParamIllegal, "the body could not be read or is larger than 1 MiB"))
			return
		}
		clientID := r.Header.Get("Client-Id")
		s.mu.Lock()
		s.requests = append(s.requests, SimRequest{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		if len(s.requests) > simMaxRecorded {
			s.requests = append([]SimRequest(nil), s.requests[len(s.requests)-simMaxRecorded:]...)
		}
		s.mu.Unlock()

		if s.configErr != "" {
			a := s.fail(CodeProcessFail, "the sandbox is misconfigured: "+s.configErr)
			a.signed = false
			s.write(w, r, clientID, a)
			return
		}
		if clientID == "" || clientID != s.clientID {
			a := s.fail(CodeInvalidClient, "Invalid client.")
			a.signed = false
			s.write(w, r, "", a)
			return
		}
		sandboxPath := strings.HasPrefix(r.URL.Path, "/ams/sandbox/api/")
		if strings.HasPrefix(clientID, SandboxPrefix) != sandboxPath {
			s.write(w, r, clientID, s.fail(CodeInvalidAPI, "API is invalid (or not active): client ids starting SANDBOX_ use /ams/sandbox/api, others /ams/api."))
			return
		}
		if msg := s.checkSignature(r, clientID, body); msg != "" {
			s.logf("dws sandbox: %s refused: %s", r.URL.Path, msg)
			a := s.fail(CodeInvalidSignature, "Signature is invalid.")
			a.signed = false
			s.write(w, r, clientID, a)
			return
		}
		if !simValidTime(r.Header.Get("Request-Time")) {
			s.write(w, r, clientID, s.fail(CodeParamIllegal, "Illegal parameters exist: the Request-Time header must be epoch milliseconds or ISO 8601."))
			return
		}
		if ct := strings.ToLower(r.Header.Get("Content-Type")); ct != "" && !strings.HasPrefix(ct, "application/json") {
			s.write(w, r, clientID, s.fail(CodeParamIllegal, "Illegal parameters exist: Content-Type must be application/json."))
			return
		}
		f, msg := simFields(body)
		if msg != "" {
			s.write(w, r, clientID, s.fail(CodeParamIllegal, "Illegal parameters exist: "+msg))
			return
		}
		s.write(w, r, clientID, h(r, clientID, body, f))
	}
}

// write sends an answer, signed with the platform key when a.signed.
func (s *Simulator) write(w http.ResponseWriter, r *http.Request, clientID string, a answer) {
	if a.status == http.StatusServiceUnavailable {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	now := s.opts.Clock()
	rt := now.Format(time.RFC3339)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Response-Time", rt)
	if clientID != "" {
		h.Set("Client-Id", clientID)
		if a.signed && s.platformKey != nil {
			content := "POST " + r.URL.RequestURI() + "\n" + clientID + "." + rt + "." + string(a.body)
			digest := sha256.Sum256([]byte(content))
			if sig, err := rsa.SignPKCS1v15(nil, s.platformKey, crypto.SHA256, digest[:]); err == nil {
				h.Set("Signature", "algorithm=RSA256,keyVersion=1,signature="+url.QueryEscape(base64.StdEncoding.EncodeToString(sig)))
			}
		}
	}
	status := a.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(a.body)
}

// checkSignature verifies the request's Signature header: the simulator's
// own reading of the AMS signature page.
func (s *Simulator) checkSignature(r *http.Request, clientID string, body []byte) string {
	h := r.Header.Get("Signature")
	if h == "" {
		return "no Signature header"
	}
	if !strings.Contains(strings.ReplaceAll(h, " ", ""), "algorithm=RSA256") {
		return "algorithm is not RSA256"
	}
	i := strings.Index(h, "signature=")
	if i < 0 {
		return "no signature= in the Signature header"
	}
	enc := h[i+len("signature="):]
	if j := strings.IndexByte(enc, ','); j >= 0 {
		enc = enc[:j]
	}
	unescaped, err := url.QueryUnescape(strings.TrimSpace(enc))
	if err != nil {
		return "signature is not URL-encoded"
	}
	sig, err := base64.StdEncoding.DecodeString(unescaped)
	if err != nil {
		return "signature is not base64"
	}
	rt := r.Header.Get("Request-Time")
	if rt == "" {
		return "no Request-Time header"
	}
	content := "POST " + r.URL.RequestURI() + "\n" + clientID + "." + rt + "." + string(body)
	digest := sha256.Sum256([]byte(content))
	if rsa.VerifyPKCS1v15(s.clientKey, crypto.SHA256, digest[:], sig) != nil {
		return "signature does not verify with the client's public key"
	}
	return ""
}

var epochMillis = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{13}$`) })

func simValidTime(v string) bool {
	if epochMillis().MatchString(v) {
		return true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700"} {
		if _, err := time.Parse(layout, v); err == nil {
			return true
		}
	}
	return false
}

// simFields reads a body whose every member is a string ("Set the data type
// of each field (except array) as String"); env (initAuthentication) and
// challengeData (verifyAuthentication's ChallengeData) must be objects of
// strings. Members are returned flat, nested ones as "env.<name>" and
// "challengeData.<name>".
func simFields(body []byte) (map[string]string, string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, "the body is not a JSON object"
	}
	if dec.More() {
		return nil, "the body has content after the JSON object"
	}
	out := map[string]string{}
	for k, v := range m {
		switch x := v.(type) {
		case string:
			out[k] = x
		case []any:
			// arrays are allowed by the string rule; none of these APIs has one
		case map[string]any:
			if k != "env" && k != "challengeData" {
				return nil, k + " must be a String"
			}
			out[k] = "" // present
			for ek, ev := range x {
				es, ok := ev.(string)
				if !ok {
					return nil, k + "." + ek + " must be a String (e.g. \"20\", not 20)"
				}
				out[k+"."+ek] = es
			}
		default:
			return nil, k + " must be a String (e.g. \"20\", not 20)"
		}
	}
	return out, ""
}

// idempotent runs process once per (client id, key): a byte-identical repeat
// of a request that reached S or F gets the same answer; another body gets
// REPEAT_REQ_INCONSISTENT. Called with s.mu held.
func (s *Simulator) idempotent(table *providers.SimTable[*simIdem], clientID, key string, body []byte, process func(rec *simIdem) answer) answer {
	k := clientID + "\x00" + key
	now := s.opts.Clock()
	s.sweep(now)
	rec, _ := table.Get(k)
	if rec != nil {
		if !bytes.Equal(rec.body, body) {
			a := s.fail(CodeRepeatReqInconsistent, "Repeated requests are inconsistent.")
			a.final = false
			return a
		}
		if rec.final != nil {
			return answer{status: rec.status, body: rec.final, signed: true, final: true}
		}
	} else {
		rec = &simIdem{body: append([]byte(nil), body...)}
		if !table.Put(k, rec, now.Add(simKeep)) {
			return s.full()
		}
	}
	a := process(rec)
	if a.final && a.status == http.StatusOK {
		rec.final, rec.status = a.body, a.status
	}
	return a
}

// sweep drops what the simulator no longer keeps. Called with s.mu held.
func (s *Simulator) sweep(now time.Time) {
	s.inits.Sweep(now)
	s.triggers.Sweep(now)
	s.auths.Sweep(now)
	s.numberHits.Sweep(now)
}

// full is the documented traffic-limit answer (REQUEST_TRAFFIC_EXCEED_LIMIT,
// status U: retry later with the same request id), given when the sandbox
// holds as many authentications as it keeps.
func (s *Simulator) full() answer {
	return s.reply(StatusUnknown, CodeRequestTrafficExceedLimit, "Request traffic exceeds the limit: the sandbox holds as many authentications as it keeps.", nil)
}

var simPhone = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([1-9][0-9]{0,2})-([0-9]{4,14})$`) })

func (s *Simulator) initAuthentication(r *http.Request, clientID string, body []byte, f map[string]string) answer {
	id := f["authenticationRequestId"]
	if id == "" {
		return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationRequestId is required.")
	}
	if len([]rune(id)) > 64 {
		return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationRequestId is longer than 64 characters.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.idempotent(s.inits, clientID, id, body, func(rec *simIdem) answer {
		switch {
		case f["authenticationMethod"] == "":
			return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationMethod is required.")
		case f["authenticationMethod"] != "OTP":
			return s.fail(CodeParamIllegal, "Illegal parameters exist: in the registration scenario authenticationMethod is OTP.")
		case f["authenticationType"] == "":
			return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationType is required.")
		case f["authenticationType"] != "SMS":
			return s.fail(CodeParamIllegal, "Illegal parameters exist: in the registration scenario authenticationType is SMS.")
		case f["identityType"] == "":
			return s.fail(CodeParamIllegal, "Illegal parameters exist: identityType is required.")
		case f["identityType"] != "MOBILENO":
			return s.fail(CodeParamIllegal, "Illegal parameters exist: in the registration scenario identityType is MOBILENO.")
		case f["identityValue"] == "":
			return s.fail(CodeParamIllegal, "Illegal parameters exist: identityValue is required.")
		}
		number := f["identityValue"]
		m := simPhone().FindStringSubmatch(number)
		if m == nil {
			return s.fail(CodeInvalidPhoneNumber, "Invalid phone number: the format is {countryCode}-{number}, e.g. 1-4154567899.")
		}
		cc, _ := strconv.Atoi(m[1])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			return s.fail(CodeInvalidPhoneNumber, "Invalid phone number: unknown country code "+m[1]+".")
		}
		if len(m[1])+len(m[2]) > 15 {
			return s.fail(CodeInvalidPhoneNumber, "Invalid phone number: an E.164 number has at most 15 digits.")
		}
		if strings.HasPrefix(m[2], "0") && m[1] != "39" {
			return s.fail(CodeInvalidPhoneNumber, "Invalid phone number: remove the leading 0 of the area code.")
		}
		switch {
		case strings.HasSuffix(m[2], SandboxSuffixUnknownOnce) && !rec.servedU:
			rec.servedU = true
			s.logf("dws sandbox: answering U once for %s (magic suffix %s)", id, SandboxSuffixUnknownOnce)
			return s.reply(StatusUnknown, CodeUnknownException, "An API call is failed, which is caused by unknown reasons.", nil)
		case strings.HasSuffix(m[2], SandboxSuffixUnavailableOnce) && !rec.served503:
			rec.served503 = true
			s.logf("dws sandbox: answering HTTP 503 once for %s (magic suffix %s)", id, SandboxSuffixUnavailableOnce)
			return answer{status: http.StatusServiceUnavailable}
		case strings.HasSuffix(m[2], SandboxSuffixAlwaysUnknown):
			return s.reply(StatusUnknown, CodeRequestTrafficExceedLimit, "Request traffic exceeds the limit.", nil)
		case strings.HasSuffix(m[2], SandboxSuffixProcessFail):
			return s.fail(CodeProcessFail, "A general business failure occurred. Don't retry.")
		case strings.HasSuffix(m[2], SandboxSuffixAccessDenied):
			return s.fail(CodeAccessDenied, "Access denied.")
		}
		now := s.opts.Clock()
		old, _ := s.numberHits.Get(number)
		hits := old[:0:0]
		for _, t := range old {
			if now.Sub(t) < SimInitWindow {
				hits = append(hits, t)
			}
		}
		if len(hits) >= SimInitLimit {
			s.numberHits.Put(number, hits, hits[len(hits)-1].Add(SimInitWindow))
			return s.fail(CodeTimesExceedLimit, "Too many requests in a short time, please try again later.")
		}
		if s.auths.Full() || (old == nil && s.numberHits.Full()) {
			return s.full()
		}
		hits = append(hits, now)
		s.numberHits.Put(number, hits, now.Add(SimInitWindow)) // kept while any hit counts
		s.seq++
		a := &simAuth{id: now.Format("20060102") + fmt.Sprintf("%08d", s.seq%100000000) + randomDigits(19),
			reqID: id, clientID: clientID, number: number}
		s.auths.Put(a.id, a, now.Add(simKeep))
		return s.reply(StatusSuccess, CodeSuccess, "success.", map[string]any{
			"authenticationRequestId": id,
			"authenticationId":        a.id,
			"actionForm":              map[string]string{"challengeType": "sms", "challengeRenderValue": simMask(number)},
		})
	})
}

func (s *Simulator) triggerChallenge(r *http.Request, clientID string, body []byte, f map[string]string) answer {
	trig, challenge := f["triggerRequestId"], f["challengeId"]
	if challenge == "" {
		return s.fail(CodeParamIllegal, "Illegal parameters exist: challengeId is required.")
	}
	if len([]rune(trig)) > 64 {
		return s.fail(CodeParamIllegal, "Illegal parameters exist: triggerRequestId is longer than 64 characters.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	process := func(*simIdem) answer {
		a, _ := s.auths.Get(challenge)
		now := s.opts.Clock()
		switch {
		case a == nil || a.clientID != clientID:
			return s.fail(CodeParamIllegal, "Illegal parameters exist: challengeId is not an authenticationId returned by initAuthentication.")
		case a.verified:
			return s.fail(CodeProcessFail, "The authentication is already verified.")
		case a.locked:
			return s.fail(CodeVerifyTimesExceedLimit, "Too many wrong codes: the authentication is locked.")
		case a.sends >= SimMaxSends:
			return s.fail(CodeSendTimesExceedLimit, "The send times exceed the limit.")
		case !a.lastSend.IsZero() && now.Sub(a.lastSend) < SimResendInterval:
			return s.fail(CodeTimesExceedLimit, "Too many requests in a short time, please try again later.")
		}
		a.code = randomDigits(6)
		a.sends++
		a.lastSend = now
		a.codeExpires = now.Add(SimCodeTTL)
		sms := SimSMS{To: simMask(a.number), Code: a.code, AuthenticationID: a.id, SentAt: now, ExpiresAt: a.codeExpires}
		s.inbox = append(s.inbox, sms)
		if len(s.inbox) > 200 {
			s.inbox = s.inbox[len(s.inbox)-200:]
		}
		s.logf("dws sandbox: SMS to %s: code %s (valid until %s)", sms.To, sms.Code, sms.ExpiresAt.Format("15:04:05"))
		extra := map[string]any{
			"challengeId": a.id,
			"actionForm":  map[string]string{"challengeType": "sms", "challengeRenderValue": simMask(a.number)},
		}
		if strings.HasPrefix(clientID, SandboxPrefix) {
			// Sandbox-only extension: the code, for the console's sandbox mode.
			extra[SandboxCodeField] = a.code
			extra[SandboxCodeExpiresField] = a.codeExpires.UTC().Format(time.RFC3339)
		}
		return s.reply(StatusSuccess, CodeSuccess, "success.", extra)
	}
	if trig == "" {
		return process(nil)
	}
	return s.idempotent(s.triggers, clientID, trig, body, process)
}

func (s *Simulator) verifyAuthentication(r *http.Request, clientID string, body []byte, f map[string]string) answer {
	// The simulator's own reading of docs/ac/dws2/verifyauthentication:
	// authenticationRequestId and authenticationId are required Strings,
	// the code travels in challengeData, a ChallengeData object, whose SMS
	// form docs/ac/dws2/verifyandresume shows as challengeType SMS_OTP and
	// otpValue.
	id, authID := f["authenticationRequestId"], f["authenticationId"]
	_, hasChallenge := f["challengeData"]
	code := f["challengeData.otpValue"]
	switch {
	case id == "":
		return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationRequestId is required.")
	case authID == "":
		return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationId is required.")
	case !hasChallenge:
		return s.fail(CodeParamIllegal, "Illegal parameters exist: challengeData is required.")
	case f["challengeData.challengeType"] == "":
		return s.fail(CodeParamIllegal, "Illegal parameters exist: challengeData.challengeType is required.")
	case f["challengeData.challengeType"] != "SMS_OTP":
		return s.fail(CodeParamIllegal, "Illegal parameters exist: challengeData.challengeType must be SMS_OTP for an SMS code.")
	case code == "":
		return s.fail(CodeParamIllegal, "Illegal parameters exist: challengeData.otpValue is required.")
	case f["authenticationMethod"] != "" && f["authenticationMethod"] != "OTP":
		return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationMethod must be OTP.")
	case f["authenticationType"] != "" && f["authenticationType"] != "SMS":
		return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationType must be SMS.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.opts.Clock())
	a, _ := s.auths.Get(authID)
	if a != nil && (a.clientID != clientID || a.reqID != id) {
		// authenticationRequestId "must be the same during the whole
		// authentication process".
		return s.fail(CodeParamIllegal, "Illegal parameters exist: authenticationRequestId is not the one this authentication was initialized with.")
	}
	now := s.opts.Clock()
	switch {
	case a == nil:
		return s.fail(CodeParamIllegal, "Illegal parameters exist: unknown authenticationId.")
	case a.locked:
		return s.fail(CodeVerifyTimesExceedLimit, "Too many wrong codes: the authentication is locked.")
	case a.verified:
		return s.reply(StatusSuccess, CodeSuccess, "success.", map[string]any{"authenticationId": a.id, "isPassed": "true"})
	case a.code == "":
		return s.fail(CodeProcessFail, "No code has been sent: call triggerChallenge first.")
	case now.After(a.codeExpires):
		return s.fail(CodeOTPExpired, "The code has expired; trigger a new one.")
	case subtle.ConstantTimeCompare([]byte(code), []byte(a.code)) != 1:
		a.wrong++
		if a.wrong >= SimMaxAttempts {
			a.locked = true
			s.logf("dws sandbox: authentication %s locked after %d wrong codes", a.id, a.wrong)
			return s.fail(CodeVerifyTimesExceedLimit, "Too many wrong codes: the authentication is locked.")
		}
		return s.fail(CodeOTPIncorrect, fmt.Sprintf("The code is incorrect; %d attempt(s) left.", SimMaxAttempts-a.wrong))
	}
	a.verified = true
	a.code = ""
	s.logf("dws sandbox: authentication %s verified", a.id)
	return s.reply(StatusSuccess, CodeSuccess, "success.", map[string]any{"authenticationId": a.id, "isPassed": "true"})
}

func (s *Simulator) invalidAPI(w http.ResponseWriter, r *http.Request) {
	clientID := r.Header.Get("Client-Id")
	if clientID != s.clientID {
		clientID = ""
	}
	s.write(w, r, clientID, s.fail(CodeInvalidAPI, "API is invalid (or not active)."))
}

func (s *Simulator) methodNotSupported(w http.ResponseWriter, r *http.Request) {
	clientID := r.Header.Get("Client-Id")
	if clientID != s.clientID {
		clientID = ""
	}
	a := s.fail(CodeMethodNotSupported, "The server does not implement the requested HTTP method.")
	a.status = http.StatusMethodNotAllowed
	w.Header().Set("Allow", "POST")
	s.write(w, r, clientID, a)
}

// simMask is the simulator's own rendering of a number, as in the seed's
// sample answer: "60-6543216353" → "+60******6353".
func simMask(number string) string {
	cc, n, ok := strings.Cut(number, "-")
	if !ok || len(n) < 6 {
		return "+" + cc + "****"
	}
	return "+" + cc + strings.Repeat("*", len(n)-4) + n[len(n)-4:]
}

func randomDigits(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err)
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

// sandboxPlatformKey is the sandbox platform's fixed private key, read
// once per process (about 0.4 ms each time: a console starts its
// in-process sandbox as it opens, tests start many). It is only read from.
var sandboxPlatformKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return simPrivateKey(SandboxPlatformPrivateKeyPEM) })

func simPEM(text string) ([]byte, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if block == nil {
		return nil, errors.New("not PEM")
	}
	return block.Bytes, nil
}

func simPrivateKey(text string) (*rsa.PrivateKey, error) {
	der, err := simPEM(text)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("not an RSA private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA private key")
	}
	return rk, nil
}

func simPublicKey(text string) (*rsa.PublicKey, error) {
	der, err := simPEM(text)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not an RSA public key")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return rk, nil
}

var inboxTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("inbox").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DWS sandbox — SMS inbox</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em;max-width:52em}table{border-collapse:collapse}
.scroll{overflow-x:auto}td{word-break:break-all}
td,th{padding:.3em .8em;border-bottom:1px solid #ccc;text-align:left}.code{font:1.4em monospace;letter-spacing:.15em}
.old{color:#888}</style></head><body>
<h1>DWS sandbox — SMS inbox</h1>
<p>Codes the simulator "sent" with triggerChallenge, newest first. Nothing leaves this machine: the real DWS sends an SMS to the customer.
Codes are valid for {{.TTL}}; {{.Attempts}} wrong codes lock an authentication; a new code every {{.Resend}} at most, {{.Sends}} per authentication.</p>
{{if .Rows}}<div class="scroll"><table><tr><th>to</th><th>code</th><th>sent</th><th>valid until</th><th>authenticationId</th></tr>
{{range .Rows}}<tr{{if .Old}} class="old"{{end}}><td>{{.To}}</td><td class="code">{{.Code}}</td><td>{{.Sent}}</td><td>{{.Until}}{{if .Old}} (expired){{end}}</td><td>{{.ID}}</td></tr>
{{end}}</table></div>{{else}}<p><em>No codes yet.</em></p>{{end}}
<h2>Magic numbers</h2>
<p>An identityValue whose number ends with:</p><ul>
<li><b>{{.U1}}</b> — the first request of each authenticationRequestId is answered U (UNKNOWN_EXCEPTION); kycdesk retries the same request and succeeds</li>
<li><b>{{.U}}</b> — always U (REQUEST_TRAFFIC_EXCEED_LIMIT): outcome unknown</li>
<li><b>{{.S503}}</b> — the first request of each id gets HTTP 503, the retry succeeds</li>
<li><b>{{.PF}}</b> — F PROCESS_FAIL</li>
<li><b>{{.AD}}</b> — F ACCESS_DENIED</li></ul>
<p>For example +60 12 345 {{.U1}}. More than {{.InitLimit}} new authentications for one number within {{.InitWindow}} are refused with TIMES_EXCEED_LIMIT. The same list as JSON: <a href="inbox.json">inbox.json</a>.</p>
</body></html>
`))
})

func (s *Simulator) inboxPage(w http.ResponseWriter, r *http.Request) {
	type row struct {
		To, Code, Sent, Until, ID string
		Old                       bool
	}
	now := s.opts.Clock()
	sms := s.Inbox()
	rows := make([]row, 0, len(sms))
	for i := len(sms) - 1; i >= 0; i-- {
		m := sms[i]
		rows = append(rows, row{To: m.To, Code: m.Code, Sent: m.SentAt.Format("15:04:05"), Until: m.ExpiresAt.Format("15:04:05"),
			ID: m.AuthenticationID, Old: now.After(m.ExpiresAt)})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = inboxTemplate().Execute(w, map[string]any{
		"Rows": rows, "TTL": SimCodeTTL.String(), "Attempts": SimMaxAttempts, "Resend": SimResendInterval.String(), "Sends": SimMaxSends,
		"U1": SandboxSuffixUnknownOnce, "U": SandboxSuffixAlwaysUnknown, "S503": SandboxSuffixUnavailableOnce,
		"PF": SandboxSuffixProcessFail, "AD": SandboxSuffixAccessDenied,
		"InitLimit": SimInitLimit, "InitWindow": SimInitWindow.String(),
	})
}

func (s *Simulator) inboxJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	sms := s.Inbox()
	if sms == nil {
		sms = []SimSMS{}
	}
	_ = json.NewEncoder(w).Encode(sms)
}
