package main

import (
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

var (
	homeRx     = regexp.MustCompile(`Start a verification session`)
	qrRx       = regexp.MustCompile(`[▀▄█]{4}.*scanRef`) // QR modules and the scanRef, drawn in one frame
	tokenRx    = regexp.MustCompile(`authToken ([A-Za-z0-9]+)`)
	approvedRx = regexp.MustCompile(`(?i)session\s+approved`)
	readyRx    = regexp.MustCompile(`Client ID`)
	reviewRx   = regexp.MustCompile(`Review: the exact request`)
)

// formSteps are what each enter on iDenfy's essentials form brings up,
// from the second field on: the next field's label, then the Advanced
// question, then review (the next key waits for each, as a person
// would: an enter that raced ahead would skip a field).
func formSteps() []*regexp.Regexp {
	spec := idenfy.Spec()
	var steps []*regexp.Regexp
	for _, n := range forms.New("iDenfy", spec, nil, false).Essentials[1:] {
		p, _ := spec.Lookup(n)
		steps = append(steps, regexp.MustCompile(regexp.QuoteMeta(forms.Label(p))))
	}
	return append(steps, regexp.MustCompile("Advanced parameters"), reviewRx)
}

// recorder gathers what desks measured.
type recorder struct {
	mu       sync.Mutex
	launch   []time.Duration
	echo     []time.Duration
	answer   []time.Duration
	errs     []string
	skipped  int // lockstep bursts a desk was not ready for
	answered int
}

func (r *recorder) add(to *[]time.Duration, d time.Duration) {
	r.mu.Lock()
	*to = append(*to, d)
	r.mu.Unlock()
}

func (r *recorder) fail(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// desk is one SSH desk and its customers.
type desk struct {
	i     int
	name  string
	t     *term
	tgt   *target
	cfg   *config
	rec   *recorder
	rnd   *mrand.Rand
	run   string
	steps []*regexp.Regexp
	n     int // customers so far
}

// connect opens the desk's SSH session and waits for home.
func (d *desk) connect() error {
	signer := d.tgt.signers[d.i%len(d.tgt.signers)]
	t, err := dialTerm(d.tgt.sshAddr, d.name, signer, d.cfg.width, d.cfg.height, d.cfg.wait)
	if err != nil {
		return fmt.Errorf("%s: connect: %w", d.name, err)
	}
	d.t = t
	if _, _, err := t.await(homeRx, d.cfg.wait); err != nil {
		return fmt.Errorf("%s: no home screen: %w", d.name, err)
	}
	return nil
}

// open goes from home to the first customer's screen: the profile's, or
// the explorer's iDenfy form.
func (d *desk) open() error {
	name := "iDenfy"
	if d.cfg.flow == "profile" {
		name = d.cfg.profile
	}
	rx := regexp.MustCompile(`(\d)  ` + regexp.QuoteMeta(name))
	l, _, err := d.t.await(rx, d.cfg.wait)
	if err != nil {
		return fmt.Errorf("%s: home lists no %q: %w", d.name, name, err)
	}
	d.t.from()
	d.t.send(rx.FindStringSubmatch(l)[1])
	if _, _, err := d.t.await(readyRx, d.cfg.wait); err != nil {
		return fmt.Errorf("%s: %s did not open: %w; screen: %s", d.name, name, err, d.t.tail(8))
	}
	return nil
}

// typeID types the customer's id: at the typing rate, each key's echo
// timed (measure), or all at once as a paste.
func (d *desk) typeID(id string, measure bool) error {
	if !measure {
		d.t.from()
		d.t.send(id)
		if _, _, err := d.t.await(regexp.MustCompile(`> `+regexp.QuoteMeta(id)), d.cfg.wait); err != nil {
			return fmt.Errorf("no echo of %q: %w; screen: %s", id, err, d.t.tail(8))
		}
		return nil
	}
	gap := time.Duration(float64(time.Second) / d.cfg.typing)
	for k := 1; k <= len(id); k++ {
		next := time.Now().Add(gap)
		d.t.from()
		at, err := d.t.send(id[k-1 : k])
		if err != nil {
			return err
		}
		_, seen, err := d.t.await(regexp.MustCompile(`> `+regexp.QuoteMeta(id[:k])), d.cfg.wait)
		if err != nil {
			return fmt.Errorf("no echo of %q: %w; screen: %s", id[:k], err, d.t.tail(8))
		}
		d.rec.add(&d.rec.echo, seen.Sub(at))
		time.Sleep(time.Until(next))
	}
	return nil
}

// fill goes from the typed id to the point where enter launches: nothing
// more for a profile; the form's other fields and review for the explorer.
func (d *desk) fill(measure bool) error {
	if d.cfg.flow == "profile" {
		return nil
	}
	d.t.from()
	d.t.send("\r")
	if _, _, err := d.t.await(d.steps[0], d.cfg.wait); err != nil {
		return fmt.Errorf("form: %w; screen: %s", err, d.t.tail(8))
	}
	if measure {
		for _, k := range "John" {
			d.t.send(string(k))
			time.Sleep(time.Duration(float64(time.Second) / d.cfg.typing))
		}
	} else {
		d.t.send("John")
	}
	for _, rx := range d.steps[1:] {
		d.t.from()
		d.t.send("\r")
		if _, _, err := d.t.await(rx, d.cfg.wait); err != nil {
			return fmt.Errorf("form: %w; screen: %s", err, d.t.tail(8))
		}
	}
	return nil
}

// launch presses enter and waits for the QR; it returns the session's
// authToken (read off the screen) and when the QR arrived.
func (d *desk) launch() (string, time.Time, error) {
	d.t.from()
	start, err := d.t.send("\r")
	if err != nil {
		return "", time.Time{}, err
	}
	_, at, err := d.t.await(qrRx, d.cfg.wait)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("no QR: %w; screen: %s", err, d.t.tail(8))
	}
	d.rec.add(&d.rec.launch, at.Sub(start))
	l, _, err := d.t.await(tokenRx, d.cfg.wait)
	if err != nil {
		return "", at, fmt.Errorf("no authToken on the result: %w", err)
	}
	return tokenRx.FindStringSubmatch(l)[1], at, nil
}

// next presses n and waits for the next customer's screen.
func (d *desk) next() error {
	d.t.from()
	d.t.send("n")
	if _, _, err := d.t.await(readyRx, d.cfg.wait); err != nil {
		return fmt.Errorf("n: no next customer's screen: %w; screen: %s", err, d.t.tail(8))
	}
	return nil
}

func (d *desk) customerID() string {
	d.n++
	return d.run + "-" + strconv.Itoa(d.i) + "-" + strconv.Itoa(d.n)
}

// peak serves customers that arrive at random until end.
func (d *desk) peak(end time.Time, client *http.Client) {
	mean := time.Duration(float64(time.Minute) / d.cfg.rate)
	arrive := time.Now().Add(time.Duration(d.rnd.ExpFloat64() * float64(mean)))
	for {
		if arrive.After(end) {
			// The hour lasts its duration whether or not a customer
			// comes: the server's CPU is measured over all of it (a
			// low --rate measures what idle desks cost).
			time.Sleep(time.Until(end))
			return
		}
		time.Sleep(time.Until(arrive)) // a queued customer is served at once
		id := d.customerID()
		if err := d.typeID(id, true); err != nil {
			d.rec.fail("%s, customer %s: %v", d.name, id, err)
			return
		}
		if err := d.fill(true); err != nil {
			d.rec.fail("%s, customer %s: %v", d.name, id, err)
			return
		}
		token, at, err := d.launch()
		if err != nil {
			d.rec.fail("%s, customer %s: %v", d.name, id, err)
			return
		}
		answer := at.Add(d.cfg.answerMin + time.Duration(d.rnd.Int64N(int64(d.cfg.answerMax-d.cfg.answerMin)+1)))
		if answer.After(end) {
			return // the hour is over before this customer answers
		}
		time.Sleep(time.Until(answer))
		d.t.from()
		start := time.Now()
		if err := approve(client, d.tgt.httpURL, token); err != nil {
			d.rec.fail("%s, customer %s: the customer's answer: %v", d.name, id, err)
			return
		}
		_, seen, err := d.t.await(approvedRx, d.cfg.wait)
		if err != nil {
			d.rec.fail("%s, customer %s: the result never reached the desk: %v; screen: %s", d.name, id, err, d.t.tail(8))
			return
		}
		d.rec.add(&d.rec.answer, seen.Sub(start))
		d.rec.mu.Lock()
		d.rec.answered++
		d.rec.mu.Unlock()
		if err := d.next(); err != nil {
			d.rec.fail("%s: %v", d.name, err)
			return
		}
		arrive = arrive.Add(time.Duration(d.rnd.ExpFloat64() * float64(mean)))
	}
}

// lockstep launches at each burst (start + k·period) the desk is ready
// for, until end; a burst it was not ready for is counted as skipped.
func (d *desk) lockstep(start, end time.Time) {
	last := -1
	for {
		id := d.customerID()
		if err := d.typeID(id, false); err != nil {
			d.rec.fail("%s, customer %s: %v", d.name, id, err)
			return
		}
		if err := d.fill(false); err != nil {
			d.rec.fail("%s, customer %s: %v", d.name, id, err)
			return
		}
		k := 0
		if now := time.Now(); now.After(start) {
			k = int(now.Sub(start)/d.cfg.period) + 1
		}
		burst := start.Add(time.Duration(k) * d.cfg.period)
		if burst.After(end) {
			return
		}
		if k > last+1 {
			d.rec.mu.Lock()
			d.rec.skipped += k - last - 1
			d.rec.mu.Unlock()
		}
		time.Sleep(time.Until(burst))
		if _, _, err := d.launch(); err != nil {
			d.rec.fail("%s, customer %s: %v", d.name, id, err)
			return
		}
		last = k
		// The customer scans the QR: the desk goes on to the next one
		// half a period after the burst, as an operator would, not while
		// the other desks of the burst still wait for theirs.
		time.Sleep(time.Until(burst.Add(d.cfg.period / 2)))
		if err := d.next(); err != nil {
			d.rec.fail("%s: %v", d.name, err)
			return
		}
	}
}

// approve is the customer pressing approve on the sandbox's iDenfy page.
func approve(client *http.Client, base, token string) error {
	resp, err := client.PostForm(base+idenfy.RedirectPath+"/"+idenfy.ActionApprove, url.Values{"authToken": {token}})
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("approve: %s", resp.Status)
	}
	return nil
}

