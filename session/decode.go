package session

import (
	"errors"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kycdesk/kycdesk/providers"
)

var errSyntax = errors.New("malformed JSON")

// decoder decodes journal lines by hand, several times faster than
// encoding/json's reflection: a journal read from the start (no usable
// snapshot) holds a line for every change of every session. It accepts any
// valid JSON object per line (members in any order, whitespace, unknown
// members skipped) and rejects anything else.
//
// It reads a string holding the journal's bytes, and a value without
// escapes is a substring of it: decoding allocates maps, slices and
// records, never the text. (The text of a journal stays in memory as long
// as its sessions do, which is about the file's size.)
type decoder struct {
	b string
	i int
	// The last date parsed ("2026-03-01") and its day number: the lines
	// of a journal mostly share their date with the line before.
	date    string
	dateDay int64
	// Slabs: sessions, outcomes and value lists are carved from blocks
	// instead of being allocated one by one.
	sessions []Session
	outcomes []outcome
	strs     []string
	bulk     bool // decoding a whole journal: allocate in blocks
}

const slab = 256

func (d *decoder) newSession() *Session {
	if len(d.sessions) == 0 {
		d.sessions = make([]Session, slab)
	}
	s := &d.sessions[0]
	d.sessions = d.sessions[1:]
	return s
}

func (d *decoder) newOutcome() *outcome {
	if len(d.outcomes) == 0 {
		d.outcomes = make([]outcome, slab)
	}
	o := &d.outcomes[0]
	d.outcomes = d.outcomes[1:]
	return o
}

func newDecoder() *decoder { return &decoder{bulk: true} }

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
	if d.i < len(d.b) && d.b[d.i] > ' ' {
		return d.b[d.i]
	}
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// eat consumes c if it is the next non-space byte.
func (d *decoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

// rawString reads a string and returns its text between the quotes,
// whether it contains escapes, and whether it has non-ASCII bytes.
func (d *decoder) rawString() (raw string, esc, nonASCII bool, err error) {
	if !d.eat('"') {
		return "", false, false, errSyntax
	}
	start := d.i
	k := start
	for {
		k = special(d.b, k)
		if k >= len(d.b) {
			return "", false, false, errSyntax
		}
		switch c := d.b[k]; {
		case c == '"':
			d.i = k + 1
			return d.b[start:k], esc, nonASCII, nil
		case c == '\\':
			esc = true
			k += 2
		case c >= 0x80:
			nonASCII = true
			k++
		default: // a control character
			return "", false, false, errSyntax
		}
	}
}

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special returns the index of the first byte from k on that ends the
// plain run of a JSON string: a quote, a backslash, a control character
// or a non-ASCII byte; len(s) if there is none. It tests eight bytes at a
// time: each term below flags a byte that matches, and since a false flag
// can only appear above a true one, the lowest flag is exact.
func special(s string, k int) int {
	for ; k+8 <= len(s); k += 8 {
		w := uint64(s[k]) | uint64(s[k+1])<<8 | uint64(s[k+2])<<16 | uint64(s[k+3])<<24 |
			uint64(s[k+4])<<32 | uint64(s[k+5])<<40 | uint64(s[k+6])<<48 | uint64(s[k+7])<<56
		q := w ^ ('"' * lows)
		b := w ^ ('\\' * lows)
		t := ((q - lows) &^ q) | ((b - lows) &^ b) | ((w - 0x20*lows) &^ w) | w
		if t &= highs; t != 0 {
			return k + bits.TrailingZeros64(t)/8
		}
	}
	for ; k < len(s); k++ {
		if c := s[k]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return k
		}
	}
	return k
}

// key reads an object member's name.
func (d *decoder) key() (string, error) {
	k, esc, _, err := d.rawString()
	if err != nil {
		return "", err
	}
	if esc {
		if k, err = unescape(k); err != nil {
			return "", err
		}
	}
	if !d.eat(':') {
		return "", errSyntax
	}
	return k, nil
}

// str reads a string value.
func (d *decoder) str() (string, error) {
	raw, esc, nonASCII, err := d.rawString()
	if err != nil {
		return "", err
	}
	if esc {
		return unescape(raw)
	}
	if nonASCII && !utf8.ValidString(raw) {
		return strings.ToValidUTF8(raw, "\uFFFD"), nil
	}
	return raw, nil
}

func unescape(raw string) (string, error) {
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
		return strings.ToValidUTF8(string(out), "\uFFFD"), nil
	}
	return string(out), nil
}

