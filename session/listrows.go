package session

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"
	"unicode/utf8"

	"github.com/kycdesk/kycdesk/providers"
)

// ListRow is one session as a whole-store listing prints it (`sessions
// --json`): the sessions row's columns and the few members of its stored
// document the listing shows. ListRows reads them without decoding the
// rest of the document (values, challenge, errors, every status of the
// history): at a million sessions, decoding whole documents was a third of
// the command's time.
type ListRow struct {
	ID, Provider, Customer string
	Mode                   providers.Mode
	State                  providers.State
	CreatedAt              time.Time
	// Launched: the launch's results below are the session's (Session.Launch
	// is nil otherwise).
	Launched  bool
	URL       string
	ExpiresAt time.Time
	// References as Session.References decodes them (nil when they do not
	// decode as names to strings).
	References map[string]string
	// Label, DeviceSource and DeviceType are the Extra members LabelKey,
	// providers.ExtraDeviceSource and providers.ExtraDeviceType.
	Label, DeviceSource, DeviceType string
	// Source is the last status's source ("" without history).
	Source         Source
	Operator, Desk string
}

// RowOf is s as a ListRow: what a store without ListRows lists.
func RowOf(s *Session) ListRow {
	r := ListRow{ID: s.ID, Provider: s.Provider, Customer: s.Customer, Mode: s.Mode, State: s.State, CreatedAt: s.CreatedAt,
		Launched: s.Launched(), URL: s.URL, ExpiresAt: s.ExpiresAt, References: s.References(),
		Label: s.Extra[LabelKey], DeviceSource: s.Extra[providers.ExtraDeviceSource], DeviceType: s.Extra[providers.ExtraDeviceType],
		Operator: s.Operator, Desk: s.Desk}
	if n := len(s.History); n > 0 {
		r.Source = s.History[n-1].Source
	}
	return r
}

// ListRows streams every session, newest first, as All(ctx, Query{})
// does, in one query. The row yielded is reused: copy it to keep it.
func (d *DB) ListRows(ctx context.Context) iter.Seq2[*ListRow, error] {
	return func(yield func(*ListRow, error) bool) {
		rows, err := d.query(ctx, d.db, `SELECT s.id, s.provider, s.mode, s.customer, s.state, s.created_at, d.doc
FROM sessions s JOIN session_docs d ON d.num = s.num ORDER BY s.num DESC`)
		if err != nil {
			yield(nil, d.failed(err))
			return
		}
		defer rows.Close()
		var (
			r           ListRow
			mode, state string
			created     int64
			doc         sql.RawBytes
		)
		for rows.Next() {
			if err := rows.Scan(&r.ID, &r.Provider, &mode, &r.Customer, &state, &created, &doc); err != nil {
				yield(nil, d.failed(err))
				return
			}
			r.Mode, r.State, r.CreatedAt = providers.Mode(mode), providers.State(state), fromMS(created)
			if err := r.decodeDoc(doc); err != nil {
				yield(nil, d.failed(fmt.Errorf("session %s: %w", r.ID, err)))
				return
			}
			if !yield(&r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, d.failed(err))
		}
	}
}

// decodeDoc sets r's members from a session_docs document (sessionDoc's
// JSON). The whole document is checked to be JSON, as json.Unmarshal
// checks it; only the members listed are decoded.
func (r *ListRow) decodeDoc(doc []byte) error {
	var launchedAt, expiresAt time.Time
	r.URL, r.References, r.Label, r.DeviceSource, r.DeviceType, r.Source, r.Operator, r.Desk = "", nil, "", "", "", "", "", ""
	err := eachMember(doc, func(key, val []byte) error {
		var err error
		switch string(key) {
		case `"launchedAt"`:
			launchedAt = time.Time{}
			err = launchedAt.UnmarshalJSON(val)
		case `"expiresAt"`:
			expiresAt = time.Time{}
			err = expiresAt.UnmarshalJSON(val)
		case `"url"`:
			r.URL, err = jsonString(val, r.URL)
		case `"operator"`:
			r.Operator, err = jsonString(val, r.Operator)
		case `"desk"`:
			r.Desk, err = jsonString(val, r.Desk)
		case `"references"`:
			// Session.References: a map of names to strings, or none.
			r.References = nil
			if val[0] == '{' {
				r.References = stringMap(val)
			}
		case `"extra"`:
			if val[0] == 'n' {
				return nil
			}
			if val[0] != '{' {
				return errors.New("extra: not an object")
			}
			return eachMember(val, func(k, v []byte) error {
				var p *string
				switch string(k) {
				case `"` + LabelKey + `"`:
					p = &r.Label
				case `"` + providers.ExtraDeviceSource + `"`:
					p = &r.DeviceSource
				case `"` + providers.ExtraDeviceType + `"`:
					p = &r.DeviceType
				default:
					if v[0] != '"' && v[0] != 'n' {
						return fmt.Errorf("extra %s: not a string", k)
					}
					return nil
				}
				var err error
				*p, err = jsonString(v, *p)
				return err
			})
		case `"history"`:
			if val[0] == 'n' {
				r.Source = ""
				return nil
			}
			if val[0] != '[' {
				return errors.New("history: not an array")
			}
			r.Source = ""
			return eachElement(val, func(e []byte) error {
				r.Source = ""
				if e[0] == 'n' {
					return nil
				}
				if e[0] != '{' {
					return errors.New("history: an entry is not an object")
				}
				return eachMember(e, func(k, v []byte) error {
					if string(k) != `"source"` {
						return nil
					}
					s, err := jsonString(v, string(r.Source))
					r.Source = Source(s)
					return err
				})
			})
		}
		return err
	})
	if err != nil {
		return err
	}
	r.Launched = !launchedAt.IsZero()
	r.ExpiresAt = normTime(expiresAt)
	return nil
}

