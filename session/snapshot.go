package session

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// The snapshot is a cache of the folded journal, next to it
// (sessions.jsonl.snapshot, mode 0600): the sessions as of a byte offset
// of the journal, in a compact binary form that decodes several times
// faster than the JSON lines it was folded from. Open loads it when it
// still describes the journal (same first 64 KiB, same 4 KiB before the
// offset, offset within the file) and reads only the lines after it;
// otherwise, or when it is damaged, Open reads the whole journal. It holds
// nothing the journal does not (no secrets, no personal data). Close
// writes a new one when the journal has grown enough since the last.
//
// Layout: the magic line, then uvarint-prefixed fields (see
// appendSnapshot), each session length-prefixed so that they can be
// decoded in parallel, then a CRC-32C of everything before it.

const (
	snapshotMagic = "kycdesk journal snapshot 3\n"
	prefixCheck   = 64 << 10
	tailCheck     = 4 << 10
)

// Variables so that tests can lower them.
var (
	snapshotMinSize int64 = 4 << 20 // journals smaller than this read fast enough
	snapshotEvery   int64 = 1 << 20 // journal growth that makes Close write anew
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SnapshotPath is the snapshot that goes with the journal at path.
func SnapshotPath(path string) string { return path + ".snapshot" }

// Checkpoint writes a snapshot of the journal as read so far. Close calls
// it when the journal is large and has grown since the last one.
func (j *Journal) Checkpoint() error {
	j.wmu.Lock()
	defer j.wmu.Unlock()
	if j.closed {
		return errors.New("journal: closed")
	}
	return j.checkpoint()
}

// checkpoint writes the snapshot; the caller holds wmu.
func (j *Journal) checkpoint() error {
	prefix, tail, err := j.fingerprint(j.off)
	if err != nil {
		return err
	}
	j.mu.RLock()
	b := appendSnapshot(make([]byte, 0, j.off*3/4+4096), j, prefix, tail) // about the journal's size
	j.mu.RUnlock()
	dir := filepath.Dir(j.path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(j.path)+".snapshot-*")
	if err != nil {
		return fmt.Errorf("journal snapshot: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("journal snapshot: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("journal snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("journal snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("journal snapshot: %w", err)
	}
	if err := os.Rename(tmp, SnapshotPath(j.path)); err != nil {
		return fmt.Errorf("journal snapshot: %w", err)
	}
	j.snapOff = j.off
	return nil
}

// fingerprint hashes the journal's first bytes and the bytes just before
// off, which a snapshot taken at off must find unchanged.
func (j *Journal) fingerprint(off int64) (prefix, tail [32]byte, err error) {
	read := func(from, to int64) ([32]byte, error) {
		buf := make([]byte, to-from)
		if _, err := j.f.ReadAt(buf, from); err != nil {
			return [32]byte{}, fmt.Errorf("journal: %w", err)
		}
		return sha256.Sum256(buf), nil
	}
	if prefix, err = read(0, min(off, prefixCheck)); err != nil {
		return
	}
	tail, err = read(max(0, off-tailCheck), off)
	return
}

// removeStaleTemps removes snapshots that a process killed while writing
// one left behind (an hour old: nobody is still writing them).
func removeStaleTemps(path string) {
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".snapshot-*"))
	for _, name := range old {
		if fi, err := os.Stat(name); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.Remove(name)
		}
	}
}

