package session

import (
	"encoding/json"
	"errors"
	"os"
	"sort"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// ErrNotFound is returned (wrapped) by Get and the store's writers for an
// id that matches no session.
var ErrNotFound = errors.New("no such session")

// ErrAmbiguous is returned (wrapped) by Get for a prefix that matches
// several sessions.
var ErrAmbiguous = errors.New("ambiguous session id")

// maxWarnings bounds the warnings an import keeps (the rest are counted).
const maxWarnings = 20

// encodeValues is the JSON object the store keeps for v: names sorted,
// every value a list; "" when v is empty.
func encodeValues(v providers.Values) string {
	if len(v) == 0 {
		return ""
	}
	b, err := json.Marshal(map[string][]string(v))
	if err != nil {
		return ""
	}
	return string(b)
}

// encodeMap is m as a JSON object, keys sorted; "" when m is empty.
func encodeMap(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(b)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// normTime is t as it reads back from the store: no monotonic reading,
// millisecond precision, local time.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Round(0).Truncate(time.Millisecond).Local()
}

// clip cuts s to n bytes at most (on a character boundary), marking the cut.
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

// syncDir makes a directory's new entries durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
