// Package callbacks is kycdesk's callback receiver: an http.Handler that
// takes the providers' result notifications and writes them to a Sink (the
// session store). Parsing and verification live in the provider packages;
// this package only mounts them, bounds them and records.
//
//	POST /callbacks/idenfy   iDenfy's identification webhook (Idenfy-Signature)
//	GET  /callbacks/alibaba  Alibaba's CallbackUrl call (callbackToken), then one CheckResult
//
// Every call is answered within a second. Nothing is recorded without the
// provider's proof: an iDenfy webhook whose Idenfy-Signature verifies is
// recorded as it is (ProofSignature), before answering; an unsigned or
// badly signed one (or any, when no signing key is configured) is never
// recorded from its body: it only prompts one status request to iDenfy's
// API for that session (at most one per MinAskInterval), whose answer is
// recorded (ProofAPI). Alibaba's callback prompts one CheckResult in the
// background after a 200; its answer is what gets recorded.
// How each provider expects to be answered is that provider's package's
// rule (alibaba.CallbackAnswerStatus…). A call the store cannot take is
// kept in a local spool and replayed when the store is back (spool.go).
package callbacks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// Paths the receiver mounts.
var (
	IdenfyPath  = providers.CallbackPath(idenfy.ID)
	AlibabaPath = providers.CallbackPath(alibaba.ID)
)

// ErrUnknownSession is what Sink.Session returns for a reference it does
// not know.
var ErrUnknownSession = errors.New("no session with this reference")

// Session is what the receiver needs to know about a launched session.
type Session struct {
	// Launch holds the session's references (scanRef; TransactionId and
	// MerchantBizId).
	Launch *providers.Launch
	// Client asks the provider about it (Alibaba's CheckResult), configured
	// with the credentials the session was launched with. Not needed for
	// iDenfy.
	Client providers.Client
	// Final: a final result is already recorded for the session.
	Final bool
}

// Sink is where results go: the session store, whose change feed updates
// every screen showing the session.
type Sink interface {
	// Session finds a session by provider id and the provider's main
	// reference (scanRef, TransactionId); ErrUnknownSession if none.
	Session(ctx context.Context, provider, ref string) (*Session, error)
	// Record appends a result for the session, with what proves it;
	// ErrUnknownSession when there is none. st is sanitized and bounded.
	Record(ctx context.Context, provider, ref string, st *providers.Status, proof Proof) error
}

// Proof is what a recorded result rests on.
type Proof string

const (
	// ProofSignature: the callback's body, whose signature verified.
	ProofSignature Proof = "signature"
	// ProofAPI: the provider's API answered kycdesk's own request.
	ProofAPI Proof = "api"
)

// MinAskInterval is how often, at most, an unverified iDenfy webhook makes
// the receiver ask iDenfy's status API about one session (its docs ask not
// to poll; the console's own r keeps the same interval).
const MinAskInterval = 10 * time.Second

// Options configure a Receiver.
type Options struct {
	// IdenfySigningKey is the webhook's signing key (iDenfy dashboard →
	// Notifications → Headers). A webhook whose signature verifies is
	// recorded; any other (unsigned, badly signed, or every one when the
	// key is empty) is answered 200, counted ("unsigned", "bad_signature")
	// and only prompts a status request to iDenfy's API.
	IdenfySigningKey []byte
	// AlibabaKey is the CallbackTarget.Key the clients derived each
	// session's CallbackToken from. Without it every Alibaba callback is
	// refused (no token can be checked).
	AlibabaKey []byte
	// MaxBody bounds a webhook body (default 64 KiB).
	MaxBody int64
	// AnswerTimeout bounds the work done before answering (default 800 ms).
	AnswerTimeout time.Duration
	// ConfirmTimeout bounds a background CheckResult (default 30 s).
	ConfirmTimeout time.Duration
	// SpoolEntries and SpoolBytes bound the spool (OpenSpool; defaults
	// DefaultSpoolEntries, DefaultSpoolBytes); SpoolRetry is the first
	// wait before replaying it (DefaultSpoolRetry).
	SpoolEntries int
	SpoolBytes   int
	SpoolRetry   time.Duration
	Now          clock.Func // nil: the system clock
	Logf         func(format string, a ...any)
	// OnCount, when set, is called for every counted call (metrics).
	OnCount func(Count)
}

// Outcomes of a call.
const (
	Accepted = "accepted"
	Refused  = "refused"
)

