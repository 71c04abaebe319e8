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

func printableName(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return len(s) <= 64
}

// fileStamp is what the poll compares to notice a changed file: editors
// that replace the file change its identity, others its size or mtime.
type fileStamp struct {
	info fs.FileInfo
}

func (a fileStamp) same(b fileStamp) bool {
	if a.info == nil || b.info == nil {
		return a.info == nil && b.info == nil
	}
	return os.SameFile(a.info, b.info) && a.info.Size() == b.info.Size() && a.info.ModTime().Equal(b.info.ModTime())
}

// operators is the live operator list: read at startup, re-read on SIGHUP
// and when the file changes.
type operators struct {
	path   string
	log    *slog.Logger
	set    atomic.Pointer[operatorSet]
	mu     sync.Mutex // serializes reloads
	stamp  fileStamp
	refuse refusalLog
}

// loadOperators reads the file for the first time: a missing or bad file
// is a startup error naming the path.
func loadOperators(path string, log *slog.Logger) (*operators, error) {
	o := &operators{path: path, log: log}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("operators file %s does not exist; create it in authorized_keys format, one operator per line: ssh-ed25519 AAAA… alice", path)
	}
	if err != nil {
		return nil, fmt.Errorf("operators file: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("operators file: %w", err)
	}
	set, problems := parseOperators(data)
	if len(problems) > 0 {
		return nil, fmt.Errorf("operators file %s: %w", path, errors.Join(problems...))
	}
	if len(set.byKey) == 0 {
		return nil, fmt.Errorf("operators file %s lists no keys; add one per operator: ssh-ed25519 AAAA… alice", path)
	}
	o.set.Store(set)
	o.stamp = fileStamp{st}
	log.Info("operators loaded", "file", path, "keys", len(set.byKey), "operators", set.names)
	return o, nil
}

// reload re-reads the file. It fails closed: lines with problems grant
// nothing and a missing file lets nobody new in (connected desks stay).
func (o *operators) reload(force bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st, err := os.Stat(o.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		o.log.Error("operators file unreadable; keeping the current list", "file", o.path, "err", err)
		return
	}
	stamp := fileStamp{st}
	if !force && stamp.same(o.stamp) {
		return
	}
	o.stamp = stamp
	if st == nil {
		o.set.Store(&operatorSet{byKey: map[string]string{}})
		o.log.Error("operators file is gone; no new desk can connect until it is back", "file", o.path)
		return
	}
	data, err := os.ReadFile(o.path)
	if err != nil {
		o.log.Error("operators file unreadable; keeping the current list", "file", o.path, "err", err)
		return
	}
	set, problems := parseOperators(data)
	for _, p := range problems {
		o.log.Error("operators file: line ignored", "file", o.path, "problem", p)
	}
	o.set.Store(set)
	o.log.Info("operators reloaded", "file", o.path, "keys", len(set.byKey), "operators", set.names)
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