// run is one load run: servers, the baseline desk, the desks, the report.
func run(ctx context.Context, cfg *config, log io.Writer) (*report, error) {
	var targets []*target
	if cfg.kycdesk != "" {
		ts, err := startServers(cfg, log)
		if err != nil {
			return nil, err
		}
		targets = ts
		defer stopServers(ts, cfg.keep, log)
	} else {
		t, err := attach(cfg)
		if err != nil {
			return nil, err
		}
		targets = []*target{t}
	}
	time.Sleep(time.Second) // the servers settle after start
	for _, t := range targets {
		s, err := t.sample()
		if err != nil {
			return nil, fmt.Errorf("server pid %d: %w", t.pid, err)
		}
		t.base = s
	}
	rnd := mrand.New(mrand.NewPCG(cfg.seed, cfg.seed>>1|1))
	run := "ld" + strconv.FormatUint(rnd.Uint64()%1e6, 36)
	// Desks are named after the run: a desk name the store has seen comes
	// back to the screen it was on (desk_state), so the desks of an
	// earlier run on the same store would open on their last QR, not home
	// (the "30 s stall" of two serves on a store earlier runs had filled).
	// The clock, not the seed: a seeded run repeated on one store too.
	deskTag := "d" + strconv.FormatInt(time.Now().UnixMilli()%1e10, 36)
	steps := formSteps()
	client := &http.Client{Timeout: cfg.wait}
	rep := &report{Label: cfg.label, Mode: "peak", Flow: cfg.flow, Desks: cfg.desks, Servers: len(targets),
		DurationS: cfg.duration.Seconds(), Seed: cfg.seed}
	if cfg.lockstep {
		rep.Mode = "lockstep"
	}

	// The baseline: one desk alone on the first server, the same flow,
	// launching one customer after another.
	if cfg.baseline > 0 {
		rec := &recorder{}
		d := &desk{i: len(targets[0].signers) - 1, name: deskTag + "-base", tgt: targets[0], cfg: cfg, rec: rec,
			rnd: mrand.New(mrand.NewPCG(rnd.Uint64(), 1)), run: run + "b", steps: steps}
		err := d.connect()
		if err == nil {
			err = d.open()
		}
		for k := 0; err == nil && k < cfg.baseline && ctx.Err() == nil; k++ {
			id := d.customerID()
			if err = d.typeID(id, false); err == nil {
				if err = d.fill(false); err == nil {
					if _, _, err = d.launch(); err == nil {
						err = d.next()
					}
				}
			}
		}
		if d.t != nil {
			d.t.close()
		}
		if err != nil {
			return nil, fmt.Errorf("baseline desk: %w", err)
		}
		rep.Baseline = stats(rec.launch)
	}

	// Connect the desks, --connect-rate a second, each to its home.
	rec := &recorder{}
	desks := make([]*desk, cfg.desks)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(cfg.connect))
	for i := range desks {
		tgt := targets[i%len(targets)]
		tgt.desks++
		d := &desk{i: i / len(targets), name: deskTag + "-" + strconv.Itoa(i), tgt: tgt, cfg: cfg, rec: rec,
			rnd: mrand.New(mrand.NewPCG(rnd.Uint64(), uint64(i))), run: run, steps: steps}
		desks[i] = d
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.connect(); err != nil {
				rec.fail("%v", err)
				return
			}
			if err := d.open(); err != nil {
				rec.fail("%v", err)
			}
		}()
		if ctx.Err() != nil {
			break
		}
	}
	tick.Stop()
	wg.Wait()
	defer func() {
		for _, d := range desks {
			if d != nil && d.t != nil {
				d.t.close()
			}
		}
	}()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	connectErrs := len(rec.errs)

	// The load.
	for _, t := range targets {
		t.first, _ = t.sample()
	}
	// This tool's own CPU: on one machine it competes with the server.
	self0, _ := readProc(os.Getpid())
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tk := time.NewTicker(500 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-tk.C:
				for _, t := range targets {
					t.sample()
				}
			case <-stopSampling:
				return
			}
		}
	}()
	start := time.Now()
	end := start.Add(cfg.duration)
	burst0 := start.Add(2 * time.Second) // every desk has typed its first id
	for _, d := range desks {
		if d.t == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cfg.lockstep {
				d.lockstep(burst0, end)
			} else {
				d.peak(end, client)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, d := range desks {
			if d.t != nil {
				d.t.close()
			}
		}
		<-done
		return nil, ctx.Err()
	}
	wall := time.Since(start)
	close(stopSampling)
	<-sampled
	for _, t := range targets {
		s, err := t.sample()
		if err != nil {
			return nil, fmt.Errorf("server pid %d: %w", t.pid, err)
		}
		t.lastS = s
	}

	if self1, err := readProc(os.Getpid()); err == nil && self0.cpu > 0 {
		rep.LoadCPUms = (self1.cpu - self0.cpu).Seconds() * 1000
	}
	rep.WallS = wall.Seconds()
	rep.Launches = len(rec.launch)
	rep.Answered = rec.answered
	rep.SkippedBursts = rec.skipped
	rep.LaunchToQR = stats(rec.launch)
	rep.KeyToEcho = stats(rec.echo)
	rep.AnswerToDesk = stats(rec.answer)
	rep.Errors = len(rec.errs)
	rep.ConnectErrors = connectErrs
	for i, e := range rec.errs {
		if i == 10 {
			break
		}
		rep.ErrorSamples = append(rep.ErrorSamples, e)
	}
	for _, t := range targets {
		cpu := t.lastS.cpu - t.first.cpu
		sr := serverReport{PID: t.pid, Desks: t.desks, CPUCores: cpu.Seconds() / wall.Seconds(),
			RSSBaseMB: mb(t.base.rss), RSSPeakMB: mb(t.peakRSS), RSSEndMB: mb(t.lastS.rss)}
		if t.desks > 0 {
			sr.RSSPerDeskMB = mb(t.peakRSS-t.base.rss) / float64(t.desks)
		}
		rep.CPUCores += sr.CPUCores
		rep.CPUms += cpu.Seconds() * 1000
		rep.Server = append(rep.Server, sr)
	}
	if rep.Launches > 0 {
		rep.CPUmsPerLaunch = rep.CPUms / float64(rep.Launches)
		rep.LoadCPUmsPerLaunch = rep.LoadCPUms / float64(rep.Launches)
	}
	return rep, nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