// Reasons a call is counted with.
const (
	ReasonRecorded       = "recorded"        // a result was recorded
	ReasonConfirming     = "confirming"      // Alibaba: CheckResult started
	ReasonNoStatus       = "no_status"       // an event without a status (DOCUMENT_EXPIRATION)
	ReasonUnsigned       = "unsigned"        // no signature, or no key to check one: the status API is asked
	ReasonBadSignature   = "bad_signature"   // the signature does not match: the status API is asked
	ReasonAsked          = "asked"           // the status API answered what was recorded
	ReasonAskedRecently  = "asked_recently"  // the status API was asked about the session less than MinAskInterval ago
	ReasonBadToken       = "bad_token"       // the callback token does not match the session
	ReasonNoKey          = "no_key"          // no key to check Alibaba tokens
	ReasonReplayed       = "replayed"        // a valid token again within alibaba.ConfirmEvery, or after the result
	ReasonProbe          = "probe"           // a reachability check: no transaction named
	ReasonSpooled        = "spooled"         // the store is down: kept in the spool
	ReasonMalformed      = "malformed"       // unreadable payload or query
	ReasonTooLarge       = "too_large"       // body or query over the bound
	ReasonMethod         = "method"          // wrong HTTP method
	ReasonUnknownSession = "unknown_session" // not a session of this store
	ReasonStoreError     = "store_error"     // the sink failed
	ReasonConfirmFailed  = "confirm_failed"  // Alibaba: CheckResult failed
)

// Count is one counter: calls per provider, outcome and reason.
type Count struct {
	Provider, Outcome, Reason string
	N                         uint64
}

// Receiver is the callback receiver. It is safe for concurrent use.
type Receiver struct {
	sink Sink
	opts Options
	mux  *http.ServeMux

	mu     sync.Mutex
	counts map[[3]string]uint64
	// confirmed is when a callback last started a CheckResult, per
	// TransactionId (alibaba.ConfirmEvery).
	confirmed map[string]time.Time
	// asked is when the status API was last asked about an iDenfy session
	// because of an unverified webhook (by scanRef).
	asked map[string]time.Time
	// unverified is set by an unverified iDenfy webhook and cleared by a
	// good one: the desks and the log say the signing key is wrong.
	unverified bool
	// work counts the background confirmations under way (Wait). Not a
	// WaitGroup: a callback may start one while Wait is waiting, which a
	// WaitGroup forbids once its counter is zero.
	work inflight

	spool        atomic.Pointer[spool] // nil: no spool (OpenSpool)
	spoolHeaders []string
	replayRun    sync.Mutex // one replay at a time
	replayMu     sync.Mutex // the fields below
	replayTimer  *time.Timer
	replayWait   time.Duration
	closed       bool
}

// New makes a receiver writing to sink.
func New(sink Sink, opts Options) *Receiver {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 64 << 10
	}
	if opts.AnswerTimeout <= 0 {
		opts.AnswerTimeout = 800 * time.Millisecond
	}
	if opts.ConfirmTimeout <= 0 {
		opts.ConfirmTimeout = 30 * time.Second
	}
	if opts.SpoolEntries <= 0 {
		opts.SpoolEntries = DefaultSpoolEntries
	}
	if opts.SpoolBytes <= 0 {
		opts.SpoolBytes = DefaultSpoolBytes
	}
	if opts.SpoolRetry <= 0 {
		opts.SpoolRetry = DefaultSpoolRetry
	}
	r := &Receiver{sink: sink, opts: opts, mux: http.NewServeMux(),
		counts: map[[3]string]uint64{}, confirmed: map[string]time.Time{}, asked: map[string]time.Time{},
		// What a replay needs besides the body: the signature and event type.
		spoolHeaders: []string{"Content-Type", idenfy.SignatureHeader, idenfy.EventTypeHeader}}
	r.mux.HandleFunc(IdenfyPath, r.idenfy)
	r.mux.HandleFunc(AlibabaPath, r.alibaba)
	return r
}

// ServeHTTP serves /callbacks/idenfy and /callbacks/alibaba (404 elsewhere).
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.mux.ServeHTTP(w, req) }

// Counts returns every counter, sorted (for /metrics).
func (r *Receiver) Counts() []Count {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Count, 0, len(r.counts))
	for k, n := range r.counts {
		out = append(out, Count{Provider: k[0], Outcome: k[1], Reason: k[2], N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		if a.Outcome != b.Outcome {
			return a.Outcome < b.Outcome
		}
		return a.Reason < b.Reason
	})
	return out
}

// Count returns one counter's value.
func (r *Receiver) Count(provider, outcome, reason string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[[3]string{provider, outcome, reason}]
}

