package session

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ErrNotFound is returned (wrapped) by Get and the journal's writers for an
// id that matches no session.
var ErrNotFound = errors.New("no such session")

// ErrAmbiguous is returned (wrapped) by Get for a prefix that matches
// several sessions.
var ErrAmbiguous = errors.New("ambiguous session id")

// maxWarnings bounds Warnings; Torn keeps counting.
const maxWarnings = 20

// lockTimeout bounds the wait for another process's append.
const lockTimeout = 10 * time.Second

// DefaultPath is $XDG_STATE_HOME/kycdesk/sessions.jsonl, or
// ~/.local/state/kycdesk/sessions.jsonl when XDG_STATE_HOME is unset or not
// absolute. It is "" when neither is known; Open("") says so. getenv
// reads the environment (nil: the process's), so tests control it.
func DefaultPath(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "kycdesk", "sessions.jsonl")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".local", "state", "kycdesk", "sessions.jsonl")
}

// Journal is the session journal: the file and the sessions folded from
// it. It is safe for concurrent use; several Journals (in one process or
// several) may share a file.
type Journal struct {
	// Now stamps status changes without a time and resolutions; nil means
	// time.Now.
	Now func() time.Time

	path string
	f    *os.File

	// wmu serialises reading from and appending to the file and every
	// change of state; mu guards the state for readers.
	wmu sync.Mutex
	mu  sync.RWMutex

	off       int64 // bytes of the file folded so far
	endsClean bool  // the file ends with a newline (or is empty)

	order []*Session     // oldest intent first
	byID  map[string]int // id → index in order
	// imu guards search, the filter text by index in order ("" until
	// Filter computes it); writers clear entries under mu.
	imu      sync.Mutex
	search   []string
	inflight map[string]bool
	histSlab []StatusChange
	torn     int
	// readWarnings are about the journal's content (torn lines, records
	// that could not be applied); notes about this opening of it.
	readWarnings []string
	notes        []string
	snapOff      int64 // the journal offset the snapshot on disk was taken at
	closed       bool
}

// Open opens (creating it if needed) the journal at path and folds every
// record. The directory is created 0700, the file 0600; a file readable or
// writable by others is set back to 0600, with a warning. A torn or
// malformed line is skipped and reported by Torn and Warnings.
func Open(path string) (*Journal, error) {
	if path == "" {
		return nil, errors.New("journal: no path: neither XDG_STATE_HOME nor the home directory is known")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{path: path, f: f, endsClean: true,
		byID: map[string]int{}, inflight: map[string]bool{}}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("journal: %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: %s is readable by others (mode %04o) and cannot be fixed: %w", path, perm, err)
		}
		j.notes = append(j.notes, fmt.Sprintf("%s was mode %04o (readable by others); set to 0600", path, perm))
	}
	if fi.Size() == 0 {
		// A new file: make its directory entry durable too.
		syncDir(dir)
	}
	j.wmu.Lock()
	defer j.wmu.Unlock()
	if fi.Size() >= snapshotMinSize {
		j.loadSnapshot(fi.Size())
		removeStaleTemps(path)
	}
	if _, err := j.catchUp(true, false); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Close closes the file. The sessions stay readable.
func (j *Journal) Close() error {
	j.wmu.Lock()
	defer j.wmu.Unlock()
	if j.closed {
		return nil
	}
	if j.snapshotDue() {
		// A cache: failing to write it costs the next Open time, nothing else.
		_ = j.checkpoint()
	}
	j.closed = true
	return j.f.Close()
}

// Torn is the number of lines skipped because they could not be decoded:
// a last line cut short by a crash, or a damaged line.
func (j *Journal) Torn() int {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.torn
}

// Warnings describes what was fixed on opening and what was skipped while
// reading (at most 20 of those).
func (j *Journal) Warnings() []string {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return append(slices.Clone(j.notes), j.readWarnings...)
}

// Len is the number of sessions.
func (j *Journal) Len() int {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return len(j.order)
}

func (j *Journal) warn(msg string) {
	if len(j.readWarnings) < maxWarnings {
		j.readWarnings = append(j.readWarnings, msg)
	}
}

