package session

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session/internal/safefile"
)

// legacyLine is a line of the JSON Lines journal of earlier releases:
//
//	intent   {"type":"intent","id","at","provider","mode","endpoint","customer","values","requestSha256","attempt"}
//	outcome  {"type":"outcome","id","at", then "references","url","expiresAt","singleUse","challenge","extra","customer", or "error":{…}}
//	status   {"type":"status","id","at","status","detail"}
//	resolved {"type":"resolved","id","at","how"}
//	audit    {"type":"audit","id","at","action","detail"}
//
// intent, status, resolved and audit lines end with "operator" and
// "desk" when a served desk wrote them.
type legacyLine struct {
	Type          string              `json:"type"`
	ID            string              `json:"id"`
	At            time.Time           `json:"at"`
	Provider      string              `json:"provider"`
	Mode          providers.Mode      `json:"mode"`
	Endpoint      string              `json:"endpoint"`
	Customer      string              `json:"customer"`
	Values        map[string][]string `json:"values"`
	RequestSHA256 string              `json:"requestSha256"`
	Attempt       int                 `json:"attempt"`
	References    map[string]string   `json:"references"`
	URL           string              `json:"url"`
	ExpiresAt     time.Time           `json:"expiresAt"`
	SingleUse     bool                `json:"singleUse"`
	Challenge     *struct {
		Triggered   bool      `json:"triggered"`
		Type        string    `json:"challengeType"`
		RenderValue string    `json:"challengeRenderValue"`
		ChallengeID string    `json:"challengeId"`
		CodeExpires time.Time `json:"codeExpiresAt"`
	} `json:"challenge"`
	Extra map[string]string `json:"extra"`
	Error *struct {
		Kind       providers.ErrorKind `json:"kind"`
		Code       string              `json:"code"`
		Field      string              `json:"field"`
		Message    string              `json:"message"`
		Action     string              `json:"action"`
		HTTPStatus int                 `json:"httpStatus"`
	} `json:"error"`
	Status   string `json:"status"`
	Detail   string `json:"detail"`
	How      string `json:"how"`
	Action   string `json:"action"`
	Operator string `json:"operator"`
	Desk     string `json:"desk"`
}

// Record types, the "type" member of every journal line.
const (
	typeIntent   = "intent"
	typeOutcome  = "outcome"
	typeStatus   = "status"
	typeResolved = "resolved"
	typeAudit    = "audit"
)

// event is the store's event for the line; kind "" for a line of a kind
// this release does not know (written by a newer one), which is skipped.
func (l *legacyLine) event(key []byte) (string, *eventDoc) {
	switch l.Type {
	case typeIntent:
		e := &eventDoc{Provider: l.Provider, Mode: l.Mode, Endpoint: l.Endpoint, Customer: l.Customer, Attempt: l.Attempt}
		if v := encodeValues(providers.Values(l.Values)); v != "" {
			e.Values = json.RawMessage(v)
		}
		if l.RequestSHA256 != "" {
			// The plain hash is never stored; only its keyed form, which a
			// retry can still be compared with.
			e.Fingerprint = legacyFingerprint(key, l.RequestSHA256)
		}
		return EventIntent, e
	case typeOutcome:
		e := &eventDoc{}
		if x := l.Error; x != nil {
			e.Error = &errorDoc{Kind: x.Kind, Code: x.Code, Field: x.Field, Message: x.Message, Action: x.Action, HTTPStatus: x.HTTPStatus}
			return EventOutcome, e
		}
		e.References, e.URL, e.ExpiresAt, e.SingleUse = l.References, l.URL, normTime(l.ExpiresAt), l.SingleUse
		e.Extra, e.Customer = l.Extra, l.Customer
		if c := l.Challenge; c != nil {
			e.Challenge = &challengeDoc{Type: c.Type, RenderValue: c.RenderValue, ChallengeID: c.ChallengeID,
				Triggered: c.Triggered, CodeExpires: normTime(c.CodeExpires)}
		}
		return EventOutcome, e
	case typeStatus:
		return EventStatus, &eventDoc{State: providers.State(l.Status), Detail: l.Detail}
	case typeResolved:
		return EventResolved, &eventDoc{Detail: l.How}
	case typeAudit:
		return EventAudit, &eventDoc{Action: l.Action, Detail: l.Detail}
	}
	return "", nil
}