// SignatureProblem says, while the last iDenfy webhook did not verify,
// what the operator of the server must check; "" once a good one arrived
// (or before any came).
func (r *Receiver) SignatureProblem() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.unverified {
		return ""
	}
	if len(r.opts.IdenfySigningKey) == 0 {
		return "iDenfy webhooks arrive unsigned-checked (no IDENFY_WEBHOOK_SIGNING_KEY): results come from iDenfy's status API instead"
	}
	return "iDenfy webhooks fail their signature: check IDENFY_WEBHOOK_SIGNING_KEY"
}

// Wait blocks until every background confirmation started so far has
// been recorded (tests, shutdown).
func (r *Receiver) Wait() { r.work.wait() }

func (r *Receiver) count(provider, outcome, reason string) {
	r.mu.Lock()
	r.counts[[3]string{provider, outcome, reason}]++
	r.mu.Unlock()
	if r.opts.OnCount != nil {
		r.opts.OnCount(Count{Provider: provider, Outcome: outcome, Reason: reason, N: 1})
	}
}

func (r *Receiver) now() time.Time { return r.opts.Now.Now() }

func (r *Receiver) logf(format string, a ...any) {
	if r.opts.Logf != nil {
		r.opts.Logf(format, a...)
	}
}

// answer writes a short plain-text answer and counts the call.
func (r *Receiver) answer(w http.ResponseWriter, provider string, status int, outcome, reason string) {
	r.count(provider, outcome, reason)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s: %s\n", outcome, reason)
}

// clean bounds and sanitizes a status from the network before it is stored
// and displayed.
func clean(st *providers.Status) *providers.Status {
	out := &providers.Status{State: st.State, At: st.At, Detail: clip(providers.SanitizeLine(st.Detail), 500)}
	switch out.State {
	case providers.StatePending, providers.StateApproved, providers.StateDenied, providers.StateSuspected,
		providers.StateExpired, providers.StateUnknown:
	default:
		out.State = providers.StateUnknown
	}
	if len(st.Fields) > 0 {
		out.Fields = map[string]string{}
		keys := make([]string, 0, len(st.Fields))
		for k := range st.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i == 32 {
				break
			}
			out.Fields[clip(providers.SanitizeLine(k), 64)] = clip(providers.SanitizeLine(st.Fields[k]), 300)
		}
	}
	return out
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// idenfy takes iDenfy's webhook: the signature over the raw body first,
// then the payload.
func (r *Receiver) idenfy(w http.ResponseWriter, req *http.Request) {
	const p = idenfy.ID
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.answer(w, p, http.StatusMethodNotAllowed, Refused, ReasonMethod)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, r.opts.MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			r.answer(w, p, http.StatusRequestEntityTooLarge, Refused, ReasonTooLarge)
			return
		}
		r.answer(w, p, http.StatusBadRequest, Refused, ReasonMalformed)
		return
	}
	reason := ReasonUnsigned
	if len(r.opts.IdenfySigningKey) > 0 {
		switch err := idenfy.VerifyWebhook(r.opts.IdenfySigningKey, body, req.Header.Get(idenfy.SignatureHeader)); err {
		case nil:
			reason = ""
		case idenfy.ErrUnsigned:
		default:
			reason = ReasonBadSignature
		}
	}
	hook, err := idenfy.ParseWebhook(body, req.Header.Get(idenfy.EventTypeHeader))
	if err != nil {
		r.answer(w, p, http.StatusBadRequest, Refused, ReasonMalformed)
		return
	}
	if reason != "" {
		// Not the provider's proof: its body is never recorded. It only
		// says something may have happened to the session it names.
		r.mu.Lock()
		r.unverified = true
		r.mu.Unlock()
		r.logf("callbacks: idenfy webhook %s (scanRef=%s): not recorded; asking iDenfy's status API instead (check %s)",
			reason, hook.ScanRef, "IDENFY_WEBHOOK_SIGNING_KEY")
		r.askIdenfy(req.Context(), hook.ScanRef)
		// 200 all the same: iDenfy sends the customer to the failure page
		// on any other answer, whatever the result.
		r.answer(w, p, http.StatusOK, Refused, reason)
		return
	}
	r.mu.Lock()
	r.unverified = false
	r.mu.Unlock()
	st := hook.Status(r.now())
	if st == nil {
		r.answer(w, p, http.StatusOK, Accepted, ReasonNoStatus)
		return
	}
	ctx, cancel := context.WithTimeout(req.Context(), r.opts.AnswerTimeout)
	defer cancel()
	// One lookup: the sink finds the session by its reference as it
	// records. A later final verdict after a final one (a manual review,
	// a resubmission) supersedes it; the store's rules decide, in its
	// transaction.
	err = r.sink.Record(ctx, p, hook.ScanRef, clean(st), ProofSignature)
	if errors.Is(err, ErrUnknownSession) {
		// Not a session of this desk (the account's webhook serves other
		// systems too): answered 200 so iDenfy does not retry.
		r.answer(w, p, http.StatusOK, Refused, ReasonUnknownSession)
		return
	}
	if err != nil {
		// iDenfy retries on a non-2xx answer.
		r.logf("callbacks: idenfy scanRef=%s not recorded: %s", hook.ScanRef, providers.SanitizeLine(err.Error()))
		if r.spoolRequest(req, p, body) {
			r.answer(w, p, http.StatusOK, Accepted, ReasonSpooled)
			return
		}
		r.answer(w, p, http.StatusServiceUnavailable, Refused, ReasonStoreError)
		return
	}
	r.logf("callbacks: idenfy scanRef=%s → %s (final %v)", hook.ScanRef, st.State, hook.Final)
	r.answer(w, p, http.StatusOK, Accepted, ReasonRecorded)
}

