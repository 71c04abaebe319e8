package session

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
)

// chunkSize is how much of the journal is read and decoded at a time.
const chunkSize = 4 << 20

// catchUp reads from j.off to the end of the file and folds it. With
// shared it holds a shared lock while reading (appenders hold an exclusive
// one), so the data never ends inside another process's append: a partial
// last line is a torn one. It returns the number of records read. The
// caller holds wmu.
func (j *Journal) catchUp(shared, cow bool) (int, error) {
	if shared {
		if err := lockFile(j.f, false); err != nil {
			return 0, fmt.Errorf("journal: %w", err)
		}
		defer unlockFile(j.f)
	}
	fi, err := j.f.Stat()
	if err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	size := fi.Size()
	if size < j.off {
		// Truncated by something else: read it again from the start.
		j.mu.Lock()
		j.order, j.byID, j.torn, j.readWarnings, j.search = nil, map[string]int{}, 0, nil, nil
		j.notes = append(j.notes, fmt.Sprintf("%s shrank from %d to %d bytes (changed by another program); read again from the start", j.path, j.off, size))
		j.mu.Unlock()
		j.off, j.endsClean, j.snapOff = 0, true, 0
		cow = false
	}
	if size == j.off {
		return 0, nil
	}
	return j.stream(size, cow)
}

// chunk is a piece of the journal that ends with a newline.
type chunk struct {
	data string
	base int64 // file offset of data
	p    parsed
	done chan struct{}
}

// parsed is one chunk's decoded lines.
type parsed struct {
	recs []record
	bad  []string // warnings for lines that did not decode
}

// stream reads the file from j.off to size in chunks and decodes them on
// every CPU while this goroutine folds them in file order. The sessions'
// text points into the chunks' strings.
func (j *Journal) stream(size int64, cow bool) (int, error) {
	if j.off == 0 && len(j.order) == 0 && !cow {
		// A hint: a session takes somewhat less than 1 KB of journal.
		hint := int(min(size/700, 1<<22))
		j.byID = make(map[string]int, hint)
		j.order = make([]*Session, 0, hint)
	}
	var (
		seq     = make(chan *chunk, 8)
		work    = make(chan *chunk, 8)
		readErr error
		carry   []byte // a line not complete at the end of a read
		wg      sync.WaitGroup
	)
	// The reader: one buffer, reused; each chunk's text is copied out of
	// it into a string of its own (which costs less than zeroing fresh
	// buffers).
	go func() {
		defer close(seq)
		defer close(work)
		base := j.off
		var buf []byte
		for off := j.off; off < size; {
			n := int(min(int64(chunkSize), size-off))
			if cap(buf) < len(carry)+n {
				nb := make([]byte, len(carry)+n)
				copy(nb, carry)
				buf = nb
			} else {
				buf = buf[:len(carry)+n]
				copy(buf, carry)
			}
			m, err := j.f.ReadAt(buf[len(carry):], off)
			if err != nil && !errors.Is(err, io.EOF) {
				readErr = fmt.Errorf("journal: reading %s: %w", j.path, err)
				return
			}
			off += int64(m)
			data := buf[:len(carry)+m]
			cut := bytes.LastIndexByte(data, '\n')
			if cut < 0 {
				carry = data
			} else {
				c := &chunk{data: string(data[:cut+1]), base: base, done: make(chan struct{})}
				base += int64(cut + 1)
				carry = data[cut+1:]
				seq <- c
				work <- c
			}
			if m == 0 {
				return
			}
		}
	}()
	// The decoders.
	workers := runtime.GOMAXPROCS(0)
	if size-j.off <= chunkSize {
		workers = 1
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := newDecoder()
			for c := range work {
				c.p = parseLines(d, c.data, c.base)
				close(c.done)
			}
		}()
	}
	// The folder.
	records := 0
	end := j.off
	for c := range seq {
		<-c.done
		j.mu.Lock()
		records += len(c.p.recs)
		j.torn += len(c.p.bad)
		for _, w := range c.p.bad {
			j.warn(w)
		}
		for i := range c.p.recs {
			if w := j.apply(&c.p.recs[i], cow); w != "" {
				j.warn(w)
			}
		}
		j.mu.Unlock()
		c.p.recs = nil
		end = c.base + int64(len(c.data))
	}
	wg.Wait()
	if readErr != nil {
		j.off, j.endsClean = end, true // what was folded; the rest is read again next time
		return records, readErr
	}
	j.mu.Lock()
	if len(carry) > 0 {
		j.torn++
		j.warn(fmt.Sprintf("%s: the last line (%d bytes at offset %d) is incomplete, probably cut short by a crash; skipped",
			j.path, len(carry), end))
	}
	j.mu.Unlock()
	j.off = end + int64(len(carry))
	j.endsClean = len(carry) == 0
	return records, nil
}

// parseLines decodes the lines of data (which starts at offset base).
func parseLines(d *decoder, data string, base int64) parsed {
	var p parsed
	lines := strings.Count(data, "\n")
	p.recs = make([]record, 0, lines)
	// The sessions begun in this chunk, so that the records that follow
	// them here are folded without looking their id up.
	local := make(map[string]*Session, lines/3+1)
	for start := 0; start < len(data); {
		end := strings.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		line := data[start:end]
		at := base + int64(start)
		start = end + 1
		if len(strings.TrimSpace(line)) == 0 {
			continue
		}
		p.recs = append(p.recs, record{})
		r := &p.recs[len(p.recs)-1]
		if err := d.parseLine(line, r); err != nil {
			p.recs = p.recs[:len(p.recs)-1]
			p.bad = append(p.bad, fmt.Sprintf("line at offset %d (%d bytes) skipped: %v", at, len(line), err))
			continue
		}
		switch r.kind {
		case recNone:
			p.recs = p.recs[:len(p.recs)-1] // a record type from a newer version
		case recIntent:
			if s, ok := local[r.id]; ok {
				r.sess = s
			} else {
				local[r.id] = r.intent
				r.sess = r.intent
			}
		default:
			r.sess = local[r.id]
		}
	}
	return p
}

// indexAll computes the missing filter texts of search (by index in
// order) on every CPU. Each worker writes its texts into one buffer and
// hands out pieces of it: one allocation per worker, not one per session.
func indexAll(order []*Session, search []string) {
	workers := runtime.GOMAXPROCS(0)
	if len(order) < 4096 {
		workers = 1
	}
	var wg sync.WaitGroup
	per := (len(order) + workers - 1) / workers
	for lo := 0; lo < len(order); lo += per {
		part, texts := order[lo:min(lo+per, len(order))], search[lo:min(lo+per, len(order))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ends := make([]int, len(part))
			buf := make([]byte, 0, 128*len(part))
			for i, s := range part {
				if texts[i] == "" {
					buf = s.appendIndex(buf)
				}
				ends[i] = len(buf)
			}
			all := string(buf)
			start := 0
			for i := range part {
				if texts[i] == "" {
					texts[i] = all[start:ends[i]]
				}
				start = ends[i]
			}
		}()
	}
	wg.Wait()
}