func (j *Journal) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Reload folds the records other processes appended since the last read.
// It returns how many records it read. It is cheap when nothing changed.
func (j *Journal) Reload() (int, error) {
	j.wmu.Lock()
	defer j.wmu.Unlock()
	if j.closed {
		return 0, errors.New("journal: closed")
	}
	fi, err := j.f.Stat()
	if err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	if fi.Size() == j.off {
		return 0, nil
	}
	n, err := j.catchUp(true, true)
	return n, err
}

// apply folds one record. With cow, a session that changes is copied first
// so that snapshots already handed out stay as they were; without it (the
// initial load) sessions are changed in place and indexed afterwards. It
// returns a warning for a record that cannot be applied. The caller holds
// wmu and mu.
func (j *Journal) apply(r *record, cow bool) string {
	var idx int
	var ok bool
	switch s := r.sess; {
	case s != nil && s.pos > 0 && s.pos <= len(j.order) && j.order[s.pos-1] == s:
		idx, ok = s.pos-1, true
	case s != nil && s == r.intent:
		// The first intent of this id in its chunk: nearly always a new
		// session, so insert it and look at once; an id already known (a
		// retry whose session began in an earlier chunk) is put back.
		n := len(j.byID)
		j.byID[r.id] = len(j.order)
		if len(j.byID) > n {
			j.install(r, cow)
			return ""
		}
		for i := len(j.order) - 1; i >= 0; i-- {
			if j.order[i].ID == r.id {
				idx, ok = i, true
				break
			}
		}
		j.byID[r.id] = idx
	default:
		idx, ok = j.byID[r.id]
	}
	if r.kind == recIntent && !ok {
		j.byID[r.id] = len(j.order)
		j.install(r, cow)
		return ""
	}
	if !ok {
		return fmt.Sprintf("%s record for session %s, which has no intent; skipped", kindName(r.kind), r.id)
	}
	old := j.order[idx]
	s := old
	if cow {
		c := *old
		s = &c
	}
	switch r.kind {
	case recIntent: // a retry
		if old.Launched() {
			return fmt.Sprintf("retry intent for session %s, which was already launched; skipped", r.id)
		}
		s.Attempts = max(r.intent.Attempts, old.Attempts+1)
		if r.intent.values != "" {
			s.values = r.intent.values
		}
		if r.intent.RequestHash != "" {
			s.RequestHash = r.intent.RequestHash
		}
		s.State = StateOutcomeUnknown
	case recOutcome:
		if !cow && s.History == nil && r.out.err == nil {
			s.History = j.history()
		}
		if w := foldOutcome(s, r, cow); w != "" {
			return w
		}
	case recStatus:
		if !old.Launched() {
			return fmt.Sprintf("status record for session %s, which was never launched; skipped", r.id)
		}
		s.State = r.state
		s.History = appendHistory(s.History, StatusChange{State: r.state, Detail: r.text, At: r.at, Operator: r.operator, Desk: r.desk}, cow)
	case recResolved:
		s.Resolution, s.ResolvedAt = r.text, r.at
		if s.State == StateOutcomeUnknown {
			s.State = StateResolved
		}
	case recAudit:
		return "" // the trail is in the file; the folded session does not change
	}
	if cow {
		j.order[idx] = s
		if idx < len(j.search) {
			j.search[idx] = "" // Filter recomputes it
		}
	}
	return ""
}

// install adds the session an intent begins; its id is in byID already.
func (j *Journal) install(r *record, cow bool) {
	s := r.intent
	s.ID = r.id
	s.pos = len(j.order) + 1
	s.CreatedAt = r.at
	s.Operator, s.Desk = r.operator, r.desk
	if s.Attempts < 1 {
		s.Attempts = 1
	}
	s.State = StateOutcomeUnknown
	j.order = append(j.order, s)
}

// history is an empty history with room for the launch and one answer,
// carved from a block while a journal is read.
func (j *Journal) history() []StatusChange {
	if len(j.histSlab) < 2 {
		j.histSlab = make([]StatusChange, 2*slab)
	}
	h := j.histSlab[:0:2]
	j.histSlab = j.histSlab[2:]
	return h
}