// askIdenfy asks iDenfy's status API once about the session an
// unverified webhook names, in the background, at most once per
// MinAskInterval per session, and records the answer (ProofAPI).
func (r *Receiver) askIdenfy(ctx context.Context, scanRef string) {
	const p = idenfy.ID
	now := r.now()
	r.mu.Lock()
	if at, ok := r.asked[scanRef]; ok && now.Sub(at) < MinAskInterval {
		r.mu.Unlock()
		r.count(p, Refused, ReasonAskedRecently)
		return
	}
	if len(r.asked) >= 4096 {
		for k, at := range r.asked {
			if now.Sub(at) >= MinAskInterval {
				delete(r.asked, k)
			}
		}
	}
	if len(r.asked) >= 4096 { // a flood of distinct references: ask none
		r.mu.Unlock()
		r.count(p, Refused, ReasonAskedRecently)
		return
	}
	r.asked[scanRef] = now
	r.mu.Unlock()
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.AnswerTimeout)
	sess, err := r.sink.Session(lctx, p, scanRef)
	cancel()
	if err != nil || sess.Client == nil || sess.Launch == nil {
		if err != nil && !errors.Is(err, ErrUnknownSession) {
			r.logf("callbacks: idenfy scanRef=%s: %s", scanRef, providers.SanitizeLine(err.Error()))
		}
		return
	}
	r.work.add()
	go func() {
		defer r.work.done()
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.ConfirmTimeout)
		defer cancel()
		st, err := sess.Client.Status(ctx, sess.Launch)
		if err != nil {
			r.logf("callbacks: idenfy scanRef=%s: the status API failed: %s", scanRef, providers.SanitizeLine(err.Error()))
			r.count(p, Refused, ReasonConfirmFailed)
			return
		}
		cst := clean(st)
		if err := r.sink.Record(ctx, p, scanRef, cst, ProofAPI); err != nil {
			r.logf("callbacks: idenfy scanRef=%s not recorded: %s", scanRef, providers.SanitizeLine(err.Error()))
			if r.spoolStatus(p, scanRef, cst, ProofAPI) {
				r.count(p, Accepted, ReasonSpooled)
				return
			}
			r.count(p, Refused, ReasonStoreError)
			return
		}
		r.logf("callbacks: idenfy scanRef=%s → %s (status API)", scanRef, st.State)
		r.count(p, Accepted, ReasonAsked)
	}()
}

