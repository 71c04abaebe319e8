// Package teabench gives benchmarks messages the way a Bubble Tea program
// does: Update, then the commands it returns, run, each message they bring
// given to Update in turn, with the View the program draws after each. A
// benchmark that drops those commands measures a fraction of what a key
// costs: each of them leads to another Update and another redraw (a typed
// key restarts the cursor's blink, whose message comes 530 ms later and is
// drawn like any other).
package teabench

import (
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// maxFollowUps bounds the messages handled in one go (a command that
// always answers at once would otherwise loop forever).
const maxFollowUps = 32

// yields is how many times the benchmark gives way to a command before it
// counts as one that waits (a timer): a command that answers at once has
// run by then, since a new goroutine runs next on this processor when the
// current one yields. Waiting commands answer later, and their messages
// are handled when they come, as a program would.
const yields = 4

var cmdType = reflect.TypeOf(tea.Cmd(nil))

// Program holds a model and the messages its waiting commands brought.
type Program struct {
	b testing.TB
	m tea.Model

	mu      sync.Mutex
	arrived []tea.Msg
	waiting sync.WaitGroup
	done    bool // Finish has begun: later commands are dropped, not run
}

// New starts a program on m (Init is the caller's, as with a model built
// before the benchmark).
func New(b testing.TB, m tea.Model) *Program { return &Program{b: b, m: m} }

// Model is the program's model now.
func (p *Program) Model() tea.Model { return p.m }

// Press handles msg and the messages of the commands it returns, then
// every message that waiting commands have brought since.
func (p *Program) Press(msg tea.Msg) {
	p.handle([]tea.Msg{msg})
	p.mu.Lock()
	late := p.arrived
	p.arrived = nil
	p.mu.Unlock()
	if len(late) > 0 {
		p.handle(late)
	}
}

// Await handles the messages waiting commands bring, as they come, until
// done says the model is where the caller waits for it (a launch's result
// screen); false if it is not there within limit.
func (p *Program) Await(done func(tea.Model) bool, limit time.Duration) bool {
	end := time.Now().Add(limit)
	for !done(p.m) {
		if time.Now().After(end) {
			return false
		}
		p.mu.Lock()
		late := p.arrived
		p.arrived = nil
		p.mu.Unlock()
		if len(late) == 0 {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		p.handle(late)
	}
	return true
}

// Finish waits, with the benchmark's timer stopped, for the commands
// still waiting (the last keys' blinks) and handles their messages, so
// that every key's follow-ups are counted, however short the run.
func (p *Program) Finish() {
	b, _ := p.b.(*testing.B)
	if b != nil {
		b.StopTimer()
	}
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	p.waiting.Wait()
	if b != nil {
		b.StartTimer()
	}
	p.mu.Lock()
	late := p.arrived
	p.arrived = nil
	p.mu.Unlock()
	p.handle(late)
}

func (p *Program) handle(queue []tea.Msg) {
	for n := 0; len(queue) > 0 && n < maxFollowUps+len(queue); n++ {
		var cmd tea.Cmd
		p.m, cmd = p.m.Update(queue[0])
		queue = queue[1:]
		_ = p.m.View()
		queue = append(queue, p.run(cmd)...)
	}
}

// run runs cmd (and the batches and sequences it holds) and returns the
// messages that came at once; the others arrive later.
func (p *Program) run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return nil
	}
	p.waiting.Add(1)
	p.mu.Unlock()
	var (
		mu     sync.Mutex
		got    bool
		result tea.Msg
		late   bool // the caller gave up waiting: the goroutine delivers
	)
	go func() {
		defer p.waiting.Done()
		msg := cmd()
		mu.Lock()
		if late {
			mu.Unlock()
			p.deliver(msg)
			return
		}
		result, got = msg, true
		mu.Unlock()
	}()
	for range yields {
		runtime.Gosched()
		mu.Lock()
		if got {
			mu.Unlock()
			return p.expand(result)
		}
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	if got {
		return p.expand(result)
	}
	late = true
	return nil
}

// deliver keeps a waiting command's message for the next Press.
func (p *Program) deliver(msg tea.Msg) {
	for _, m := range p.expand(msg) {
		p.mu.Lock()
		p.arrived = append(p.arrived, m)
		p.mu.Unlock()
	}
}

// expand turns a batch or sequence (tea.Batch answers a BatchMsg,
// tea.Sequence an unexported slice of commands) into the messages of its
// commands; any other message is itself.
func (p *Program) expand(msg tea.Msg) []tea.Msg {
	if msg == nil {
		return nil
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
		var out []tea.Msg
		for i := range v.Len() {
			c, _ := v.Index(i).Interface().(tea.Cmd)
			out = append(out, p.run(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// Press is one message to m, as a program would handle it, without
// waiting for timers: for a model whose keys start none.
func Press(b testing.TB, m tea.Model, msg tea.Msg) tea.Model {
	p := New(b, m)
	p.Press(msg)
	return p.m
}

// Messages runs cmd (and the batches and sequences it holds) and returns
// the messages that came within wait each; the others (timers) are left.
// For tests that give the same messages to two models.
func Messages(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	t := time.NewTimer(wait)
	defer t.Stop()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-t.C:
		return nil
	}
	if msg == nil {
		return nil
	}
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
		var out []tea.Msg
		for i := range v.Len() {
			c, _ := v.Index(i).Interface().(tea.Cmd)
			out = append(out, Messages(c, wait)...)
		}
		return out
	}
	return []tea.Msg{msg}
}