// loadSnapshot installs the snapshot if it describes this journal, whose
// size is size; it reports whether it did. The caller holds wmu; the
// journal has no sessions yet.
func (j *Journal) loadSnapshot(size int64) bool {
	f, err := os.Open(SnapshotPath(j.path))
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < int64(len(snapshotMagic)+4) {
		return false
	}
	// Read straight into the string the sessions' text will share,
	// checksumming on the way.
	var sb strings.Builder
	sb.Grow(int(fi.Size()))
	crc := crc32.New(castagnoli)
	if n, err := io.Copy(&sb, io.TeeReader(io.LimitReader(f, fi.Size()-4), crc)); err != nil || n != fi.Size()-4 {
		return false
	}
	var trailer [4]byte
	if _, err := io.ReadFull(f, trailer[:]); err != nil || binary.LittleEndian.Uint32(trailer[:]) != crc.Sum32() {
		return false
	}
	body := sb.String()
	if !strings.HasPrefix(body, snapshotMagic) {
		return false
	}
	r := &snapReader{s: body, i: len(snapshotMagic)}
	off := int64(r.uvarint())
	prefix, tail := r.str(), r.str()
	if r.err != nil || off > size || off <= 0 {
		return false
	}
	p, t, err := j.fingerprint(off)
	if err != nil || string(p[:]) != prefix || string(t[:]) != tail {
		return false
	}
	endsClean := r.byte() == 1
	torn := int(r.uvarint())
	warnings := make([]string, min(r.uvarint(), maxWarnings))
	for i := range warnings {
		warnings[i] = r.str()
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)-r.i) {
		return false
	}
	// Each session is length-prefixed: find them all, then decode them on
	// every CPU while this goroutine indexes their ids.
	starts, ends := make([]int, n), make([]int, n)
	for i := range n {
		l := r.uvarint()
		if r.err != nil || l > uint64(len(r.s)-r.i) {
			return false
		}
		starts[i] = r.i
		r.i += int(l)
		ends[i] = r.i
	}
	if r.i != len(r.s) {
		return false
	}
	order := make([]*Session, n, n+n/8)
	workers := uint64(runtime.GOMAXPROCS(0))
	if n < 4096 {
		workers = 1
	}
	var wg sync.WaitGroup
	bad := make([]bool, workers)
	per := (n + workers - 1) / workers
	for w := uint64(0); w < workers; w++ {
		lo, hi := min(w*per, n), min((w+1)*per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			slab := make([]Session, hi-lo)
			for i := lo; i < hi; i++ {
				rd := snapReader{s: r.s[:ends[i]], i: starts[i]}
				s := &slab[i-lo]
				rd.session(s)
				if rd.err != nil || rd.i != ends[i] || s.ID == "" {
					bad[w] = true
					return
				}
				s.pos = int(i) + 1
				order[i] = s
			}
		}()
	}
	byID := make(map[string]int, n+n/8)
	ok := true
	for i := range n {
		rd := snapReader{s: r.s[:ends[i]], i: starts[i]}
		id := rd.str()
		if _, dup := byID[id]; dup || rd.err != nil {
			ok = false
			break
		}
		byID[id] = int(i)
	}
	wg.Wait()
	if !ok || slices.Contains(bad, true) {
		return false
	}
	j.order, j.byID, j.torn, j.readWarnings = order, byID, torn, warnings
	j.off, j.endsClean, j.snapOff = off, endsClean, off
	return true
}

// appendSnapshot encodes the journal's state. The caller holds mu (read).
func appendSnapshot(b []byte, j *Journal, prefix, tail [32]byte) []byte {
	w := snapWriter{b: append(b, snapshotMagic...)}
	w.uvarint(uint64(j.off))
	w.str(string(prefix[:]))
	w.str(string(tail[:]))
	w.bool(j.endsClean)
	w.uvarint(uint64(j.torn))
	w.uvarint(uint64(len(j.readWarnings)))
	for _, s := range j.readWarnings {
		w.str(s)
	}
	w.uvarint(uint64(len(j.order)))
	var one snapWriter
	for _, s := range j.order {
		one.b = one.b[:0]
		one.session(s)
		w.uvarint(uint64(len(one.b)))
		w.b = append(w.b, one.b...)
	}
	return binary.LittleEndian.AppendUint32(w.b, crc32.Checksum(w.b, castagnoli))
}

type snapWriter struct{ b []byte }

func (w *snapWriter) byte(c byte)      { w.b = append(w.b, c) }
func (w *snapWriter) uvarint(n uint64) { w.b = binary.AppendUvarint(w.b, n) }
func (w *snapWriter) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }

func (w *snapWriter) bool(v bool) {
	if v {
		w.byte(1)
	} else {
		w.byte(0)
	}
}

// time: 0 for the zero time, else 1 and milliseconds, or 2 and seconds
// and nanoseconds when the time is finer than a millisecond.
func (w *snapWriter) time(t time.Time) {
	switch {
	case t.IsZero():
		w.byte(0)
	case t.Nanosecond()%1e6 == 0:
		w.byte(1)
		w.b = binary.AppendVarint(w.b, t.UnixMilli())
	default:
		w.byte(2)
		w.b = binary.AppendVarint(w.b, t.Unix())
		w.uvarint(uint64(t.Nanosecond()))
	}
}

func (w *snapWriter) strMap(m map[string]string) {
	w.uvarint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		w.str(k)
		w.str(m[k])
	}
}