// foldOutcome applies an outcome record to s (already copied when cow).
func foldOutcome(s *Session, r *record, cow bool) string {
	o := r.out
	if s.Launched() {
		return fmt.Sprintf("second outcome for session %s, which was already launched; skipped", r.id)
	}
	if o.err != nil {
		o.err.At = r.at
		s.LastError = o.err
		if o.err.Kind == providers.KindUnknown {
			s.State = StateOutcomeUnknown
		} else {
			s.State = StateFailed
		}
		return ""
	}
	s.refs, s.URL, s.ExpiresAt, s.SingleUse = o.refs, o.url, o.expiresAt, o.singleUse
	s.Challenge, s.Extra = o.challenge, o.extra
	if s.Customer == "" {
		s.Customer = o.customer
	}
	s.LaunchedAt = r.at
	s.LastError = nil
	s.State = providers.StatePending
	if s.History == nil {
		s.History = make([]StatusChange, 0, 2) // the launch and, usually, one answer
	}
	s.History = appendHistory(s.History, StatusChange{State: providers.StatePending, At: r.at}, cow)
	return ""
}

func appendHistory(h []StatusChange, c StatusChange, cow bool) []StatusChange {
	if cow {
		h = h[:len(h):len(h)] // never write into an array a snapshot shares
	}
	return append(h, c)
}

func kindName(k recKind) string {
	switch k {
	case recIntent:
		return typeIntent
	case recOutcome:
		return typeOutcome
	case recStatus:
		return typeStatus
	case recResolved:
		return typeResolved
	case recAudit:
		return typeAudit
	}
	return "unknown"
}

// append writes one record under the file lock. build runs after the
// journal has caught up with other processes and may inspect the state
// (through j.lookup); it returns nil to write nothing. The record is
// flushed with fsync and folded. It returns the session's current version.
func (j *Journal) append(id string, build func() (*record, error)) (*Session, error) {
	j.wmu.Lock()
	defer j.wmu.Unlock()
	if j.closed {
		return nil, errors.New("journal: closed")
	}
	if err := lockFile(j.f, true); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer unlockFile(j.f)
	if _, err := j.catchUp(false, true); err != nil {
		return nil, err
	}
	r, err := build()
	if err != nil {
		return nil, err
	}
	if r == nil {
		return j.lookup(id), nil
	}
	line := make([]byte, 0, 512)
	if !j.endsClean {
		// Fence off a torn line left by a crash so this record starts on
		// a line of its own.
		line = append(line, '\n')
	}
	line = appendRecord(line, r)
	if _, err := j.f.Write(line); err != nil {
		return nil, fmt.Errorf("journal: writing %s: %w", j.path, err)
	}
	syncErr := j.f.Sync()
	j.off += int64(len(line))
	j.endsClean = true
	j.mu.Lock()
	w := j.apply(r, true)
	if w != "" {
		j.warn(w)
	}
	j.mu.Unlock()
	s := j.lookup(r.id)
	if syncErr != nil {
		return s, fmt.Errorf("journal: flushing %s: %w", j.path, syncErr)
	}
	return s, nil
}

// lookup is the current version of a session, or nil. The caller holds
// wmu or mu.
func (j *Journal) lookup(id string) *Session {
	if i, ok := j.byID[id]; ok {
		return j.order[i]
	}
	return nil
}

// Sessions lists every session, newest first. The slice is the caller's.
func (j *Journal) Sessions() []*Session {
	j.mu.RLock()
	defer j.mu.RUnlock()
	out := make([]*Session, len(j.order))
	for i, s := range j.order {
		out[len(out)-1-i] = s
	}
	return out
}

