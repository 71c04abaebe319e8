package callbacks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// The spool keeps what the receiver could not record because the store
// was down, so that the provider is still answered 200 (iDenfy: a non-200
// answer sends the customer to the failure page and retries within
// seconds; Alibaba publishes no retry at all) and the result is recorded
// when the store is back.
//
// It is one local file, 0600, rewritten whole (temporary file, then
// rename) on every change, bounded in entries and bytes: when full, the
// receiver answers as before spooling existed (503), so the provider
// retries. It holds raw webhook bodies (personal data, iDenfy) and
// Alibaba callback tokens until they are replayed, which is why it is
// private to the server's user and emptied as soon as the store answers.

// Spool bounds.
const (
	DefaultSpoolEntries = 1000
	DefaultSpoolBytes   = 8 << 20
	// DefaultSpoolRetry is the first wait before a replay; it doubles up
	// to spoolRetryMax while the store stays down.
	DefaultSpoolRetry = 2 * time.Second
	spoolRetryMax     = 30 * time.Second
)

// ErrSpoolFull: the spool holds as much as it may; the call is refused.
var ErrSpoolFull = errors.New("the callback spool is full")

// spoolEntry is one call kept for later: either the raw request (handled
// again, signature check included, when replayed) or a result already
// confirmed with the provider (Alibaba's CheckResult) to be recorded.
type spoolEntry struct {
	Provider string    `json:"provider"`
	At       time.Time `json:"at"`
	// The raw request.
	Method string            `json:"method,omitempty"`
	Path   string            `json:"path,omitempty"`
	Query  string            `json:"query,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	Body   []byte            `json:"body,omitempty"`
	// Or a confirmed result for the session with reference Ref.
	Ref    string            `json:"ref,omitempty"`
	Status *providers.Status `json:"status,omitempty"`
	Proof  Proof             `json:"proof,omitempty"`
}

func (e *spoolEntry) size() int {
	n := len(e.Provider) + len(e.Method) + len(e.Path) + len(e.Query) + len(e.Body) + len(e.Ref) + 64
	for k, v := range e.Header {
		n += len(k) + len(v)
	}
	if e.Status != nil {
		n += len(e.Status.Detail)
		for k, v := range e.Status.Fields {
			n += len(k) + len(v)
		}
	}
	return n
}

// spool is the file and its entries in memory.
type spool struct {
	path       string
	maxEntries int
	maxBytes   int

	mu      sync.Mutex
	entries []spoolEntry
	bytes   int
}

// openSpool reads what an earlier run left in path (a missing file is an
// empty spool) and makes the file private again if it was not.
func openSpool(path string, maxEntries, maxBytes int) (*spool, error) {
	sp := &spool{path: path, maxEntries: maxEntries, maxBytes: maxBytes}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return sp, nil
	case err != nil:
		return nil, fmt.Errorf("callback spool %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("callback spool %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var e spoolEntry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("callback spool %s is damaged (%v): move it aside to start without it", path, err)
		}
		sp.entries = append(sp.entries, e)
		sp.bytes += e.size()
	}
	return sp, nil
}

// add keeps e, on disk before it returns.
func (sp *spool) add(e spoolEntry) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.entries) >= sp.maxEntries || sp.bytes+e.size() > sp.maxBytes {
		return ErrSpoolFull
	}
	sp.entries = append(sp.entries, e)
	sp.bytes += e.size()
	if err := sp.saveLocked(); err != nil {
		sp.entries = sp.entries[:len(sp.entries)-1]
		sp.bytes -= e.size()
		return err
	}
	return nil
}

// len is the number of entries waiting.
func (sp *spool) len() int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return len(sp.entries)
}

// first is the oldest entry, if any.
func (sp *spool) first() (spoolEntry, bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.entries) == 0 {
		return spoolEntry{}, false
	}
	return sp.entries[0], true
}

// dropFirst removes the oldest entry (replayed, or refused for good).
func (sp *spool) dropFirst() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.entries) == 0 {
		return nil
	}
	sp.bytes -= sp.entries[0].size()
	sp.entries = sp.entries[1:]
	return sp.saveLocked()
}

// saveLocked writes the entries, one JSON object a line, to a private
// temporary file renamed over the spool; an empty spool removes the file.
func (sp *spool) saveLocked() error {
	if len(sp.entries) == 0 {
		if err := os.Remove(sp.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range sp.entries {
		if err := enc.Encode(&sp.entries[i]); err != nil {
			return err
		}
	}
	f, err := os.CreateTemp(filepath.Dir(sp.path), ".callbacks-spool-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	ok = true
	return os.Rename(tmp, sp.path)
}

// replayKey marks a request replayed from the spool: a store error then
// fails the replay instead of spooling the request again.
type replayKey struct{}

type replayState struct{ storeDown bool }

func replaying(ctx context.Context) *replayState {
	st, _ := ctx.Value(replayKey{}).(*replayState)
	return st
}

// spoolRequest keeps a request that could not be recorded and answers the
// provider with ok; false when it was not kept (no spool, full, a disk
// error, or a replay: the caller answers as without a spool).
func (r *Receiver) spoolRequest(req *http.Request, provider string, body []byte) bool {
	if st := replaying(req.Context()); st != nil {
		st.storeDown = true
		return false
	}
	if r.spool.Load() == nil {
		return false
	}
	e := spoolEntry{Provider: provider, At: r.now().UTC(), Method: req.Method, Path: req.URL.Path,
		Query: req.URL.RawQuery, Body: body, Header: map[string]string{}}
	for _, h := range r.spoolHeaders {
		if v := req.Header.Get(h); v != "" {
			e.Header[h] = v
		}
	}
	return r.keep(e)
}

// spoolStatus keeps a confirmed result the store could not record.
func (r *Receiver) spoolStatus(provider, ref string, st *providers.Status, proof Proof) bool {
	if r.spool.Load() == nil {
		return false
	}
	return r.keep(spoolEntry{Provider: provider, At: r.now().UTC(), Ref: ref, Status: st, Proof: proof})
}

func (r *Receiver) keep(e spoolEntry) bool {
	sp := r.spool.Load()
	if err := sp.add(e); err != nil {
		r.logf("callbacks: %s: not spooled: %s", e.Provider, providers.SanitizeLine(err.Error()))
		return false
	}
	r.logf("callbacks: %s: the store is not answering; kept in the spool (%d waiting) to record when it is back", e.Provider, sp.len())
	r.scheduleReplay()
	return true
}

// Spooled is the number of calls waiting in the spool.
func (r *Receiver) Spooled() int {
	if sp := r.spool.Load(); sp != nil {
		return sp.len()
	}
	return 0
}

// scheduleReplay arms the replay timer unless it is armed.
func (r *Receiver) scheduleReplay() {
	r.replayMu.Lock()
	defer r.replayMu.Unlock()
	if r.closed || r.replayTimer != nil {
		return
	}
	if r.replayWait <= 0 {
		r.replayWait = r.opts.SpoolRetry
	}
	r.replayTimer = time.AfterFunc(r.replayWait, func() {
		r.replayMu.Lock()
		r.replayTimer = nil
		r.replayMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.ConfirmTimeout)
		_, err := r.Replay(ctx)
		cancel()
		r.replayMu.Lock()
		if err != nil {
			r.replayWait = min(2*r.replayWait, spoolRetryMax)
		} else {
			r.replayWait = r.opts.SpoolRetry
		}
		r.replayMu.Unlock()
		if r.Spooled() > 0 {
			r.scheduleReplay()
		}
	})
}

// Replay records what the spool holds, oldest first, and returns how many
// entries it took out. It stops at the first one the store still cannot
// take (the error says so); entries the receiver refuses for good (a bad
// signature, an unknown session) are dropped, counted as they would have
// been when they arrived.
func (r *Receiver) Replay(ctx context.Context) (int, error) {
	sp := r.spool.Load()
	if sp == nil {
		return 0, nil
	}
	r.replayRun.Lock() // one replay at a time: entries are taken in order
	defer r.replayRun.Unlock()
	n := 0
	for {
		e, ok := sp.first()
		if !ok {
			return n, nil
		}
		if err := r.replayOne(ctx, e); err != nil {
			return n, err
		}
		if err := sp.dropFirst(); err != nil {
			return n, fmt.Errorf("callback spool: %w", err)
		}
		n++
		r.logf("callbacks: %s: replayed a call kept since %s", e.Provider, e.At.Format(time.RFC3339))
	}
}

func (r *Receiver) replayOne(ctx context.Context, e spoolEntry) error {
	if e.Status != nil {
		if err := r.sink.Record(ctx, e.Provider, e.Ref, clean(e.Status), e.Proof); err != nil {
			return fmt.Errorf("the store still does not answer: %s", providers.SanitizeLine(err.Error()))
		}
		r.count(e.Provider, Accepted, ReasonRecorded)
		return nil
	}
	st := &replayState{}
	target := e.Path
	if e.Query != "" {
		target += "?" + e.Query
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, replayKey{}, st), e.Method, target, bytes.NewReader(e.Body))
	if err != nil {
		r.logf("callbacks: %s: a spooled call is unreadable (%s); dropped", e.Provider, providers.SanitizeLine(err.Error()))
		return nil
	}
	for k, v := range e.Header {
		req.Header.Set(k, v)
	}
	r.mux.ServeHTTP(&discard{h: http.Header{}}, req)
	if st.storeDown {
		return errors.New("the store still does not answer")
	}
	return nil
}

// discard is the answer to a replayed call: nobody waits for it.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// OpenSpool keeps calls the store cannot take in the file at path (0600)
// from now on, and replays in the background what an earlier run left
// there. Call it once, before serving.
func (r *Receiver) OpenSpool(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("callback spool: %w", err)
	}
	sp, err := openSpool(path, r.opts.SpoolEntries, r.opts.SpoolBytes)
	if err != nil {
		return err
	}
	r.spool.Store(sp)
	if sp.len() > 0 {
		r.logf("callbacks: %d call(s) left in the spool %s by an earlier run; replaying", sp.len(), path)
		r.scheduleReplay()
	}
	return nil
}

// Close stops the replay timer (what is spooled stays in the file for the
// next start) and waits for background confirmations.
func (r *Receiver) Close() {
	r.replayMu.Lock()
	r.closed = true
	if r.replayTimer != nil {
		r.replayTimer.Stop()
		r.replayTimer = nil
	}
	r.replayMu.Unlock()
	r.work.wait()
}