func (w *snapWriter) session(s *Session) {
	for _, x := range [...]string{s.ID, s.Provider, string(s.Mode), s.Endpoint, s.Customer, s.values, s.RequestHash,
		s.URL, string(s.State), s.Resolution, s.Operator, s.Desk} {
		w.str(x)
	}
	w.uvarint(uint64(s.Attempts))
	w.time(s.CreatedAt)
	w.time(s.LaunchedAt)
	w.time(s.ExpiresAt)
	w.time(s.ResolvedAt)
	w.bool(s.SingleUse)
	w.str(s.refs)
	w.strMap(s.Extra)
	if c := s.Challenge; c != nil {
		w.byte(1)
		w.str(c.Type)
		w.str(c.RenderValue)
		w.str(c.ChallengeID)
		w.bool(c.Triggered)
		w.time(c.CodeExpires)
	} else {
		w.byte(0)
	}
	w.uvarint(uint64(len(s.History)))
	for _, h := range s.History {
		w.str(string(h.State))
		w.str(h.Detail)
		w.time(h.At)
		w.str(h.Operator)
		w.str(h.Desk)
	}
	if e := s.LastError; e != nil {
		w.byte(1)
		for _, x := range [...]string{string(e.Kind), e.Code, e.Field, e.Message, e.Action} {
			w.str(x)
		}
		w.uvarint(uint64(e.HTTPStatus))
		w.time(e.At)
	} else {
		w.byte(0)
	}
}

// snapReader decodes a snapshot; strings are substrings of s. A problem
// sets err and moves to the end, so every later read fails too.
type snapReader struct {
	s   string
	i   int
	err error
}

var errSnapshot = errors.New("damaged snapshot")

func (r *snapReader) byte() byte {
	if r.i < len(r.s) {
		c := r.s[r.i]
		r.i++
		return c
	}
	r.err = errSnapshot
	return 0
}

func (r *snapReader) uvarint() uint64 {
	if r.i < len(r.s) && r.s[r.i] < 0x80 { // most are one byte
		c := r.s[r.i]
		r.i++
		return uint64(c)
	}
	return r.uvarintSlow()
}

func (r *snapReader) uvarintSlow() uint64 {
	var n uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if r.i >= len(r.s) {
			break
		}
		c := r.s[r.i]
		r.i++
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return n
		}
	}
	r.err = errSnapshot
	r.i = len(r.s)
	return 0
}

func (r *snapReader) varint() int64 {
	u := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (r *snapReader) str() string {
	n := r.uvarint()
	if n > uint64(len(r.s)-r.i) {
		r.err = errSnapshot
		r.i = len(r.s)
		return ""
	}
	s := r.s[r.i : r.i+int(n)]
	r.i += int(n)
	return s
}

func (r *snapReader) bool() bool { return r.byte() == 1 }

func (r *snapReader) time() time.Time {
	switch r.byte() {
	case 0:
		return time.Time{}
	case 1:
		return time.UnixMilli(r.varint())
	case 2:
		sec := r.varint()
		return time.Unix(sec, int64(r.uvarint()))
	}
	r.err = errSnapshot
	return time.Time{}
}

func (r *snapReader) strMap() map[string]string {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	if n > uint64(len(r.s)-r.i) {
		r.err = errSnapshot
		return nil
	}
	m := make(map[string]string, n)
	for ; n > 0; n-- {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

func (r *snapReader) session(s *Session) {
	s.ID, s.Provider, s.Mode, s.Endpoint = r.str(), r.str(), providers.Mode(r.str()), r.str()
	s.Customer, s.values, s.RequestHash, s.URL = r.str(), r.str(), r.str(), r.str()
	s.State, s.Resolution = providers.State(r.str()), r.str()
	s.Operator, s.Desk = r.str(), r.str()
	s.Attempts = int(r.uvarint())
	s.CreatedAt, s.LaunchedAt, s.ExpiresAt, s.ResolvedAt = r.time(), r.time(), r.time(), r.time()
	s.SingleUse = r.bool()
	s.refs, s.Extra = r.str(), r.strMap()
	if r.byte() == 1 {
		s.Challenge = &providers.Challenge{Type: r.str(), RenderValue: r.str(), ChallengeID: r.str(), Triggered: r.bool(),
			CodeExpires: r.time()}
	}
	if n := r.uvarint(); n > 0 && n <= uint64(len(r.s)-r.i) {
		s.History = make([]StatusChange, n, max(n, 2))
		for i := range s.History {
			s.History[i] = StatusChange{State: providers.State(r.str()), Detail: r.str(), At: r.time(), Operator: r.str(), Desk: r.str()}
		}
	} else if n > 0 {
		r.err = errSnapshot
	}
	if r.byte() == 1 {
		e := &ErrorInfo{Kind: providers.ErrorKind(r.str()), Code: r.str(), Field: r.str(), Message: r.str(), Action: r.str()}
		e.HTTPStatus = int(r.uvarint())
		e.At = r.time()
		s.LastError = e
	}
}

// snapshotDue reports whether Close should write a snapshot.
func (j *Journal) snapshotDue() bool {
	return j.off >= snapshotMinSize && j.off-j.snapOff >= snapshotEvery
}
