package ui

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kycdesk/kycdesk/internal/teabench"
	"github.com/kycdesk/kycdesk/providers"
)

// Benchmarks of what an operator waits for: a key's Update plus the View
// Bubble Tea asks for after it (every message marks the frame dirty, so
// the View renders), per screen at 120×40. Budgets (DESIGN.md): the View
// of any screen ≤ 200 µs; a form keystroke ≤ 0.5 ms and ≤ 0.5 MB. A bare
// Bubble Tea program's key + View is measured in the same run, as the
// floor.

var (
	keyDown   = tea.KeyMsg{Type: tea.KeyDown}
	keyUp     = tea.KeyMsg{Type: tea.KeyUp}
	keyLetter = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'a'}}
	keyClear  = tea.KeyMsg{Type: tea.KeyCtrlU}
)

// keystrokeScreen is a screen at 120×40 and the keys pressed on it, in
// turn (typing clears its field now and then to stay in its limit).
type keystrokeScreen struct {
	m    *Model
	keys []tea.Msg
}

func keystrokeScreens(b *testing.B) map[string]keystrokeScreen {
	url := startSandbox(b)
	out := map[string]keystrokeScreen{}
	typing := make([]tea.Msg, 0, 32)
	for range 31 {
		typing = append(typing, keyLetter)
	}
	typing = append(typing, keyClear)
	upDown := []tea.Msg{keyDown, keyUp}

	g := goldenScreens(b)
	for _, name := range []string{"home", "form", "review", "result", "challenge", "error"} {
		keys := upDown
		if name == "form" {
			keys = typing
		}
		out[name] = keystrokeScreen{g[name], keys}
	}

	ctx, _, _ := profileContext(b, url, map[string]string{"passport-lt": passportLT})
	p := New(ctx)
	send(p, size(120, 40), press("1"))
	if p.screen != screenProfile {
		b.Fatalf("no profile screen (screen %d)", p.screen)
	}
	out["profile"] = keystrokeScreen{p, typing}

	// The sessions list with 1000 sessions, launched through the desk
	// into a sandbox as a day at a busy desk would.
	sctx, _ := testContext(b, url)
	e := sctx.entry("idenfy")
	for i := range 1000 {
		if _, err := sctx.Desk.Launch(context.Background(), sctx.Desk.Draft(e, providers.Values{"clientId": {fmt.Sprintf("bench-%04d", i)}})); err != nil {
			b.Fatal(err)
		}
	}
	s := New(sctx)
	send(s, size(120, 40), showSessionsMsg{})
	if s.screen != screenSessions || !strings.Contains(s.View(), "bench-0999") {
		b.Fatalf("no sessions list:\n%s", s.View())
	}
	out["sessions-1k"] = keystrokeScreen{s, upDown}
	return out
}

// BenchmarkKeystroke is a key as the program handles it, per screen at
// 120×40 (teabench: its Update, the commands it returns and the messages
// they bring, a View after each), next to a bare Bubble Tea program's.
func BenchmarkKeystroke(b *testing.B) {
	for name, sc := range keystrokeScreens(b) {
		m := sc.m
		send(m, size(120, 40))
		b.Run(name, func(b *testing.B) {
			p := teabench.New(b, m)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p.Press(sc.keys[i%len(sc.keys)])
			}
			p.Finish()
		})
	}
	b.Run("bare-bubbletea", func(b *testing.B) {
		p := teabench.New(b, newBareList(120, 40))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			p.Press([]tea.Msg{keyDown, keyUp}[i%2])
		}
		p.Finish()
	})
}

// BenchmarkProfileCustomer is one customer at a desk profile, the steps a
// served desk takes in deskload's lockstep burst (issue 18): the customer
// id pasted, enter (the launch through the sandbox to the QR) and n (the
// next customer's screen), each with the commands it returns and a View
// after every message (teabench). Each step is reported as ms/step; the
// CPU profile of a run (-cpuprofile) says where each goes.
func BenchmarkProfileCustomer(b *testing.B) {
	url := startSandbox(b)
	ctx, _, _ := profileContext(b, url, map[string]string{"passport-lt": passportLT})
	m := New(ctx)
	send(m, size(100, 32), press("1"))
	if m.screen != screenProfile {
		b.Fatalf("no profile screen (screen %d)", m.screen)
	}
	p := teabench.New(b, m)
	on := func(s screen) func(tea.Model) bool {
		return func(tm tea.Model) bool { return tm.(*Model).screen == s }
	}
	var typing, launching, next time.Duration
	b.ReportAllocs()
	// Each step runs under a profiler label (step=paste|launch|next), and
	// so do the commands it starts: go tool pprof -tagfocus step=launch.
	step := func(name string, f func()) time.Duration {
		t := time.Now()
		pprof.Do(context.Background(), pprof.Labels("step", name), func(context.Context) { f() })
		return time.Since(t)
	}
	for i := 0; i < b.N; i++ {
		typing += step("paste", func() {
			p.Press(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(fmt.Sprintf("cust-%07d", i)), Paste: true})
		})
		launching += step("launch", func() {
			p.Press(tea.KeyMsg{Type: tea.KeyEnter})
			if !p.Await(on(screenResult), 10*time.Second) {
				b.Fatalf("no result screen:\n%s", m.View())
			}
		})
		next += step("next", func() {
			p.Press(press("n"))
			if !p.Await(on(screenProfile), 10*time.Second) {
				b.Fatalf("no next customer's screen:\n%s", m.View())
			}
		})
	}
	p.Finish()
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(per(typing), "ms-paste/op")
	b.ReportMetric(per(launching), "ms-launch/op")
	b.ReportMetric(per(next), "ms-next/op")
}

// BenchmarkView is the View a message makes Bubble Tea ask for: the frame
// drawn anew (a message marks it dirty), per screen at 120×40.
func BenchmarkView(b *testing.B) {
	for name, m := range goldenScreens(b) {
		send(m, size(120, 40))
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				m.dirty = true
				_ = m.View()
			}
		})
	}
}

// bareList is the floor: a plain Bubble Tea list of 38 lines with a
// styled cursor, drawn from scratch on every View.
type bareList struct {
	w, h, cursor int
	items        []string
	sel          lipgloss.Style
}

func newBareList(w, h int) *bareList {
	l := &bareList{w: w, h: h, sel: lipgloss.NewStyle().Bold(true)}
	for i := range h - 2 {
		l.items = append(l.items, fmt.Sprintf("session %04d  idenfy  pending  desk-%04d", i, i))
	}
	return l
}

func (l *bareList) Init() tea.Cmd { return nil }

func (l *bareList) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		switch k.Type {
		case tea.KeyDown:
			l.cursor = min(l.cursor+1, len(l.items)-1)
		case tea.KeyUp:
			l.cursor = max(l.cursor-1, 0)
		}
	}
	return l, nil
}

func (l *bareList) View() string {
	var b strings.Builder
	b.WriteString("kycdesk\n")
	for i, it := range l.items {
		if i == l.cursor {
			b.WriteString(l.sel.Render("> " + it))
		} else {
			b.WriteString("  " + it)
		}
		b.WriteByte('\n')
	}
	b.WriteString("↑/↓ move · q quit")
	return b.String()
}
