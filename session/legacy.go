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
	err = d.writeTx(ctx, true, func(tx *wtx) error {
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
		if l.ID == "" || l.At.IsZero() {
			warn(fmt.Sprintf("%s: line %d skipped: no id or time", path, n))
			continue
		}
		at := normTime(l.At)
		cur := sessions[l.ID]
		if cur == nil && kind == EventIntent {
			var one int
			err := tx.row(`SELECT 1 FROM sessions WHERE id = $1`, l.ID).Scan(&one)
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
