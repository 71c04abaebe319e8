package forms

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/internal/teabench"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// Every frame drawn from kept field views is the frame drawn from scratch:
// a walk through iDenfy's and Alibaba's forms (typing, a refused value,
// next and previous fields, dropdowns, the Advanced question, a jump to an
// advanced field, the field doc, a resize) compares the two after each
// step.
func TestCachedViewsMatchFresh(t *testing.T) {
	keys := func(s string) []tea.Msg {
		var out []tea.Msg
		for _, r := range s {
			out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		}
		return out
	}
	enter, down, up := tea.KeyMsg{Type: tea.KeyEnter}, tea.KeyMsg{Type: tea.KeyDown}, tea.KeyMsg{Type: tea.KeyUp}
	back := tea.KeyMsg{Type: tea.KeyShiftTab}
	type step struct {
		msg   tea.Msg
		focus string
		size  [2]int
	}
	var walk []step
	add := func(msgs ...tea.Msg) {
		for _, m := range msgs {
			walk = append(walk, step{msg: m})
		}
	}
	add(keys("cust-1")...)
	add(enter)
	add(keys("J\x01")...) // a control character: refused at the field
	add(enter, tea.KeyMsg{Type: tea.KeyBackspace}, enter)
	add(keys("ohn")...)
	add(enter, back, enter, enter, down, down, up, enter, down, enter, tea.KeyMsg{Type: tea.KeyCtrlO}, keys("x")[0])
	add(enter, down, enter, enter, tea.KeyMsg{Type: tea.KeyLeft}, enter)
	walk = append(walk, step{size: [2]int{90, 30}})
	add(down, down, enter)
	for _, c := range []struct {
		name  string
		form  func() *Form
		focus string
	}{
		{"idenfy", func() *Form { return New("iDenfy", idenfy.Spec(), nil, false) }, "callbackUrl"},
		{"alibaba", func() *Form { return New("Alibaba", alibaba.Spec(), nil, false) }, "IdThreshold"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, twin := c.form(), c.form()
			twin.fresh = true
			frames := map[string]bool{}
			for _, g := range []*Form{f, twin} {
				g.SetSize(120, 40)
				g.Init()
			}
			steps := append(append([]step(nil), walk...), step{focus: c.focus})
			steps = append(steps, step{msg: keys("a")[0]}, step{msg: back}, step{msg: enter})
			for i, s := range steps {
				switch {
				case s.focus != "":
					f.Focus(s.focus)
					twin.Focus(s.focus)
				case s.size != [2]int{}:
					f.SetSize(s.size[0], s.size[1])
					twin.SetSize(s.size[0], s.size[1])
				default:
					// As a program does: the commands the key returns
					// run and their messages follow (huh moves to the
					// next field by a message), the same ones to both.
					queue := []tea.Msg{s.msg}
					for n := 0; len(queue) > 0 && n < 32; n++ {
						cmd := f.Update(queue[0])
						twin.Update(queue[0])
						queue = append(queue[1:], teabench.Messages(cmd, 100*time.Millisecond)...)
					}
				}
				kept, fresh := f.View(), twin.View()
				if kept != fresh {
					t.Fatalf("step %d (%v): the kept frame differs from a fresh one\nkept:\n%s\nfresh:\n%s", i, s, kept, fresh)
				}
				frames[kept] = true
			}
			// The walk went somewhere: many frames, an advanced page among them.
			adv := false
			for fr := range frames {
				adv = adv || strings.Contains(fr, "— advanced")
			}
			if len(frames) < 12 || !adv {
				t.Errorf("%d distinct frames in %d steps, an advanced page: %v", len(frames), len(steps), adv)
			}
		})
	}
}
