package forms

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
)

// emptyExample is an "e.g." with nothing after it: at the end of a line,
// or followed only by an ellipsis.
var emptyExample = regexp.MustCompile(`e\.g\.?\s*…?\s*(┃\s*)?$`)

// Every field of every provider, at the console's smallest window, at
// 80×24 and at 120×40: an "e.g." always has an example after it (a
// field's summary is not cut at the abbreviation's period, an input is
// drawn wide enough for its example), and a field with an example shows
// at least its start.
func TestNoFieldShowsAnEmptyExample(t *testing.T) {
	for _, d := range catalog.All() {
		for _, sz := range [][2]int{{60, 16}, {80, 24}, {120, 40}} {
			for _, p := range d.Spec() {
				if Skips(p) {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/%dx%d", d.ID, p.Name, sz[0], sz[1]), func(t *testing.T) {
					f := New(d.Name, providers.Spec{p}, nil, true)
					f.Form.Init()
					f.SetSize(sz[0], sz[1]-4) // the banner and the key bars
					if !f.Focus(p.Name) {
						t.Fatal("not focused")
					}
					v := ansi.Strip(f.View())
					for _, l := range strings.Split(v, "\n") {
						if emptyExample.MatchString(strings.TrimRight(l, " ")) {
							t.Errorf("an empty example: %q\n%s", l, v)
						}
					}
					ex := strings.TrimSpace(p.Placeholder)
					var input bool
					switch f.fields[p.Name].(type) {
					case *huh.Input, *huh.Text:
						input = true
					}
					if ex != "" && p.Generate == nil && input {
						if !strings.Contains(v, "e.g. "+string([]rune(ex)[:1])) {
							t.Errorf("the example %q is not shown:\n%s", ex, v)
						}
					}
					if ex == "" && strings.Contains(v, "> e.g.") {
						t.Errorf("no example, yet an e.g.:\n%s", v)
					}
				})
			}
		}
	}
}

func TestExampleAndSummaryRules(t *testing.T) {
	p := providers.Param{Name: "x", Placeholder: "https://www.my-company.com/idenfy/unverified"}
	for w, want := range map[int]string{0: "e.g. https://www.my-company.com/idenfy/unverified", 12: "e.g. https:…", 7: "e.g. h…", 6: ""} {
		if got := Example(p, w); got != want {
			t.Errorf("Example(width %d) = %q, want %q", w, got, want)
		}
	}
	for _, ph := range []string{"", "   ", "\u200b"} {
		if got := Example(providers.Param{Placeholder: ph}, 0); got != "" {
			t.Errorf("Example(%q) = %q: no example, no e.g.", ph, got)
		}
	}
	doc := providers.Param{Doc: "kycdesk only, not sent to DWS: the country of a number typed in national format, e.g. GB for (020)44555666. Numbers typed with +country code do not need it."}
	if got := Summary(doc, 0); got != "kycdesk only, not sent to DWS: the country of a number typed in national format, e.g. GB for (020)44555666." {
		t.Errorf("Summary cut at the abbreviation: %q", got)
	}
	for w := 20; w < 110; w++ {
		if got := Summary(doc, w); emptyExample.MatchString(got) || ansi.StringWidth(got) > w {
			t.Errorf("Summary(width %d) = %q", w, got)
		}
	}
}

// A field's summary cut to a width ends after a whole word: "docum…"
// reads as a word of its own.
func TestSummariesAreCutAfterAWord(t *testing.T) {
	if got := Cut("single-use URL valid 30 minutes", 26); got != "single-use URL valid…" {
		t.Errorf("a number without its unit: %q", got)
	}
	for _, d := range catalog.All() {
		for _, p := range d.Spec() {
			full := firstSentence(p.Doc)
			for w := 30; w <= 120; w += 7 {
				got := Summary(p, w)
				cut, ok := strings.CutSuffix(got, "…")
				if !ok {
					continue
				}
				if !strings.HasPrefix(full, cut) {
					t.Fatalf("%s/%s at %d: %q is not the start of %q", d.ID, p.Name, w, got, full)
				}
				if next := []rune(full[len(cut):]); len(next) > 0 && (unicode.IsLetter(next[0]) || unicode.IsDigit(next[0])) && strings.Contains(cut[len(cut)/2:], " ") {
					t.Errorf("%s/%s at %d: cut inside a word: %q", d.ID, p.Name, w, got)
				}
			}
		}
	}
}