// Get finds a session by id (case-insensitive), by a prefix of the id that
// only one session has, or by a provider reference (scanRef,
// TransactionId…) given exactly.
func (j *Journal) Get(q string) (*Session, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, errors.New("no session id given")
	}
	lq := strings.ToLower(q)
	j.mu.RLock()
	defer j.mu.RUnlock()
	if s := j.lookup(lq); s != nil {
		return s, nil
	}
	var hits []*Session
	for i := len(j.order) - 1; i >= 0; i-- {
		if strings.HasPrefix(j.order[i].ID, lq) {
			hits = append(hits, j.order[i])
		}
	}
	if len(hits) == 0 {
		for i := len(j.order) - 1; i >= 0; i-- {
			s := j.order[i]
			if !strings.Contains(s.refs, q) {
				continue
			}
			found := false
			s.eachRef(func(_, v string) { found = found || v == q })
			if found {
				hits = append(hits, s)
			}
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("%w: %q matches no session id or reference in %s", ErrNotFound, q, j.path)
	case 1:
		return hits[0], nil
	}
	ids := make([]string, 0, 5)
	for _, s := range hits[:min(5, len(hits))] {
		ids = append(ids, s.ID)
	}
	more := ""
	if len(hits) > 5 {
		more = fmt.Sprintf(" and %d more", len(hits)-5)
	}
	return nil, fmt.Errorf("%w: %q matches %d sessions (%s%s); give more of the id", ErrAmbiguous, q, len(hits),
		strings.Join(ids, ", "), more)
}

// Unresolved lists the sessions whose outcome is unknown (an intent with
// no outcome, or an outcome of kind unknown) and that no launch in this
// process is still waiting for, newest first.
func (j *Journal) Unresolved() []*Session {
	j.mu.RLock()
	defer j.mu.RUnlock()
	var out []*Session
	for i := len(j.order) - 1; i >= 0; i-- {
		s := j.order[i]
		if s.OutcomeUnknown() && !j.inflight[s.ID] {
			out = append(out, s)
		}
	}
	return out
}

// PendingFor is the duplicate guard: the sessions of provider and mode for
// the same customer that may still be in progress at now (launched or of
// unknown outcome, not final, not expired), newest first. iDenfy bills a
// repeated token for the same clientId; warn before launching another.
func (j *Journal) PendingFor(provider, customer string, mode providers.Mode, now time.Time) []*Session {
	customer = strings.TrimSpace(customer)
	if customer == "" {
		return nil
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	var out []*Session
	for i := len(j.order) - 1; i >= 0; i-- {
		s := j.order[i]
		if s.Provider == provider && s.Mode == mode && s.Customer == customer && s.Pending(now) {
			out = append(out, s)
		}
	}
	return out
}

// Filter lists the sessions whose id, provider, mode, customer,
// references, state or error code contain every word of query
// (case-insensitive), newest first. An empty query lists every session.
//
// The text it matches is computed when first needed: the first Filter
// after opening a large journal takes longer (tens of milliseconds for
// 100 000 sessions), later ones a few milliseconds.
func (j *Journal) Filter(query string) []*Session {
	terms := strings.Fields(lower(query))
	if len(terms) == 0 {
		return j.Sessions()
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	j.imu.Lock()
	defer j.imu.Unlock()
	j.index()
	match := func(lo, hi int) []*Session { // newest first within [lo, hi)
		var out []*Session
	next:
		for i := hi - 1; i >= lo; i-- {
			for _, t := range terms {
				if !strings.Contains(j.search[i], t) {
					continue next
				}
			}
			out = append(out, j.order[i])
		}
		return out
	}
	workers := runtime.GOMAXPROCS(0)
	if len(j.order) < 20000 || workers == 1 {
		return match(0, len(j.order))
	}
	// Newest first: the last part's matches come first.
	parts := make([][]*Session, workers)
	var wg sync.WaitGroup
	per := (len(j.order) + workers - 1) / workers
	for w := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[w] = match(min(w*per, len(j.order)), min((w+1)*per, len(j.order)))
		}()
	}
	wg.Wait()
	var out []*Session
	for w := len(parts) - 1; w >= 0; w-- {
		out = append(out, parts[w]...)
	}
	return out
}

// index computes the filter text of the sessions that have none yet. The
// caller holds mu (read) and imu; whoever changes a session (under mu)
// clears its text.
func (j *Journal) index() {
	if len(j.search) < len(j.order) {
		j.search = append(j.search, make([]string, len(j.order)-len(j.search))...)
	}
	missing := 0
	for _, t := range j.search {
		if t == "" {
			missing++
		}
	}
	if missing == 0 {
		return
	}
	if missing < 4096 {
		for i, t := range j.search {
			if t == "" {
				j.search[i] = string(j.order[i].appendIndex(make([]byte, 0, 160)))
			}
		}
		return
	}
	indexAll(j.order, j.search)
}