// alibaba takes Alibaba's callback. Every GET gets Alibaba's one answer
// (alibaba.CallbackAnswerStatus); what happened is only counted and
// logged. A callback whose token is the session's starts one CheckResult
// in the background, at most one per session per alibaba.ConfirmEvery,
// and its answer (not the callback's passed) is what gets recorded.
func (r *Receiver) alibaba(w http.ResponseWriter, req *http.Request) {
	const p = alibaba.ID
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		r.answer(w, p, http.StatusMethodNotAllowed, Refused, ReasonMethod)
		return
	}
	if int64(len(req.URL.RawQuery)) > 4096 {
		r.answer(w, p, http.StatusRequestURITooLong, Refused, ReasonTooLarge)
		return
	}
	ok := func(outcome, reason string) {
		r.count(p, outcome, reason)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(alibaba.CallbackAnswerStatus)
		io.WriteString(w, alibaba.CallbackAnswerBody)
	}
	q := req.URL.Query()
	if req.Method == http.MethodHead || alibaba.IsReachabilityCheck(q) {
		ok(Accepted, ReasonProbe)
		return
	}
	cb, err := alibaba.ParseCallback(q)
	if err != nil {
		ok(Refused, ReasonMalformed)
		return
	}
	if len(r.opts.AlibabaKey) == 0 {
		r.logf("callbacks: alibaba: no key to check callback tokens; callback ignored")
		ok(Refused, ReasonNoKey)
		return
	}
	ctx, cancel := context.WithTimeout(req.Context(), r.opts.AnswerTimeout)
	defer cancel()
	sess, err := r.sink.Session(ctx, p, cb.TransactionID)
	switch {
	case errors.Is(err, ErrUnknownSession):
		ok(Refused, ReasonUnknownSession)
		return
	case err != nil:
		r.logf("callbacks: alibaba TransactionId=%s: %s", cb.TransactionID, providers.SanitizeLine(err.Error()))
		if r.spoolRequest(req, p, nil) {
			ok(Accepted, ReasonSpooled)
			return
		}
		ok(Refused, ReasonStoreError)
		return
	}
	if sess.Launch == nil || !alibaba.CheckCallback(r.opts.AlibabaKey, sess.Launch.References["MerchantBizId"], cb) {
		r.logf("callbacks: alibaba TransactionId=%s refused: the token does not match the session", cb.TransactionID)
		ok(Refused, ReasonBadToken)
		return
	}
	if sess.Final {
		ok(Refused, ReasonReplayed)
		return
	}
	if sess.Client == nil {
		r.logf("callbacks: alibaba TransactionId=%s: no client to ask CheckResult with", cb.TransactionID)
		ok(Refused, ReasonConfirmFailed)
		return
	}
	now := r.now()
	r.mu.Lock()
	last, seen := r.confirmed[cb.TransactionID]
	soon := seen && now.Sub(last) < alibaba.ConfirmEvery && now.Sub(last) >= 0
	if !soon {
		if len(r.confirmed) > 256 {
			for id, at := range r.confirmed {
				if now.Sub(at) >= alibaba.ConfirmEvery {
					delete(r.confirmed, id)
				}
			}
		}
		r.confirmed[cb.TransactionID] = now
	}
	r.mu.Unlock()
	if soon {
		r.logf("callbacks: alibaba TransactionId=%s: CheckResult already asked within %s; not asked again", cb.TransactionID, alibaba.ConfirmEvery)
		ok(Refused, ReasonReplayed)
		return
	}
	r.work.add()
	go r.confirm(sess, cb)
	ok(Accepted, ReasonConfirming)
}

// confirm runs the one CheckResult a callback triggers and records its
// answer; an answer the store cannot take is spooled.
func (r *Receiver) confirm(sess *Session, cb *alibaba.Callback) {
	defer r.work.done()
	const p = alibaba.ID
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.ConfirmTimeout)
	defer cancel()
	st, err := sess.Client.Status(ctx, sess.Launch)
	if err != nil {
		r.logf("callbacks: alibaba TransactionId=%s: CheckResult failed: %s", cb.TransactionID, providers.SanitizeLine(err.Error()))
		r.count(p, Refused, ReasonConfirmFailed)
		return
	}
	cst := clean(st)
	if err := r.sink.Record(ctx, p, cb.TransactionID, cst, ProofAPI); err != nil {
		r.logf("callbacks: alibaba TransactionId=%s not recorded: %s", cb.TransactionID, providers.SanitizeLine(err.Error()))
		if r.spoolStatus(p, cb.TransactionID, cst, ProofAPI) {
			r.count(p, Accepted, ReasonSpooled)
			return
		}
		r.count(p, Refused, ReasonStoreError)
		return
	}
	r.logf("callbacks: alibaba TransactionId=%s → %s (CheckResult)", cb.TransactionID, st.State)
	r.count(p, Accepted, ReasonRecorded)
}

// inflight counts work under way; wait returns once none is, whenever
// work starts.
type inflight struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (f *inflight) init() {
	if f.cond == nil {
		f.cond = sync.NewCond(&f.mu)
	}
}

func (f *inflight) add() {
	f.mu.Lock()
	f.init()
	f.n++
	f.mu.Unlock()
}

func (f *inflight) done() {
	f.mu.Lock()
	f.init()
	if f.n--; f.n <= 0 {
		f.n = 0
		f.cond.Broadcast()
	}
	f.mu.Unlock()
}

func (f *inflight) wait() {
	f.mu.Lock()
	f.init()
	for f.n > 0 {
		f.cond.Wait()
	}
	f.mu.Unlock()
}
