package session

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// A filter's bounds: every word is a condition of the query, and a
// database refuses an expression past a few thousand ("Expression tree is
// too large"); no one types more than a few words to find a session.
const (
	MaxFilterWords = 16
	MaxFilterBytes = 256
)

// ErrFilterTooLong is the answer to a filter past those bounds.
var ErrFilterTooLong = fmt.Errorf("filter too long: at most %d words and %d characters", MaxFilterWords, MaxFilterBytes)

// filterWords are a filter's words, lower case, without control
// characters (a NUL is refused by PostgreSQL) or invalid UTF-8.
func filterWords(text string) []string {
	text = strings.ToValidUTF8(text, " ")
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	return strings.Fields(lower(text))
}

// checkFilter refuses a filter past the bounds, before any SQL is built.
func checkFilter(q Query) error {
	if len(q.Text) > 4*MaxFilterBytes { // bytes of control characters count too
		return ErrFilterTooLong
	}
	words := filterWords(q.Text)
	if len(words) > MaxFilterWords || len(strings.Join(words, " ")) > MaxFilterBytes {
		return ErrFilterTooLong
	}
	return nil
}

// selection is the SQL a Query makes: FROM, WHERE and the column that
// orders it newest first, with the arguments from $1.
type selection struct {
	from, where, order string
	args               []any
}

func (d *DB) selection(q Query, customers bool) selection {
	var sel selection
	arg := func(v any) string {
		sel.args = append(sel.args, v)
		return "$" + strconv.Itoa(len(sel.args))
	}
	sel.from, sel.order = "sessions s", "s.num"
	var conds []string
	if customers {
		// The customers' own sessions, through their index.
		var in []string
		for _, c := range q.Customers {
			if c = strings.TrimSpace(c); c != "" {
				in = append(in, arg(c))
			}
		}
		conds = append(conds, "s.customer IN ("+strings.Join(in, ", ")+")")
	} else if words := filterWords(q.Text); len(words) > 0 {
		from, cond, order := d.dialect.TextFilter(words, arg)
		sel.from, sel.order = from, order
		conds = append(conds, cond)
	}
	if q.Mode != "" {
		conds = append(conds, "s.mode = "+arg(string(q.Mode)))
	}
	if q.State != "" {
		conds = append(conds, "s.state = "+arg(string(q.State)))
	}
	switch {
	case q.Desk != "" && q.Operator != "":
		// The desk's sessions and the operator's, each through its own
		// index (0005): "desk = $1 OR operator = $2" next to another
		// condition walked that condition's index (every session of a
		// mode) for a desk with few sessions of its own.
		conds = append(conds, "s.num IN (SELECT num FROM sessions WHERE desk = "+arg(q.Desk)+
			" UNION ALL SELECT num FROM sessions WHERE operator = "+arg(q.Operator)+")")
	case q.Desk != "":
		conds = append(conds, "s.desk = "+arg(q.Desk))
	case q.Operator != "":
		conds = append(conds, "s.operator = "+arg(q.Operator))
	}
	if q.Before != "" {
		conds = append(conds, "s.num < (SELECT num FROM sessions WHERE id = "+arg(strings.ToLower(strings.TrimSpace(q.Before)))+")")
	}
	if len(conds) > 0 {
		sel.where = " WHERE " + strings.Join(conds, " AND ")
	}
	return sel
}

func limit(n int) string {
	if n <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(n)
}

// hasCustomers: the query also keeps the sessions of typed customer ids.
func hasCustomers(q Query) bool {
	if strings.TrimSpace(q.Text) == "" {
		return false
	}
	for _, c := range q.Customers {
		if strings.TrimSpace(c) != "" {
			return true
		}
	}
	return false
}

// ownNewest: q is a desk's own newest few (its desk or its operator),
// without a filter's words.
func ownNewest(q Query) bool {
	return q.Desk != "" && q.Operator != "" && q.Limit > 0 && len(filterWords(q.Text)) == 0
}

