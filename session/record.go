package session

import (
	"time"
	"unicode/utf8"

	"github.com/kycdesk/kycdesk/providers"
)

// Record types, the "type" member of every journal line.
const (
	typeIntent   = "intent"
	typeOutcome  = "outcome"
	typeStatus   = "status"
	typeResolved = "resolved"
	typeAudit    = "audit"
)

type recKind uint8

const (
	recNone recKind = iota
	recIntent
	recOutcome
	recStatus
	recResolved
	recAudit
)

// record is one journal line.
//
//	intent   {"type":"intent","id","at","provider","mode","endpoint","customer","values","requestSha256","attempt"}
//	outcome  {"type":"outcome","id","at", then either "references","url","expiresAt","singleUse","challenge","extra","customer", or "error":{…}}
//	status   {"type":"status","id","at","status","detail"}
//	resolved {"type":"resolved","id","at","how"}
//	audit    {"type":"audit","id","at","action","detail"}
//
// intent, status, resolved and audit end with "operator" and "desk" when a
// served desk wrote them (who acted); older readers skip audit lines.
type record struct {
	kind recKind
	id   string
	at   time.Time
	// intent: the session as the intent creates it (Provider, Mode,
	// Endpoint, Customer, values, RequestHash, Attempts).
	intent *Session
	// sess is, while a journal is read, the session of this id that an
	// earlier line of the same chunk created, so that folding rarely
	// needs the id map.
	sess *Session
	// outcome
	out *outcome
	// status
	state providers.State
	// status detail, the resolution, or an audit detail
	text string
	// audit: the action (resend, verify, status…)
	action string
	// who acted (intent, status, resolved, audit); "" locally
	operator, desk string
}

type outcome struct {
	refs      string // the "references" object, as JSON
	url       string
	expiresAt time.Time
	singleUse bool
	challenge *providers.Challenge
	extra     map[string]string
	customer  string
	err       *ErrorInfo
}

// ---- encoding ----

// appendRecord appends r as one JSON line (with its newline) to b.
func appendRecord(b []byte, r *record) []byte {
	b = append(b, `{"type":`...)
	switch r.kind {
	case recIntent:
		b = appendString(b, typeIntent)
	case recOutcome:
		b = appendString(b, typeOutcome)
	case recStatus:
		b = appendString(b, typeStatus)
	case recResolved:
		b = appendString(b, typeResolved)
	case recAudit:
		b = appendString(b, typeAudit)
	}
	b = append(b, `,"id":`...)
	b = appendString(b, r.id)
	b = append(b, `,"at":`...)
	b = appendTime(b, r.at)
	switch r.kind {
	case recIntent:
		s := r.intent
		b = appendMember(b, "provider", s.Provider)
		b = appendMember(b, "mode", string(s.Mode))
		b = appendMember(b, "endpoint", s.Endpoint)
		b = appendMember(b, "customer", s.Customer)
		if s.values != "" {
			b = append(b, `,"values":`...)
			b = append(b, s.values...)
		}
		b = appendMember(b, "requestSha256", s.RequestHash)
		b = append(b, `,"attempt":`...)
		b = appendInt(b, int64(s.Attempts))
	case recOutcome:
		o := r.out
		if o.err != nil {
			e := o.err
			b = append(b, `,"error":{"kind":`...)
			b = appendString(b, string(e.Kind))
			b = appendMember(b, "code", e.Code)
			b = appendMember(b, "field", e.Field)
			b = appendMember(b, "message", e.Message)
			b = appendMember(b, "action", e.Action)
			if e.HTTPStatus != 0 {
				b = append(b, `,"httpStatus":`...)
				b = appendInt(b, int64(e.HTTPStatus))
			}
			b = append(b, '}')
			break
		}
		if o.refs != "" {
			b = append(b, `,"references":`...)
			b = append(b, o.refs...)
		}
		b = appendMember(b, "url", o.url)
		if !o.expiresAt.IsZero() {
			b = append(b, `,"expiresAt":`...)
			b = appendTime(b, o.expiresAt)
		}
		if o.singleUse {
			b = append(b, `,"singleUse":true`...)
		}
		if c := o.challenge; c != nil {
			b = append(b, `,"challenge":{"triggered":`...)
			if c.Triggered {
				b = append(b, "true"...)
			} else {
				b = append(b, "false"...)
			}
			b = appendMember(b, "challengeType", c.Type)
			b = appendMember(b, "challengeRenderValue", c.RenderValue)
			b = appendMember(b, "challengeId", c.ChallengeID)
			if !c.CodeExpires.IsZero() {
				b = append(b, `,"codeExpiresAt":`...)
				b = appendTime(b, c.CodeExpires)
			}
			// SandboxCode is never written.
			b = append(b, '}')
		}
		b = appendMap(b, "extra", o.extra)
		b = appendMember(b, "customer", o.customer)
	case recStatus:
		b = appendMember(b, "status", string(r.state))
		b = appendMember(b, "detail", r.text)
	case recResolved:
		b = appendMember(b, "how", r.text)
	case recAudit:
		b = appendMember(b, "action", r.action)
		b = appendMember(b, "detail", r.text)
	}
	b = appendMember(b, "operator", r.operator)
	b = appendMember(b, "desk", r.desk)
	return append(b, "}\n"...)
}

// encodeValues is the JSON object the journal keeps for v: names sorted,
// every value a list; "" when v is empty.
func encodeValues(v providers.Values) string {
	names := v.Names()
	if len(names) == 0 {
		return ""
	}
	b := []byte{'{'}
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name)
		b = append(b, ":["...)
		for j, x := range v[name] {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, x)
		}
		b = append(b, ']')
	}
	return string(append(b, '}'))
}

// appendMember appends ,"name":"value" unless value is empty.
func appendMember(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// encodeMap is m as a JSON object, keys sorted; "" when m is empty.
func encodeMap(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	return string(appendObject(nil, m))
}

// appendObject appends m as a JSON object, keys sorted.
func appendObject(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

func appendMap(b []byte, name string, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return appendObject(b, m)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// insertion sort: maps here hold a handful of entries
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Control characters, quotes and
// backslashes are escaped, as are U+2028/U+2029; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// timeLayout is how times are written: UTC, milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, timeLayout)
	return append(b, '"')
}

// normTime is t as it reads back from the journal: no monotonic reading,
// millisecond precision, local time.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Round(0).Truncate(time.Millisecond).Local()
}