// ImportedSuffix is appended to a journal's name once it is imported.
const ImportedSuffix = ".imported"

// ImportJournal imports the JSON Lines journal at path, once: its records
// become events (a plain request hash only in keyed form), torn or
// damaged lines are skipped with a warning, and the file is renamed
// path+".imported". A store that has imported a journal before only
// renames it. It reports whether it imported anything. A journal that is
// a symbolic link is refused.
func (d *DB) ImportJournal(ctx context.Context, path string) (bool, error) {
	f, err := safefile.Open(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("importing the journal: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false, fmt.Errorf("importing the journal: %s is not a regular file", path)
	}
	var notes []string
	imported := false
	var done string
	err = d.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'journal_import'`).Scan(&done)
	if err == nil {
		// Imported before; only the rename was left undone.
		f.Close()
		if err := os.Rename(path, path+ImportedSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.Warn(fmt.Sprintf("the journal %s was imported but could not be renamed (%v); it will not be imported again", path, err))
		}
		return false, nil
	}
	err = d.writeTx(ctx, txBulk, func(tx *wtx) error {
		notes, imported = nil, false
		var done string
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'journal_import'`).Scan(&done)
		if err == nil {
			return nil // imported already (by another process that has not renamed it yet)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		var sum importSummary
		notes, sum, err = d.importLines(ctx, tx, f, path)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(sum)
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('journal_import', $1)`, string(b)); err != nil {
			return err
		}
		imported = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("importing the journal %s into %s: %w", path, d.location, err)
	}
	for _, n := range notes {
		d.Warn(n)
	}
	f.Close()
	if err := os.Rename(path, path+ImportedSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.Warn(fmt.Sprintf("the journal %s was imported but could not be renamed (%v); it will not be imported again", path, err))
	}
	return imported, nil
}

type importSummary struct {
	From     string    `json:"from"`
	At       time.Time `json:"at"`
	Sessions int       `json:"sessions"`
	Records  int       `json:"records"`
	Skipped  int       `json:"skipped"`
}

// importLines folds the journal's lines and writes their events, then the
// sessions they make. It returns the warnings.
func (d *DB) importLines(ctx context.Context, tx *wtx, r io.Reader, path string) ([]string, importSummary, error) {
	sum := importSummary{From: path, At: time.Now().UTC()}
	var notes []string
	skipped := 0
	warn := func(msg string) {
		skipped++
		if len(notes) < maxWarnings {
			notes = append(notes, msg)
		}
	}
	type folded struct {
		s     *Session
		first int64
		last  int64
	}
	sessions := map[string]*folded{}
	scrubbers := map[string]*providers.Scrubber{}
	var order []string
	br := bufio.NewReaderSize(r, 1<<20)
	var off int64
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, sum, err
		}
		start := off
		off += int64(len(line))
		complete := line[len(line)-1] == '\n'
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var l legacyLine
		if err := json.Unmarshal(line, &l); err != nil {
			if !complete {
				warn(fmt.Sprintf("%s: the last line (%d bytes at offset %d) is incomplete, probably cut short by a crash; skipped",
					path, len(line), start))
			} else {
				warn(fmt.Sprintf("%s: line %d skipped: %v", path, n, err))
			}
			continue
		}
		kind, e := l.event(d.key)
		if kind == "" {
			continue // a record type from a newer release
		}
		if kind == EventIntent && scrubbers[l.ID] == nil {
			sc := importScrubber(e)
			scrubbers[l.ID] = &sc
		}
		sc := providers.Scrubber{}
		if p := scrubbers[l.ID]; p != nil {
			sc = *p
		}
		cleanImported(d.key, sc, kind, e)
		l.Operator, l.Desk = cleanLine(l.Operator, 200), cleanLine(l.Desk, 200)
		if l.ID == "" || l.At.IsZero() {
			warn(fmt.Sprintf("%s: line %d skipped: no id or time", path, n))
			continue
		}
		at := normTime(l.At)
		cur := sessions[l.ID]
		if cur == nil && kind == EventIntent {
			var one int
			err := tx.row(sqlIDTaken, l.ID).Scan(&one)
			if err == nil {
				warn(fmt.Sprintf("%s: line %d skipped: the store has a session %s already", path, n, l.ID))
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, sum, err
			}
		}
		var s *Session
		if cur != nil {
			s = cur.s
		}
		actor := Actor{Operator: l.Operator, Desk: l.Desk}
		next, err := foldEvent(s, l.ID, kind, at, actor, e)
		if err != nil {
			warn(fmt.Sprintf("%s: line %d skipped: %v", path, n, err))
			continue
		}
		seq, err := d.insertEvent(ctx, tx, l.ID, kind, at, actor, e)
		if err != nil {
			return nil, sum, err
		}
		sum.Records++
		if cur == nil {
			cur = &folded{first: seq}
			sessions[l.ID] = cur
			order = append(order, l.ID)
		}
		cur.s, cur.last = next, seq
	}
	for _, id := range order {
		f := sessions[id]
		f.s.num = f.first
		if err := d.insertSession(ctx, tx, f.s, f.last); err != nil {
			return nil, sum, err
		}
		if f.s.Launched() {
			if err := d.insertRefs(ctx, tx, f.s.num, f.s.References()); err != nil {
				return nil, sum, err
			}
		}
	}
	sum.Sessions, sum.Skipped = len(order), skipped
	if skipped > len(notes) {
		notes = append(notes, fmt.Sprintf("%s: %d more lines skipped", path, skipped-len(notes)))
	}
	notes = append([]string{fmt.Sprintf("imported %d sessions from the journal %s (renamed %s%s)",
		len(order), path, path, ImportedSuffix)}, notes...)
	return notes, sum, nil
}

// ---- today's rules for what an earlier release imported ----

// cleanImported applies today's rules to an event of a session imported
// from an earlier release's journal, which kept what that release kept:
// the launch values are dropped (the journal does not say which were
// personal: names, dates of birth, phone numbers), a customer that is a
// phone number is masked and one that is a plain SHA-256 (Alibaba's
// MerchantUserId) keyed, user info (credentials) leaves every URL, and
// control and bidi characters leave every text. A relaunch of an
// imported session asks for its values again.
//
// sc holds the session's launch values (its intent's, before they are
// dropped), all taken as personal: they are masked wherever free text
// (a status detail, an error message) repeats them.
func cleanImported(key []byte, sc providers.Scrubber, kind string, e *eventDoc) {
	e.Values = nil
	e.Endpoint = cleanURL(e.Endpoint)
	e.Customer = cleanCustomer(key, e.Customer)
	e.URL = cleanURL(e.URL)
	for k, v := range e.References {
		e.References[k] = cleanLine(v, 500)
	}
	for k, v := range e.Extra {
		e.Extra[k] = cleanLine(v, 500)
	}
	if c := e.Challenge; c != nil {
		c.Type, c.ChallengeID = cleanLine(c.Type, 100), cleanLine(c.ChallengeID, 200)
		c.RenderValue = cleanCustomer(key, c.RenderValue)
	}
	if x := e.Error; x != nil {
		x.Code, x.Field = cleanLine(x.Code, 200), cleanLine(x.Field, 200)
		x.Message, x.Action = sc.Text(cleanLine(x.Message, 1000)), sc.Text(cleanLine(x.Action, 1000))
	}
	e.State = providers.State(cleanLine(string(e.State), 100))
	e.Detail, e.Action = sc.Text(cleanLine(e.Detail, 500)), cleanLine(e.Action, 100)
}

// importScrubber masks an imported session's launch values (e, its
// intent's) in the free text of its events.
func importScrubber(e *eventDoc) providers.Scrubber {
	var v map[string][]string
	if len(e.Values) > 0 {
		_ = json.Unmarshal(e.Values, &v)
	}
	return providers.NewScrubber(nil, nil, providers.Values(v))
}

func cleanLine(s string, n int) string {
	return clip(strings.TrimSpace(providers.SanitizeLine(s)), n)
}

// cleanURL is u without user info and control characters.
func cleanURL(u string) string {
	return providers.StripUserinfo(cleanLine(u, 2000))
}

var (
	plainSHA256 = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{64}$`) })
	phoneLike   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+?[0-9][0-9 ()./-]{5,}[0-9]$`) })
)

// cleanCustomer is an imported customer under today's rules.
func cleanCustomer(key []byte, c string) string {
	c = cleanLine(c, 200)
	switch {
	case plainSHA256().MatchString(c):
		return legacyCustomer(customerKey(key), c)
	case phoneLike().MatchString(c):
		return providers.MaskPhone(c)
	}
	return c
}

// cleanImportedRows applies cleanImported to the sessions an earlier
// release imported into this store (their intents have no sending
// deadline: only a live launch sets one), rewriting their events and
// folding them again. It runs once, in the migration's transaction, with
// the events' append-only triggers lifted (the one place they are); the
// caller records that it did. It returns how many sessions it cleaned.
func (d *DB) cleanImportedRows(ctx context.Context, tx *wtx) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT session_id, data FROM events WHERE kind = 'intent' ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	var ids []string
	seen := map[string]bool{}
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return 0, err
		}
		var e eventDoc
		if json.Unmarshal([]byte(data), &e) == nil && e.SendingUntil.IsZero() && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return 0, err
	}
	for _, q := range d.dialect.AppendOnlyOff {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	for _, id := range ids {
		if err := d.cleanSession(ctx, tx, id); err != nil {
			return 0, fmt.Errorf("cleaning imported session %s: %w", id, err)
		}
	}
	for _, q := range d.dialect.AppendOnlyOn {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// cleanSession rewrites one imported session's events under today's rules
// and its folded row from them.
func (d *DB) cleanSession(ctx context.Context, tx *wtx, id string) error {
	type ev struct {
		seq            int64
		kind           string
		at             int64
		operator, desk string
		doc            eventDoc
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, kind, at, operator, desk, data FROM events WHERE session_id = $1 ORDER BY seq`, id)
	if err != nil {
		return err
	}
	var evs []ev
	for rows.Next() {
		var e ev
		var data string
		if err := rows.Scan(&e.seq, &e.kind, &e.at, &e.operator, &e.desk, &data); err != nil {
			rows.Close()
			return err
		}
		if err := json.Unmarshal([]byte(data), &e.doc); err != nil {
			rows.Close()
			return fmt.Errorf("event %d: %w", e.seq, err)
		}
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var s *Session
	var last int64
	var sc providers.Scrubber
	if len(evs) > 0 && evs[0].kind == EventIntent {
		sc = importScrubber(&evs[0].doc)
	}
	for _, e := range evs {
		cleanImported(d.key, sc, e.kind, &e.doc)
		data, err := json.Marshal(&e.doc)
		if err != nil {
			return err
		}
		op, desk := cleanLine(e.operator, 200), cleanLine(e.desk, 200)
		if _, err := tx.ExecContext(ctx, `UPDATE events SET data = $1, operator = $2, desk = $3 WHERE seq = $4`,
			string(data), op, desk, e.seq); err != nil {
			return err
		}
		if next, err := foldEvent(s, id, e.kind, fromMS(e.at), Actor{Operator: op, Desk: desk}, &e.doc); err == nil {
			s = next
		}
		last = e.seq
	}
	if s == nil {
		return nil
	}
	if err := tx.QueryRowContext(ctx, `SELECT num FROM sessions WHERE id = $1`, id).Scan(&s.num); err != nil {
		return err
	}
	if err := d.updateSession(ctx, tx, s, last); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM refs WHERE num = $1`, s.num); err != nil {
		return err
	}
	return d.insertRefs(ctx, tx, s.num, s.References())
}