// AppendStatus records a status answer for a launched session when its
// state or detail differs from the last one recorded, and returns the
// session's current version.
func (j *Journal) AppendStatus(id string, st *providers.Status) (*Session, error) {
	return j.AppendStatusBy(id, st, "", "")
}

// AppendStatusBy is AppendStatus recording who asked: the operator and
// the desk of a served console ("" for neither).
func (j *Journal) AppendStatusBy(id string, st *providers.Status, operator, desk string) (*Session, error) {
	if st == nil || st.State == "" {
		return nil, errors.New("journal: empty status")
	}
	detail := clip(strings.TrimSpace(providers.SanitizeLine(st.Detail)), 500)
	at := st.At
	if at.IsZero() {
		at = j.now()
	}
	return j.append(id, func() (*record, error) {
		s := j.lookup(id)
		if s == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if !s.Launched() {
			return nil, fmt.Errorf("session %s has no launch outcome (state: %s); there is no status to record", id, s.State)
		}
		last := ""
		if n := len(s.History); n > 0 {
			last = s.History[n-1].Detail
		}
		if st.State == s.State && detail == last {
			return nil, nil
		}
		return &record{kind: recStatus, id: id, at: normTime(at), state: st.State, text: detail,
			operator: actorText(operator), desk: actorText(desk)}, nil
	})
}

// Resolve records the operator's resolution of a session whose outcome is
// unknown, e.g. "launched anew as k7f3qa01" or "checked: not created".
func (j *Journal) Resolve(id, how string) (*Session, error) {
	return j.resolveAt(id, how, j.now(), "", "")
}

// ResolveBy is Resolve recording the operator and desk who resolved it.
func (j *Journal) ResolveBy(id, how, operator, desk string) (*Session, error) {
	return j.resolveAt(id, how, j.now(), operator, desk)
}

// Audit records an operator's action on a session (resend a code, verify,
// ask for a status) with who did it. It changes nothing the lists show:
// the line is the audit trail, and the history stays append-only.
func (j *Journal) Audit(id, action, detail, operator, desk string) error {
	action = clip(strings.TrimSpace(providers.SanitizeLine(action)), 40)
	if action == "" {
		return errors.New("journal: audit without an action")
	}
	detail = clip(strings.TrimSpace(providers.SanitizeLine(detail)), 500)
	_, err := j.append(id, func() (*record, error) {
		if j.lookup(id) == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return &record{kind: recAudit, id: id, at: normTime(j.now()), action: action, text: detail,
			operator: actorText(operator), desk: actorText(desk)}, nil
	})
	return err
}

// actorText bounds an operator or desk name from the operators file or an
// SSH user name before it is written.
func actorText(s string) string { return clip(strings.TrimSpace(providers.SanitizeLine(s)), 64) }

func (j *Journal) resolveAt(id, how string, at time.Time, operator, desk string) (*Session, error) {
	how = clip(strings.TrimSpace(providers.SanitizeLine(how)), 500)
	if how == "" {
		return nil, errors.New("say how the outcome was resolved (e.g. \"checked: not created\")")
	}
	return j.append(id, func() (*record, error) {
		s := j.lookup(id)
		if s == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		if !s.OutcomeUnknown() {
			return nil, fmt.Errorf("session %s is %s, not of unknown outcome; there is nothing to resolve", id, s.State)
		}
		j.mu.RLock()
		busy := j.inflight[id]
		j.mu.RUnlock()
		if busy {
			return nil, fmt.Errorf("session %s is still being launched; wait for its outcome", id)
		}
		return &record{kind: recResolved, id: id, at: normTime(at), text: how, operator: actorText(operator), desk: actorText(desk)}, nil
	})
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// setInflight marks a launch of this process as waiting for its outcome.
func (j *Journal) setInflight(id string, on bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if on {
		j.inflight[id] = true
	} else {
		delete(j.inflight, id)
	}
}
