package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// storeWait bounds one question the desk asks the store (a shared
// PostgreSQL that stopped answering must not freeze a screen for ever).
const storeWait = 10 * time.Second

// actor is who acts at this desk, as the store records it with every
// event (session.WithActor): the operator and desk of a served console,
// nobody locally.
func (d *Desk) actor(ctx context.Context) context.Context {
	return session.WithActor(ctx, session.Actor{Operator: d.o.Operator, Desk: d.o.Desk})
}

// storeCtx is the context of one store call made by the desk itself.
func (d *Desk) storeCtx() (context.Context, context.CancelFunc) {
	return d.storeCtxFrom(context.Background())
}

// storeCtxFrom is storeCtx within a caller's deadline (the callback
// receiver answers the provider within about a second).
func (d *Desk) storeCtxFrom(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(d.actor(parent), storeWait)
}

// get finds a recorded session by id, id prefix or provider reference.
func (d *Desk) get(id string) (*session.Session, error) {
	ctx, cancel := d.storeCtx()
	defer cancel()
	s, err := d.o.Store.Get(ctx, id)
	if err == nil && !d.Sees(s) {
		return nil, notYours(s.ID)
	}
	return s, err
}

// recordStatus appends a status to the session's history, saying where it
// came from; the store applies the record's rules (a decided session is
// never reopened).
func (d *Desk) recordStatus(id string, st *providers.Status, src session.Source) (*session.Session, error) {
	ctx, cancel := d.storeCtx()
	defer cancel()
	return d.o.Store.Status(ctx, id, st, src)
}

// pendingFor is the store's duplicate check.
func (d *Desk) pendingFor(provider, customer string, mode providers.Mode) []*session.Session {
	ctx, cancel := d.storeCtx()
	defer cancel()
	list, err := d.o.Store.PendingFor(ctx, provider, customer, mode, d.Now())
	if err != nil {
		return nil
	}
	return list
}

// CountTo bounds how far a list's matches are counted: beyond it the list
// says "1000+" rather than count a million rows at every keystroke.
const CountTo = 1000

// Page is one page of the sessions list.
type Page struct {
	Rows []Row
	// Total is how many sessions match, counted up to CountTo.
	Total int
	// More: there are more matches than Total says (Total == CountTo).
	More bool
}

// SessionsPage is a page of at most limit sessions of mode ("" = every
// mode), newest first, filtered by query ("" = all), older than the
// session after ("" = from the newest). A customer id typed as the query
// also finds the sessions that record it transformed (Alibaba's hashed
// MerchantUserId, session.CustomerKeys).
func (d *Desk) SessionsPage(ctx context.Context, mode providers.Mode, query, after string, limit int) (Page, error) {
	ctx, cancel := context.WithTimeout(ctx, storeWait)
	defer cancel()
	query = strings.TrimSpace(query)
	q := d.scope(session.Query{Mode: mode, Text: query, Before: after, Limit: limit})
	if query != "" {
		q.Customers = session.CustomerKeys(d.o.Registry, d.o.Store.CustomerKey(), query)
	}
	type found struct {
		list  []*session.Session
		total int
	}
	search := func() (any, error) {
		list, total, err := d.o.Store.Search(ctx, q, CountTo)
		return found{list, total}, err
	}
	var v any
	var err error
	if h := hubOf(d.o.Store); h != nil && query == "" && after == "" {
		// The first page of the list, as most desks show it: read once per
		// change for every desk.
		v, err = h.shared(fmt.Sprintf("page/%s/%d/%s/%s", mode, limit, q.Desk, q.Operator), search)
	} else {
		v, err = search()
	}
	if err != nil {
		return Page{}, err
	}
	list, total := v.(found).list, v.(found).total
	p := Page{Rows: make([]Row, len(list)), Total: total, More: total >= CountTo}
	for i, s := range list {
		p.Rows[i] = d.rowOf(s)
	}
	return p, nil
}

// Sessions lists at most limit sessions (0 = all) newest first, filtered
// by query ("" = all), and how many matched (up to CountTo).
func (d *Desk) Sessions(query string, limit int) ([]Row, int) {
	return d.SessionsIn("", query, limit)
}

