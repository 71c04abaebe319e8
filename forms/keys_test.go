package forms

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
)

// Under every field of every provider, at 60, 80 and 120 columns, each of
// the field's keys is shown whole (the keys wrap between keys; huh's own
// line was cut with "…", hiding "enter confirm" under Documents at 80),
// and no line is wider than the form.
func TestFieldKeysAreShownWhole(t *testing.T) {
	for _, d := range catalog.All() {
		for _, w := range []int{60, 80, 120} {
			for _, p := range d.Spec() {
				if Skips(p) {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/%d", d.ID, p.Name, w), func(t *testing.T) {
					f := New(d.Name, providers.Spec{p}, nil, true)
					f.Form.Init()
					f.SetSize(min(w, 100), 20)
					f.Focus(p.Name)
					v := ansi.Strip(f.View())
					for _, l := range strings.Split(v, "\n") {
						if lw := ansi.StringWidth(l); lw > min(w, 100) {
							t.Errorf("a line of %d columns: %q", lw, l)
						}
					}
					flat := strings.Join(strings.Fields(v), " ")
					for _, k := range f.Form.KeyBinds() {
						if !k.Enabled() {
							continue
						}
						if want := k.Help().Key + " " + k.Help().Desc; !strings.Contains(flat, want) {
							t.Errorf("key %q is not shown whole:\n%s", want, v)
						}
					}
				})
			}
		}
	}
}
