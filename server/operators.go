package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	gossh "golang.org/x/crypto/ssh"

	"github.com/kycdesk/kycdesk/internal/authfile"
)

// operatorSet maps a public key (its wire encoding) to the operator's name.
type operatorSet struct {
	byKey map[string]string
	names int
}

// parseOperators reads an authorized_keys file whose comments are operator
// names. Lines that cannot grant access safely are problems: an unparsable
// key, a key without a name, a key listed twice, or key options (from=,
// command=…), which this server would not enforce.
func parseOperators(data []byte) (*operatorSet, []error) {
	set := &operatorSet{byKey: map[string]string{}}
	names := map[string]bool{}
	var problems []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, comment, options, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d: not an authorized_keys line: %v", n, err))
			continue
		}
		if len(options) > 0 {
			problems = append(problems, fmt.Errorf("line %d: key options (%s) are not supported; list the bare key and the operator's name", n, strings.Join(options, ",")))
			continue
		}
		name := strings.TrimSpace(comment)
		if name == "" {
			problems = append(problems, fmt.Errorf("line %d: key %s has no operator name (the comment after the key)", n, gossh.FingerprintSHA256(key)))
			continue
		}
		if len(name) > maxOperatorName {
			problems = append(problems, fmt.Errorf("line %d: operator name %.20q… is too long (%d bytes; at most %d)", n, name, len(name), maxOperatorName))
			continue
		}
		if !printableName(name) {
			problems = append(problems, fmt.Errorf("line %d: operator name %q has control characters", n, name))
			continue
		}
		wire := string(key.Marshal())
		if prev, dup := set.byKey[wire]; dup {
			problems = append(problems, fmt.Errorf("line %d: key %s is already listed for %s", n, gossh.FingerprintSHA256(key), prev))
			continue
		}
		set.byKey[wire] = name
		names[name] = true
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, err)
	}
	set.names = len(names)
	return set, problems
}

// maxOperatorName bounds a name in the audit and on screens.
const maxOperatorName = 64

func printableName(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// fileStamp is what the poll compares to notice a changed file: editors
// that replace the file change its identity, others its size or mtime;
// a chmod its mode.
type fileStamp struct {
	info fs.FileInfo
}

func (a fileStamp) same(b fileStamp) bool {
	if a.info == nil || b.info == nil {
		return a.info == nil && b.info == nil
	}
	return os.SameFile(a.info, b.info) && a.info.Size() == b.info.Size() && a.info.ModTime().Equal(b.info.ModTime()) &&
		a.info.Mode() == b.info.Mode() // a chmod that fixes (or breaks) the file counts
}

// operators is the live operator list: read at startup, re-read on SIGHUP
// and when the file changes.
type operators struct {
	path string
	// changed is called (under mu) with each new list, so the server ends
	// the sessions of keys no longer listed.
	changed func(*operatorSet)
	log     *slog.Logger
	set     atomic.Pointer[operatorSet]
	mu      sync.Mutex // serializes reloads
	stamp   fileStamp
	refuse  refusalLog
}

// operatorsRules: the file decides who gets a console, so whoever can
// write it is an operator; it must be as private as a key.
var operatorsRules = authfile.Rules{What: "operators file", Max: authfile.MaxList}

// readOperators reads and parses the file; any problem makes the whole
// file bad (so a typo never half-applies).
func readOperators(path string) (*operatorSet, error) {
	data, err := authfile.Read(path, operatorsRules)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("operators file %s does not exist; create it in authorized_keys format, one operator per line: ssh-ed25519 AAAA… alice", path)
		}
		return nil, err
	}
	set, problems := parseOperators(data)
	if len(problems) > 0 {
		return nil, fmt.Errorf("operators file %s: %w", path, errors.Join(problems...))
	}
	if len(set.byKey) == 0 {
		return nil, fmt.Errorf("operators file %s lists no keys; add one per operator: ssh-ed25519 AAAA… alice", path)
	}
	return set, nil
}

// loadOperators reads the file for the first time: a missing or bad file
// is a startup error naming the path.
func loadOperators(path string, log *slog.Logger) (*operators, error) {
	o := &operators{path: path, log: log}
	st, _ := os.Stat(path)
	set, err := readOperators(path)
	if err != nil {
		return nil, err
	}
	o.set.Store(set)
	o.stamp = fileStamp{st}
	log.Info("operators loaded", "file", path, "keys", len(set.byKey), "operators", set.names)
	return o, nil
}

// reload re-reads the file when it changed (or when forced). A bad file
// (missing, insecure, unparsable) changes nothing: the last good list
// stays and the log says why, once per change of the file.
func (o *operators) reload(force bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st, _ := os.Stat(o.path)
	stamp := fileStamp{st}
	if !force && stamp.same(o.stamp) {
		return
	}
	o.stamp = stamp
	set, err := readOperators(o.path)
	if err != nil {
		cur := o.set.Load()
		o.log.Error("operators file not reloaded; keeping the last good list", "file", o.path, "keys", len(cur.byKey), "why", err.Error())
		return
	}
	o.set.Store(set)
	o.log.Info("operators reloaded", "file", o.path, "keys", len(set.byKey), "operators", set.names)
	if o.changed != nil {
		o.changed(set)
	}
}

// watch polls the file until stop is closed. A poll (not inotify) because
// it also sees symlink swaps (Kubernetes ConfigMaps), network file systems
// and editors that replace the file, at the cost of a stat every interval.
func (o *operators) watch(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			o.reload(false)
		}
	}
}

// lookup returns the operator owning key.
func (o *operators) lookup(key gossh.PublicKey) (string, bool) {
	name, ok := o.set.Load().byKey[string(key.Marshal())]
	return name, ok
}

// refusalLog logs refused keys at most once per fingerprint per window, so
// a client retrying in a loop cannot flood the log.
type refusalLog struct {
	mu   sync.Mutex
	last map[string]refusal
}

type refusal struct {
	at         time.Time
	suppressed int
}

const (
	refusalWindow   = time.Minute
	refusalMaxTrack = 4096
)

// note reports whether this refusal should be logged now, and how many
// refusals of the same key were not logged since the last line.
func (r *refusalLog) note(fp string, now time.Time) (bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]refusal{}
	}
	prev, seen := r.last[fp]
	if seen && now.Sub(prev.at) < refusalWindow {
		prev.suppressed++
		r.last[fp] = prev
		return false, 0
	}
	if len(r.last) >= refusalMaxTrack {
		for k, v := range r.last {
			if now.Sub(v.at) >= refusalWindow {
				delete(r.last, k)
			}
		}
		if len(r.last) >= refusalMaxTrack {
			return false, 0
		}
	}
	r.last[fp] = refusal{at: now}
	return true, prev.suppressed
}
