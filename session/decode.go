package session

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kycdesk/kycdesk/providers"
)

// The journal is decoded by hand: a 100 000-session journal must open in
// well under 200 ms, which encoding/json's reflection cannot do. The decoder
// accepts any valid JSON object per line (members in any order, whitespace,
// unknown members skipped) and rejects anything else.

var errSyntax = errors.New("malformed JSON")

type decoder struct {
	b []byte
	i int
	// intern holds short strings that repeat from record to record
	// (providers, modes, endpoints, parameter names, states, enum values)
	// so that they are allocated once.
	intern map[string]string
}

func newDecoder() *decoder { return &decoder{intern: make(map[string]string, 256)} }

const (
	internMax    = 4096 // entries
	internMaxLen = 48   // bytes
)

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *decoder) eat(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

// rawString reads a string and returns its bytes between the quotes and
// whether it contains escapes.
func (d *decoder) rawString() ([]byte, bool, error) {
	if !d.eat('"') {
		return nil, false, errSyntax
	}
	start := d.i
	esc := false
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := d.b[start:d.i]
			d.i++
			return s, esc, nil
		case c == '\\':
			esc = true
			d.i += 2
		case c < 0x20:
			return nil, false, errSyntax
		default:
			d.i++
		}
	}
	return nil, false, errSyntax
}

// key reads an object member's name; it is only valid until the next read.
func (d *decoder) key() ([]byte, error) {
	k, esc, err := d.rawString()
	if err != nil {
		return nil, err
	}
	if esc {
		s, err := unescape(k)
		if err != nil {
			return nil, err
		}
		k = []byte(s)
	}
	if !d.eat(':') {
		return nil, errSyntax
	}
	return k, nil
}

// str reads a string value; with intern it may share a previous copy.
func (d *decoder) str(intern bool) (string, error) {
	raw, esc, err := d.rawString()
	if err != nil {
		return "", err
	}
	if esc {
		return unescape(raw)
	}
	if !utf8.Valid(raw) {
		return string([]rune(string(raw))), nil // invalid bytes become U+FFFD
	}
	if intern && len(raw) <= internMaxLen {
		if s, ok := d.intern[string(raw)]; ok {
			return s, nil
		}
		s := string(raw)
		if len(d.intern) < internMax {
			d.intern[s] = s
		}
		return s, nil
	}
	return string(raw), nil
}

func unescape(raw []byte) (string, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", errSyntax
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				return "", errSyntax
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if lo, ok := hex4(raw[i+3:]); ok {
						if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
							r2 = dec
							i += 6
						}
					}
				}
				r = r2
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", errSyntax
		}
	}
	if !utf8.Valid(out) {
		return string([]rune(string(out))), nil
	}
	return string(out), nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// object reads '{' and calls member for each member name; member must read
// the value.
func (d *decoder) object(member func(k []byte) error) error {
	if !d.eat('{') {
		return errSyntax
	}
	if d.eat('}') {
		return nil
	}
	for {
		k, err := d.key()
		if err != nil {
			return err
		}
		if err := member(k); err != nil {
			return err
		}
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			return nil
		}
		return errSyntax
	}
}

// null consumes a JSON null if one is next.
func (d *decoder) null() bool {
	if d.peek() == 'n' && d.i+4 <= len(d.b) && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

func (d *decoder) boolean() (bool, error) {
	switch d.peek() {
	case 't':
		if d.i+4 <= len(d.b) && string(d.b[d.i:d.i+4]) == "true" {
			d.i += 4
			return true, nil
		}
	case 'f':
		if d.i+5 <= len(d.b) && string(d.b[d.i:d.i+5]) == "false" {
			d.i += 5
			return false, nil
		}
	case 'n':
		if d.null() {
			return false, nil
		}
	}
	return false, errSyntax
}

func (d *decoder) integer() (int, error) {
	if d.null() {
		return 0, nil
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			d.i++
			continue
		}
		break
	}
	n, err := strconv.Atoi(string(d.b[start:d.i]))
	if err != nil {
		f, ferr := strconv.ParseFloat(string(d.b[start:d.i]), 64)
		if ferr != nil {
			return 0, errSyntax
		}
		return int(f), nil
	}
	return n, nil
}

func (d *decoder) time() (time.Time, error) {
	if d.null() {
		return time.Time{}, nil
	}
	raw, esc, err := d.rawString()
	if err != nil {
		return time.Time{}, err
	}
	if esc {
		return time.Time{}, errSyntax
	}
	if t, ok := parseUTCMillis(raw); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, string(raw))
	if err != nil {
		return time.Time{}, err
	}
	return t.Local(), nil
}

// parseUTCMillis parses the layout the journal writes,
// 2006-01-02T15:04:05.000Z, without time.Parse.
func parseUTCMillis(b []byte) (time.Time, bool) {
	if len(b) != 24 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' ||
		b[16] != ':' || b[19] != '.' || b[23] != 'Z' {
		return time.Time{}, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[0:4])
	mo, ok2 := num(b[5:7])
	dd, ok3 := num(b[8:10])
	h, ok4 := num(b[11:13])
	mi, ok5 := num(b[14:16])
	s, ok6 := num(b[17:19])
	ms, ok7 := num(b[20:23])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || dd < 1 || dd > 31 ||
		h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), dd, h, mi, s, ms*1e6, time.UTC).Local(), true
}

// stringMap reads {"k":"v",…}.
func (d *decoder) stringMap(internValues bool) (map[string]string, error) {
	if d.null() {
		return nil, nil
	}
	m := make(map[string]string, 4)
	err := d.object(func(k []byte) error {
		key := d.internKey(k)
		v, err := d.str(internValues)
		if err != nil {
			return err
		}
		m[key] = v
		return nil
	})
	return m, err
}