func hex4(b string) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(b[:4]) {
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
func (d *decoder) object(member func(k string) error) error {
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
	if d.peek() == 'n' && strings.HasPrefix(d.b[d.i:], "null") {
		d.i += 4
		return true
	}
	return false
}

func (d *decoder) boolean() (bool, error) {
	switch d.peek() {
	case 't':
		if strings.HasPrefix(d.b[d.i:], "true") {
			d.i += 4
			return true, nil
		}
	case 'f':
		if strings.HasPrefix(d.b[d.i:], "false") {
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
	n, err := strconv.Atoi(d.b[start:d.i])
	if err != nil {
		f, ferr := strconv.ParseFloat(d.b[start:d.i], 64)
		if ferr != nil {
			return 0, errSyntax
		}
		return int(f), nil
	}
	return n, nil
}

func (d *decoder) time() (time.Time, error) {
	// The journal's own layout, without scanning for the closing quote.
	if d.peek() == '"' && d.i+26 <= len(d.b) && d.b[d.i+25] == '"' {
		raw := d.b[d.i+1 : d.i+25]
		if d.date != "" && raw[:10] == d.date {
			if ms, ok := clockMillis(raw); ok {
				d.i += 26
				return time.UnixMilli(d.dateDay*86_400_000 + ms), nil
			}
		}
		if t, ok := parseUTCMillis(raw); ok {
			d.date, d.dateDay = raw[:10], floorDiv(t.UnixMilli(), 86_400_000)
			d.i += 26
			return t, nil
		}
	}
	if d.null() {
		return time.Time{}, nil
	}
	raw, esc, _, err := d.rawString()
	if err != nil {
		return time.Time{}, err
	}
	if esc {
		return time.Time{}, errSyntax
	}
	if t, ok := parseUTCMillis(raw); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, err
	}
	return t.Local(), nil
}

// parseUTCMillis parses the layout the journal writes,
// 2006-01-02T15:04:05.000Z, without time.Parse.
func parseUTCMillis(b string) (time.Time, bool) {
	if len(b) != 24 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' ||
		b[16] != ':' || b[19] != '.' || b[23] != 'Z' {
		return time.Time{}, false
	}
	for _, i := range [...]uint8{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22} {
		if b[i]-'0' > 9 {
			return time.Time{}, false
		}
	}
	two := func(i int) int { return int(b[i]-'0')*10 + int(b[i+1]-'0') }
	y := two(0)*100 + two(2)
	mo, dd, h, mi, s := two(5), two(8), two(11), two(14), two(17)
	ms := two(20)*10 + int(b[22]-'0')
	if mo < 1 || mo > 12 || dd < 1 || dd > daysIn(mo, y) || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	days := daysFromCivil(y, mo, dd)
	return time.UnixMilli(((days*24+int64(h))*60+int64(mi))*60000 + int64(s)*1000 + int64(ms)), true
}

// clockMillis parses the time of day of the journal's layout (bytes 10 to
// 23 of "2006-01-02T15:04:05.000Z") as milliseconds since midnight.
func clockMillis(b string) (int64, bool) {
	if b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != '.' || b[23] != 'Z' {
		return 0, false
	}
	for _, i := range [...]uint8{11, 12, 14, 15, 17, 18, 20, 21, 22} {
		if b[i]-'0' > 9 {
			return 0, false
		}
	}
	two := func(i int) int64 { return int64(b[i]-'0')*10 + int64(b[i+1]-'0') }
	h, mi, s := two(11), two(14), two(17)
	if h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	return ((h*60+mi)*60+s)*1000 + two(20)*10 + int64(b[22]-'0'), true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// stringMap reads {"k":"v",…}.
func (d *decoder) stringMap() (map[string]string, error) {
	if d.null() {
		return nil, nil
	}
	m := make(map[string]string, 4)
	err := d.object(func(k string) error {
		v, err := d.str()
		if err != nil {
			return err
		}
		m[k] = v
		return nil
	})
	return m, err
}

// values reads {"name":["v",…],…}; a plain string is accepted as one
// value. The lists share one backing array (each capped, so appending to
// one copies it).
func (d *decoder) values() (providers.Values, error) {
	if d.null() {
		return nil, nil
	}
	v := make(providers.Values, 8)
	if cap(d.strs)-len(d.strs) < 16 {
		n := 16
		if d.bulk {
			n *= slab
		}
		d.strs = make([]string, 0, n)
	}
	// Every list is appended to d.strs and capped, so appending to one
	// later copies it rather than writing over its neighbour.
	backing := d.strs
	defer func() { d.strs = backing }()
	err := d.object(func(name string) error {
		from := len(backing)
		if d.peek() == '"' {
			s, err := d.str()
			if err != nil {
				return err
			}
			backing = append(backing, s)
			v[name] = backing[from:len(backing):len(backing)]
			return nil
		}
		if !d.eat('[') {
			return errSyntax
		}
		if d.eat(']') {
			v[name] = nil
			return nil
		}
		for {
			s, err := d.str()
			if err != nil {
				return err
			}
			backing = append(backing, s)
			if d.eat(',') {
				continue
			}
			if d.eat(']') {
				break
			}
			return errSyntax
		}
		v[name] = backing[from:len(backing):len(backing)]
		return nil
	})
	return v, err
}

// skipObject passes over an object (d.peek() == '{') fast: strings are
// checked as everywhere, and brackets must balance outside them; the rest
// of the grammar is left to whoever decodes the object later (its decoder
// is strict).
// rawObject returns the text of a JSON object (nil for null), checked but
// not built.
func (d *decoder) rawObject() (string, error) {
	if d.null() {
		return "", nil
	}
	if d.peek() != '{' {
		return "", errSyntax
	}
	start := d.i
	if err := d.skipObject(); err != nil {
		return "", err
	}
	return d.b[start:d.i], nil
}

func (d *decoder) skipObject() error {
	depth := 0
	for k := d.i; k < len(d.b); {
		switch d.b[k] {
		case '"':
			d.i = k
			if _, _, _, err := d.rawString(); err != nil {
				return err
			}
			k = d.i
			continue
		case '{', '[':
			depth++
			if depth > 64 {
				return errSyntax
			}
		case '}', ']':
			depth--
			if depth == 0 {
				d.i = k + 1
				return nil
			}
			if depth < 0 {
				return errSyntax
			}
		}
		k++
	}
	return errSyntax
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
		_, _, _, err := d.rawString()
		return err
	case c == '{':
		return d.object(func(string) error { return d.skipDepth(depth + 1) })
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

// Record members, by name.
const (
	mUnknown = iota
	mType
	mID
	mAt
	mProvider
	mMode
	mEndpoint
	mCustomer
	mValues
	mHash
	mAttempt
	mRefs
	mURL
	mExpires
	mSingle
	mChallenge
	mExtra
	mError
	mStatus
	mText
	mAction
	mOperator
	mDesk
)

func memberOf(k string) int {
	switch k {
	case "type":
		return mType
	case "id":
		return mID
	case "at":
		return mAt
	case "provider":
		return mProvider
	case "mode":
		return mMode
	case "endpoint":
		return mEndpoint
	case "customer":
		return mCustomer
	case "values":
		return mValues
	case "requestSha256":
		return mHash
	case "attempt":
		return mAttempt
	case "references":
		return mRefs
	case "url":
		return mURL
	case "expiresAt":
		return mExpires
	case "singleUse":
		return mSingle
	case "challenge":
		return mChallenge
	case "extra":
		return mExtra
	case "error":
		return mError
	case "status":
		return mStatus
	case "detail", "how":
		return mText
	case "action":
		return mAction
	case "operator":
		return mOperator
	case "desk":
		return mDesk
	}
	return mUnknown
}

// member is a member name as appendRecord writes it, with its quotes and
// colon.
type member struct {
	lit string
	id  int
}

func members(names ...string) []member {
	out := make([]member, len(names))
	for i, n := range names {
		out[i] = member{lit: `"` + n + `":`, id: memberOf(n)}
	}
	return out
}

// The order appendRecord writes members in, after "type".
var (
	layoutStart    = members("type")
	layoutIntent   = members("id", "at", "provider", "mode", "endpoint", "customer", "values", "requestSha256", "attempt", "operator", "desk")
	layoutOutcome  = members("id", "at", "error", "references", "url", "expiresAt", "singleUse", "challenge", "extra", "customer")
	layoutStatus   = members("id", "at", "status", "detail", "operator", "desk")
	layoutResolved = members("id", "at", "how", "operator", "desk")
	layoutAudit    = members("id", "at", "action", "detail", "operator", "desk")
)

func layoutOf(typ string) []member {
	switch typ {
	case typeIntent:
		return layoutIntent
	case typeOutcome:
		return layoutOutcome
	case typeStatus:
		return layoutStatus
	case typeResolved:
		return layoutResolved
	case typeAudit:
		return layoutAudit
	}
	return nil
}

// parseLine decodes one journal line into r. A line of another record
// type decodes to kind recNone without error.
func (d *decoder) parseLine(line string, r *record) error {
	d.b, d.i = line, 0
	*r = record{}
	var (
		typ, provider, mode, endpoint, customer, values, hash string
		url, state, text, refs                                string
		action, operator, desk                                string
		attempt                                               int
		extra                                                 map[string]string
		expires                                               time.Time
		single                                                bool
		ch                                                    *providers.Challenge
		einfo                                                 *ErrorInfo
	)
	if !d.eat('{') {
		return errSyntax
	}
	seq, pos := layoutStart, 0
	if !d.eat('}') {
		for {
			// The journal writes members in a fixed order: try the
			// expected names before reading one.
			m := mUnknown
			if d.i < len(d.b) && d.b[d.i] == '"' {
				rest := d.b[d.i:]
				for p := pos; p < len(seq); p++ {
					if strings.HasPrefix(rest, seq[p].lit) {
						m, pos = seq[p].id, p+1
						d.i += len(seq[p].lit)
						break
					}
				}
			}
			var err error
			if m == mUnknown {
				var k string
				if k, err = d.key(); err != nil {
					return err
				}
				m = memberOf(k)
			}
			switch m {
			case mType:
				typ, err = d.str()
				seq, pos = layoutOf(typ), 0
			case mID:
				r.id, err = d.str()
			case mAt:
				r.at, err = d.time()
			case mProvider:
				provider, err = d.str()
			case mMode:
				mode, err = d.str()
			case mEndpoint:
				endpoint, err = d.str()
			case mCustomer:
				customer, err = d.str()
			case mValues:
				// Kept as text and decoded by Session.Values: checked
				// here, not built.
				values, err = d.rawObject()
			case mHash:
				hash, err = d.str()
			case mAttempt:
				attempt, err = d.integer()
			case mRefs:
				// Kept as text, like values; Session.References decodes it.
				refs, err = d.rawObject()
			case mURL:
				url, err = d.str()
			case mExpires:
				expires, err = d.time()
			case mSingle:
				single, err = d.boolean()
			case mChallenge:
				ch, err = d.challenge()
			case mExtra:
				extra, err = d.stringMap()
			case mError:
				einfo, err = d.errorInfo()
			case mStatus:
				state, err = d.str()
			case mText:
				text, err = d.str()
			case mAction:
				action, err = d.str()
			case mOperator:
				operator, err = d.str()
			case mDesk:
				desk, err = d.str()
			default:
				err = d.skip()
			}
			if err != nil {
				return err
			}
			if d.eat(',') {
				continue
			}
			if d.eat('}') {
				break
			}
			return errSyntax
		}
	}
	if d.peek() != 0 {
		return errSyntax
	}
	if typ == "" {
		return errors.New("no record type")
	}
	if r.id == "" {
		return errors.New("no session id")
	}
	r.operator, r.desk = operator, desk
	switch typ {
	case typeIntent:
		r.kind = recIntent
		s := d.newSession()
		s.Provider, s.Mode, s.Endpoint, s.Customer = provider, providers.Mode(mode), endpoint, customer
		s.values, s.RequestHash, s.Attempts = values, hash, attempt
		r.intent = s
	case typeOutcome:
		r.kind = recOutcome
		o := d.newOutcome()
		o.refs, o.url, o.expiresAt, o.singleUse = refs, url, expires, single
		o.challenge, o.extra, o.customer, o.err = ch, extra, customer, einfo
		r.out = o
	case typeStatus:
		if state == "" {
			return errors.New("status record without status")
		}
		r.kind = recStatus
		r.state, r.text = providers.State(state), text
	case typeResolved:
		r.kind = recResolved
		r.text = text
	case typeAudit:
		r.kind = recAudit
		r.action, r.text = action, text
	}
	return nil
}

func (d *decoder) challenge() (*providers.Challenge, error) {
	if d.null() {
		return nil, nil
	}
	c := &providers.Challenge{}
	err := d.object(func(k string) error {
		var err error
		switch k {
		case "challengeType":
			c.Type, err = d.str()
		case "challengeRenderValue":
			c.RenderValue, err = d.str()
		case "challengeId":
			c.ChallengeID, err = d.str()
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
	err := d.object(func(k string) error {
		var err error
		switch k {
		case "kind":
			var s string
			s, err = d.str()
			e.Kind = providers.ErrorKind(s)
		case "code":
			e.Code, err = d.str()
		case "field":
			e.Field, err = d.str()
		case "message":
			e.Message, err = d.str()
		case "action":
			e.Action, err = d.str()
		case "httpStatus":
			e.HTTPStatus, err = d.integer()
		default:
			err = d.skip()
		}
		return err
	})
	return e, err
}