// SessionsIn is Sessions of one mode only ("" = every mode): a console
// lists its own mode's sessions and shows the other's on request.
func (d *Desk) SessionsIn(mode providers.Mode, query string, limit int) ([]Row, int) {
	p, _ := d.SessionsPage(context.Background(), mode, query, "", limit)
	return p.Rows, p.Total
}

// Recent is the newest n sessions of mode ("" = every mode), for home.
func (d *Desk) Recent(mode providers.Mode, n int) []Row {
	ctx, cancel := d.storeCtx()
	defer cancel()
	q := d.scope(session.Query{Mode: mode, Limit: n})
	read := func() (any, error) { return d.o.Store.List(ctx, q) }
	var v any
	var err error
	if h := hubOf(d.o.Store); h != nil {
		// Once per change for every desk with this view.
		v, err = h.shared(fmt.Sprintf("recent/%s/%d/%s/%s", mode, n, q.Desk, q.Operator), read)
	} else {
		v, err = read()
	}
	if err != nil {
		return nil
	}
	list := v.([]*session.Session)
	rows := make([]Row, len(list))
	for i, s := range list {
		rows[i] = d.rowOf(s)
	}
	return rows
}

// Unknown counts the sessions of every mode whose launch outcome is
// unknown (not those whose request is still out).
func (d *Desk) Unknown() int {
	ctx, cancel := d.storeCtx()
	defer cancel()
	read := func() (any, error) {
		if d.scoped() {
			return d.unknownCount(ctx)
		}
		c, err := d.o.Store.Counts(ctx, "", d.Now())
		return c.Unknown, err
	}
	var v any
	var err error
	if h := hubOf(d.o.Store); h != nil && d.o.Now == nil {
		q := d.scope(session.Query{})
		v, err = h.shared("unknown/"+q.Desk+"/"+q.Operator, read) // once per change (and second) for every desk with this view
	} else {
		v, err = read()
	}
	if err != nil {
		return 0
	}
	return v.(int)
}

// Problem is a note about the history (what opening the store fixed or
// skipped), or "".
func (d *Desk) Problem() string { return strings.Join(d.o.Store.Warnings(), "; ") }

// Session is a recorded session (for the command line's own printing).
func (d *Desk) Session(id string) (*session.Session, error) { return d.get(id) }

// Store is the desk's session history.
func (d *Desk) Store() session.Store { return d.o.Store }

// watchStore puts every session the store's change feed reports (what
// another console, the command line or another server recorded) on this
// desk's Changes, until ctx ends. A resync (the feed reconnected) is an
// empty id: every list reloads. It subscribes in the background: the
// first frame does not wait for a database round trip.
func (d *Desk) watchStore(ctx context.Context) {
	if h := hubOf(d.o.Store); h != nil {
		h.join(ctx, d) // one subscription per store and process (hub.go)
		return
	}
	go func() {
		ch, err := d.o.Store.Subscribe(ctx)
		d.subscribedOnce.Do(func() { close(d.subscribed) })
		if err != nil {
			return
		}
		for c := range ch {
			// This desk's feed only: every desk of a process has its own
			// subscription, so nothing is announced again (Changed).
			if c.Resync {
				d.Notify("")
				continue
			}
			for i, id := range c.IDs {
				d.NotifyTo(id, c.SeqOf(i))
			}
		}
	}()
}

// isMissing reports a lookup that found nothing (or too much).
func isMissing(err error) bool {
	return errors.Is(err, session.ErrNotFound) || errors.Is(err, session.ErrAmbiguous)
}

// Affects reports whether the change of session id may show in this
// desk's lists: always at a desk that lists every session; at an
// operator's desk, whether the session is one of its own, the session
// read once per change for every desk (a change at another desk costs
// this one no list read and no redraw).
func (d *Desk) Affects(id string) bool {
	if id == "" || !d.scoped() {
		return true
	}
	read := func() (any, error) {
		ctx, cancel := d.storeCtx()
		defer cancel()
		return d.o.Store.Get(ctx, id)
	}
	var v any
	var err error
	if h := hubOf(d.o.Store); h != nil {
		v, err = h.shared("session/"+id, read)
	} else {
		v, err = read()
	}
	s, _ := v.(*session.Session)
	if err != nil || s == nil {
		return true
	}
	return d.Sees(s)
}