// nums are the rows q selects, newest first, at most n (0: all). With
// Customers, the text's matches and the customers' sessions are merged.
func (d *DB) nums(ctx context.Context, q Query, n int) ([]int64, error) {
	get := func(customers bool) ([]int64, error) {
		sel := d.selection(q, customers)
		rows, err := d.query(ctx, d.db, `SELECT s.num FROM `+sel.from+sel.where+` ORDER BY `+sel.order+` DESC`+limit(n), sel.args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var num int64
			if err := rows.Scan(&num); err != nil {
				return nil, err
			}
			out = append(out, num)
		}
		return out, rows.Err()
	}
	var out []int64
	var err error
	if ownNewest(q) {
		// The desk's newest and the operator's newest, each through its
		// own index in order (0005), merged: one OR over both walked the
		// history backwards for a desk with few sessions of its own.
		byDesk, byOperator := q, q
		byDesk.Operator, byOperator.Desk = "", ""
		if out, err = d.nums(ctx, byDesk, n); err != nil {
			return nil, err
		}
		more, err := d.nums(ctx, byOperator, n)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	} else {
		out, err = get(false)
		if err != nil || !hasCustomers(q) {
			return out, err
		}
		more, err := get(true)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	slices.SortFunc(out, func(a, b int64) int { return cmp.Compare(b, a) })
	out = slices.Compact(out)
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// byNums reads the sessions of nums (at most a few hundred), newest first.
func (d *DB) byNums(ctx context.Context, nums []int64) ([]*Session, error) {
	if len(nums) == 0 {
		return nil, nil
	}
	marks := make([]string, len(nums))
	args := make([]any, len(nums))
	for i, n := range nums {
		marks[i] = "$" + strconv.Itoa(i+1)
		args[i] = n
	}
	return d.sessions(ctx, d.db, `SELECT `+sessionCols+` FROM `+sessionFrom+` WHERE s.num IN (`+strings.Join(marks, ", ")+`) ORDER BY s.num DESC`, args...)
}

// List implements Store.
func (d *DB) List(ctx context.Context, q Query) ([]*Session, error) {
	if err := checkFilter(q); err != nil {
		return nil, err
	}
	if hasCustomers(q) || ownNewest(q) {
		nums, err := d.nums(ctx, q, q.Limit)
		if err != nil {
			return nil, d.failed(err)
		}
		out, err := d.byNums(ctx, nums)
		return out, d.failed(err)
	}
	sel := d.selection(q, false)
	out, err := d.sessions(ctx, d.db, `SELECT `+sessionCols+` FROM `+sel.from+` JOIN session_docs d ON d.num = s.num`+sel.where+
		` ORDER BY `+sel.order+` DESC`+limit(q.Limit), sel.args...)
	return out, d.failed(err)
}

// Count implements Store.
func (d *DB) Count(ctx context.Context, q Query) (int, error) {
	if err := checkFilter(q); err != nil {
		return 0, err
	}
	q.Before = ""
	if hasCustomers(q) || strings.TrimSpace(q.Text) != "" {
		nums, err := d.nums(ctx, q, q.Limit)
		return len(nums), d.failed(err)
	}
	sel := d.selection(q, false)
	text := `SELECT count(*) FROM ` + sel.from + sel.where
	if q.Limit > 0 {
		text = `SELECT count(*) FROM (SELECT 1 FROM ` + sel.from + sel.where + limit(q.Limit) + `) x`
	}
	var n int
	err := d.retry(ctx, func() error { return d.db.QueryRowContext(ctx, text, sel.args...).Scan(&n) })
	return n, d.failed(err)
}

// Search implements Store: one pass over the matches gives the page and
// the count.
func (d *DB) Search(ctx context.Context, q Query, countTo int) ([]*Session, int, error) {
	if err := checkFilter(q); err != nil {
		return nil, 0, err
	}
	if strings.TrimSpace(q.Text) == "" {
		page, err := d.List(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		cq := q
		cq.Limit = countTo
		n, err := d.Count(ctx, cq)
		return page, n, err
	}
	n := countTo
	if n > 0 && q.Limit > n {
		n = q.Limit
	}
	if q.Limit <= 0 {
		n = 0
	}
	nums, err := d.nums(ctx, q, n)
	if err != nil {
		return nil, 0, d.failed(err)
	}
	total := len(nums)
	if countTo > 0 {
		total = min(total, countTo)
	}
	if q.Limit > 0 && len(nums) > q.Limit {
		nums = nums[:q.Limit]
	}
	var page []*Session
	for chunk := range slices.Chunk(nums, 500) {
		more, err := d.byNums(ctx, chunk)
		if err != nil {
			return nil, 0, d.failed(err)
		}
		page = append(page, more...)
	}
	return page, total, nil
}

// All implements Store.
func (d *DB) All(ctx context.Context, q Query) iter.Seq2[*Session, error] {
	return func(yield func(*Session, error) bool) {
		if hasCustomers(q) {
			nums, err := d.nums(ctx, q, q.Limit)
			if err != nil {
				yield(nil, d.failed(err))
				return
			}
			for chunk := range slices.Chunk(nums, 500) {
				list, err := d.byNums(ctx, chunk)
				if err != nil {
					yield(nil, d.failed(err))
					return
				}
				for _, s := range list {
					if !yield(s, nil) {
						return
					}
				}
			}
			return
		}
		sel := d.selection(q, false)
		rows, err := d.query(ctx, d.db, `SELECT `+sessionCols+` FROM `+sel.from+` JOIN session_docs d ON d.num = s.num`+sel.where+
			` ORDER BY `+sel.order+` DESC`+limit(q.Limit), sel.args...)
		if err != nil {
			yield(nil, d.failed(err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanSession(rows)
			if err != nil {
				yield(nil, d.failed(err))
				return
			}
			if !yield(s, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, d.failed(err))
		}
	}
}