// stringMap decodes a JSON object of strings as json.Unmarshal decodes
// it into a map[string]string (null is ""), or nil for any other value.
func stringMap(obj []byte) map[string]string {
	m := map[string]string{}
	err := eachMember(obj, func(k, v []byte) error {
		key, err := jsonString(k, "")
		if err != nil || v[0] != '"' && v[0] != 'n' {
			return errJSON
		}
		m[key], err = jsonString(v, "")
		return err
	})
	if err != nil {
		return nil
	}
	return m
}

// jsonString decodes a JSON string (null leaves cur, as json.Unmarshal
// does). Without escapes and in valid UTF-8 it is the bytes themselves.
func jsonString(val []byte, cur string) (string, error) {
	switch {
	case val[0] == 'n':
		return cur, nil
	case val[0] != '"':
		return cur, fmt.Errorf("%.20s: not a string", val)
	}
	in := val[1 : len(val)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), nil
	}
	var s string
	err := json.Unmarshal(val, &s)
	return s, err
}

// jsonScan walks JSON text, checking it as it goes.
type jsonScan struct {
	b []byte
	i int
}

var errJSON = errors.New("invalid JSON in the stored document")

func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value skips one JSON value, checking it.
func (s *jsonScan) value(depth int) error {
	if depth > 1000 || s.i >= len(s.b) {
		return errJSON
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{':
		return s.object(depth, nil)
	case c == '[':
		return s.array(depth, nil)
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.num()
	}
	return errJSON
}

func (s *jsonScan) lit(w string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		return errJSON
	}
	s.i += len(w)
	return nil
}

func (s *jsonScan) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// num skips -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) num() error {
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if s.digits() == 0 {
		return errJSON
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return errJSON
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return errJSON
		}
	}
	return nil
}

// str skips a string: no control characters, only JSON's escapes.
func (s *jsonScan) str() error {
	s.i++ // the opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c < 0x20:
			return errJSON
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return errJSON
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+5 > len(s.b) {
					return errJSON
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return errJSON
					}
				}
				s.i += 5
			default:
				return errJSON
			}
		default:
			s.i++
		}
	}
	return errJSON
}

// eachMember calls fn with each member's key (quoted, as written) and
// value (as written) of the JSON object obj, which must be all there is.
func eachMember(obj []byte, fn func(key, val []byte) error) error {
	s := &jsonScan{b: obj}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return errJSON
	}
	if err := s.object(0, fn); err != nil {
		return err
	}
	return s.end()
}

// eachElement calls fn with each element (as written) of the JSON array arr.
func eachElement(arr []byte, fn func(val []byte) error) error {
	s := &jsonScan{b: arr}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return errJSON
	}
	if err := s.array(0, fn); err != nil {
		return err
	}
	return s.end()
}

// object scans the object at s.i (its '{'), checking it, and calls fn
// (when not nil) with each member's key (quoted) and value as written.
func (s *jsonScan) object(depth int, fn func(key, val []byte) error) error {
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return errJSON
		}
		k := s.i
		if err := s.str(); err != nil {
			return err
		}
		key := s.b[k:s.i]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errJSON
		}
		s.i++
		s.ws()
		v := s.i
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if fn != nil {
			if err := fn(key, s.b[v:s.i]); err != nil {
				return err
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return errJSON
		}
		if s.b[s.i] == '}' {
			s.i++
			return nil
		}
		if s.b[s.i] != ',' {
			return errJSON
		}
		s.i++
	}
}

// array scans the array at s.i (its '['), checking it, and calls fn
// (when not nil) with each element as written.
func (s *jsonScan) array(depth int, fn func(val []byte) error) error {
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		s.ws()
		v := s.i
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if fn != nil {
			if err := fn(s.b[v:s.i]); err != nil {
				return err
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return errJSON
		}
		if s.b[s.i] == ']' {
			s.i++
			return nil
		}
		if s.b[s.i] != ',' {
			return errJSON
		}
		s.i++
	}
}

func (s *jsonScan) end() error {
	s.ws()
	if s.i != len(s.b) {
		return errJSON
	}
	return nil
}