// values reads {"name":["v",…],…}; a plain string is accepted as one value.
func (d *decoder) values() (providers.Values, error) {
	if d.null() {
		return nil, nil
	}
	v := make(providers.Values, 8)
	err := d.object(func(k []byte) error {
		name := d.internKey(k)
		if d.peek() == '"' {
			s, err := d.str(true)
			if err != nil {
				return err
			}
			v[name] = []string{s}
			return nil
		}
		if !d.eat('[') {
			return errSyntax
		}
		var list []string
		if d.eat(']') {
			v[name] = list
			return nil
		}
		for {
			s, err := d.str(true)
			if err != nil {
				return err
			}
			list = append(list, s)
			if d.eat(',') {
				continue
			}
			if d.eat(']') {
				break
			}
			return errSyntax
		}
		v[name] = list
		return nil
	})
	return v, err
}

func (d *decoder) internKey(k []byte) string {
	if s, ok := d.intern[string(k)]; ok {
		return s
	}
	s := string(k)
	if len(d.intern) < internMax {
		d.intern[s] = s
	}
	return s
}

// skip reads and discards any value.
func (d *decoder) skip() error {
	return d.skipDepth(0)
}

func (d *decoder) skipDepth(depth int) error {
	if depth > 64 {
		return errSyntax
	}
	switch c := d.peek(); {
	case c == '"':
		_, _, err := d.rawString()
		return err
	case c == '{':
		return d.object(func([]byte) error { return d.skipDepth(depth + 1) })
	case c == '[':
		d.i++
		if d.eat(']') {
			return nil
		}
		for {
			if err := d.skipDepth(depth + 1); err != nil {
				return err
			}
			if d.eat(',') {
				continue
			}
			if d.eat(']') {
				return nil
			}
			return errSyntax
		}
	case c == 't' || c == 'f' || c == 'n':
		if d.null() {
			return nil
		}
		_, err := d.boolean()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := d.integer()
		return err
	}
	return errSyntax
}

// parseLine decodes one journal line into r. A line of another record
// type decodes to kind recNone without error.
func (d *decoder) parseLine(line []byte, r *record) error {
	d.b, d.i = line, 0
	*r = record{}
	var (
		s   *Session
		o   *outcome
		typ string
	)
	sess := func() *Session {
		if s == nil {
			s = &Session{}
		}
		return s
	}
	out := func() *outcome {
		if o == nil {
			o = &outcome{}
		}
		return o
	}
	var err error
	err = d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "type":
			typ, err = d.str(true)
		case "id":
			r.id, err = d.str(false)
		case "at":
			r.at, err = d.time()
		// intent
		case "provider":
			sess().Provider, err = d.str(true)
		case "mode":
			var m string
			m, err = d.str(true)
			sess().Mode = providers.Mode(m)
		case "endpoint":
			sess().Endpoint, err = d.str(true)
		case "values":
			sess().Values, err = d.values()
		case "requestSha256":
			sess().RequestHash, err = d.str(false)
		case "attempt":
			sess().Attempts, err = d.integer()
		// outcome; "customer" is in both intent and outcome
		case "customer":
			var c string
			c, err = d.str(false)
			sess().Customer = c
			out().customer = c
		case "references":
			out().refs, err = d.stringMap(false)
		case "url":
			out().url, err = d.str(false)
		case "expiresAt":
			out().expiresAt, err = d.time()
		case "singleUse":
			out().singleUse, err = d.boolean()
		case "challenge":
			out().challenge, err = d.challenge()
		case "extra":
			out().extra, err = d.stringMap(true)
		case "error":
			out().err, err = d.errorInfo()
		// status
		case "status":
			var st string
			st, err = d.str(true)
			r.state = providers.State(st)
		case "detail", "how":
			r.text, err = d.str(true)
		default:
			err = d.skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	if d.peek() != 0 {
		return errSyntax
	}
	if r.id == "" {
		if typ == "" {
			return errors.New("no record type")
		}
		return errors.New("no session id")
	}
	switch typ {
	case typeIntent:
		r.kind = recIntent
		r.intent = sess()
	case typeOutcome:
		r.kind = recOutcome
		r.out = out()
	case typeStatus:
		r.kind = recStatus
		if r.state == "" {
			return errors.New("status record without status")
		}
	case typeResolved:
		r.kind = recResolved
	case "":
		return errors.New("no record type")
	}
	return nil
}

func (d *decoder) challenge() (*providers.Challenge, error) {
	if d.null() {
		return nil, nil
	}
	c := &providers.Challenge{}
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "challengeType":
			c.Type, err = d.str(true)
		case "challengeRenderValue":
			c.RenderValue, err = d.str(false)
		case "challengeId":
			c.ChallengeID, err = d.str(false)
		case "triggered":
			c.Triggered, err = d.boolean()
		case "codeExpiresAt":
			c.CodeExpires, err = d.time()
		default: // sandboxCode is never written and never read
			err = d.skip()
		}
		return err
	})
	return c, err
}

func (d *decoder) errorInfo() (*ErrorInfo, error) {
	if d.null() {
		return nil, nil
	}
	e := &ErrorInfo{}
	err := d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "kind":
			var s string
			s, err = d.str(true)
			e.Kind = providers.ErrorKind(s)
		case "code":
			e.Code, err = d.str(true)
		case "field":
			e.Field, err = d.str(true)
		case "message":
			e.Message, err = d.str(true)
		case "action":
			e.Action, err = d.str(true)
		case "httpStatus":
			e.HTTPStatus, err = d.integer()
		default:
			err = d.skip()
		}
		return err
	})
	return e, err
}
