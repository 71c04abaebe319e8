package forms

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/dws"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

func TestFieldsWithNothingToAskAreSkipped(t *testing.T) {
	a := New("Alibaba", alibaba.Spec(), providers.Values{"MerchantBizId": {"kept1"}, "ProductCode": {"eKYC"}}, true)
	if strings.Join(a.Skipped, ",") != "ProductCode,MerchantBizId" {
		t.Fatalf("alibaba skipped %v", a.Skipped)
	}
	d := New("DWS", dws.Spec(), nil, true)
	if strings.Join(d.Skipped, ",") != "authenticationRequestId,authenticationMethod,authenticationType,identityType" {
		t.Fatalf("dws skipped %v", d.Skipped)
	}
	for _, n := range append(a.Essentials, a.Advanced...) {
		for _, s := range a.Skipped {
			if n == s {
				t.Fatalf("%s both asked and skipped", n)
			}
		}
	}
	// A generated id that came in (an edit from review) goes out unchanged.
	if v := a.Values(); v.Get("MerchantBizId") != "kept1" || v.Get("ProductCode") != "eKYC" {
		t.Fatalf("values %v", v)
	}
	a.Init()
	if v := a.View(); strings.Contains(v, "Merchant business id") || strings.Contains(v, "Product") {
		t.Fatalf("skipped fields shown:\n%s", v)
	}
}

// lines of a view, without styles and trailing blanks.
func lines(view string) []string {
	var out []string
	for _, l := range strings.Split(ansi.Strip(view), "\n") {
		out = append(out, strings.TrimRight(l, " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// Defect 6: at 60×16, the documented minimum, the focused field's input
// line is on screen for every field of every provider's form.
func TestFocusedFieldVisibleAt60x16(t *testing.T) {
	for _, c := range []struct {
		name string
		spec providers.Spec
		init providers.Values
	}{
		{"idenfy", idenfy.Spec(), providers.Values{"clientId": {"c1"}}},
		{"alibaba", alibaba.Spec(), providers.Values{"MerchantUserId": {"u1"}, "DocType": {"01000000"}}},
		{"dws", dws.Spec(), providers.Values{"identityValue": {"+44 7700 900123"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := New(c.name, c.spec, c.init, true)
			f.SetSize(60, 16)
			f.Init()
			seen := map[string]bool{}
			for step := 0; step < 200 && f.State == 0; step++ {
				field := f.Form.GetFocusedField()
				name := field.GetKey()
				if seen[name] {
					break
				}
				seen[name] = true
				own := lines(field.View())
				input := own[len(own)-1] // the input line, the cursor's option, or the buttons
				for input == "" && len(own) > 1 {
					own = own[:len(own)-1]
					input = own[len(own)-1]
				}
				view := lines(f.View())
				if len(view) > 16 {
					t.Errorf("%s: the view is %d lines at 60×16", name, len(view))
				}
				if !strings.Contains(strings.Join(view, "\n"), strings.TrimSpace(input)) {
					t.Errorf("%s: the focused input %q is off screen:\n%s", name, input, strings.Join(view, "\n"))
				}
				next(f)
			}
			if len(seen) < len(f.Essentials)+len(f.Advanced) {
				t.Errorf("walked %d fields of %d", len(seen), len(f.Essentials)+len(f.Advanced))
			}
		})
	}
}

// Choice lists use the height: at 200×60 most of iDenfy's 17 documents
// show; at 60×16 as many as fit.
func TestDropdownsUseTheHeight(t *testing.T) {
	count := func(w, h int) int {
		f := New("iDenfy", idenfy.Spec(), providers.Values{"clientId": {"c1"}}, false)
		f.SetSize(w, h)
		f.Init()
		if !f.Focus("documents") {
			t.Fatal("cannot focus documents")
		}
		n := 0
		for _, l := range lines(f.View()) {
			if documentOption.MatchString(l) {
				n++
			}
		}
		return n
	}
	big, small := count(200, 60), count(60, 16)
	if big < 6 || small < 2 || small >= big {
		t.Fatalf("options shown: %d at 200×60, %d at 60×16", big, small)
	}
}

// Edits from review and fix-ups go straight to the field in question.
func TestFocusGoesToTheField(t *testing.T) {
	f := New("iDenfy", idenfy.Spec(), providers.Values{"clientId": {"c1"}}, false)
	f.SetSize(120, 40)
	f.Init()
	for _, name := range []string{"country", "documents", "expiryTime", "callbackUrl"} {
		if !f.Focus(name) || f.Form.GetFocusedField().GetKey() != name {
			t.Fatalf("focus %s: on %q", name, f.Form.GetFocusedField().GetKey())
		}
		if !strings.Contains(f.View(), Label(idenfyParam(t, name))) {
			t.Fatalf("%s focused but not shown:\n%s", name, f.View())
		}
	}
	if f.Focus("nonsense") {
		t.Fatal("focused an unknown field")
	}
}

var documentOption = regexp.MustCompile(`^\W*[A-Z][A-Z_]{2,} — [A-Z]`)

// next moves to the next field as enter or tab would, page after page
// (huh's commands are not run here: a cursor blink would wait).
func next(f *Form) {
	before := f.Form.GetFocusedField().GetKey()
	f.Form.NextField()
	if f.Form.GetFocusedField().GetKey() == before {
		f.Form.NextGroup()
	}
}

func idenfyParam(t *testing.T, name string) providers.Param {
	p, ok := idenfy.Spec().Lookup(name)
	if !ok {
		t.Fatal(name)
	}
	return p
}

func TestSummaryIsOneLine(t *testing.T) {
	for _, p := range append(append(idenfy.Spec(), alibaba.Spec()...), dws.Spec()...) {
		s := Summary(p, 58)
		if strings.Contains(s, "\n") || ansi.StringWidth(s) > 58 {
			t.Errorf("%s: %q", p.Name, s)
		}
	}
}
