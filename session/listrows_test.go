package session

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// rowFromWholeDoc is the ListRow of a document decoded whole, as
// scanSession decodes it: what ListRow.decodeDoc must agree with.
func rowFromWholeDoc(doc []byte) (ListRow, error) {
	var sd sessionDoc
	if err := json.Unmarshal(doc, &sd); err != nil {
		return ListRow{}, err
	}
	var s Session
	sd.apply(&s)
	return RowOf(&s), nil
}

// TestListRowDecodesAsWholeDocument writes varied sessions' documents as
// the store writes them (json.Marshal(docOf(s))) and checks that the
// listing's partial decoding reads the same members as the whole one.
func TestListRowDecodesAsWholeDocument(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	texts := []string{"", "plain", "<b>&amp;</b>", "ž漢😀", "line\nbreak\t\"q\"\\", "\u2028\u2029", "\x01\x7f", "bad\xffutf8"}
	text := func() string { return texts[r.IntN(len(texts))] }
	at := time.Date(2026, 12, 6, 4, 5, 6, 789_000_000, time.UTC)
	for i := range 3000 {
		s := &Session{ID: fmt.Sprintf("s%d", i), Provider: "idenfy", Mode: providers.ModeSandbox, State: providers.StatePending}
		if r.IntN(4) > 0 {
			s.LaunchedAt = at
			s.URL = text()
			if r.IntN(3) > 0 {
				s.ExpiresAt = at.Add(time.Duration(r.IntN(100000)) * time.Second)
			}
			switch r.IntN(6) {
			case 3:
				s.refs = `{}`
			case 4:
				s.refs = `{"k\u00e9":"v\n","k\u00e9":"last"}`
			case 0:
				s.refs = `{"scanRef":"` + fmt.Sprint(i) + `","authToken":"t<&>"}`
			case 1:
				s.refs = `{"a":1}` // not names to strings: none
			case 2:
				s.refs = `{"x":null,"b":"\u00e9"}`
			}
		}
		if r.IntN(2) == 0 {
			s.Extra = map[string]string{}
			for _, k := range []string{LabelKey, providers.ExtraDeviceSource, providers.ExtraDeviceType, "other"} {
				if r.IntN(2) == 0 {
					s.Extra[k] = text()
				}
			}
		}
		for range r.IntN(4) {
			s.History = append(s.History, StatusChange{State: providers.StateApproved, Detail: text(), Source: Source(text()), At: at})
		}
		s.Operator, s.Desk = text(), text()
		s.values = `{"clientId":["c"]}`
		if r.IntN(5) == 0 {
			s.Challenge = &providers.Challenge{Type: "SMS", RenderValue: text()}
		}
		doc, err := json.Marshal(docOf(s))
		if err != nil {
			t.Fatal(err)
		}
		want, err := rowFromWholeDoc(doc)
		if err != nil {
			t.Fatal(err)
		}
		var got ListRow
		if err := got.decodeDoc(doc); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		got.ID, got.Provider, got.Mode, got.State = want.ID, want.Provider, want.Mode, want.State // the row's columns
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", doc, got, want)
		}
	}
}

// TestListRowRefusesWhatTheWholeDecodingRefuses: a document that is not
// JSON, or whose shown members have the wrong type, is an error for both.
func TestListRowRefusesWhatTheWholeDecodingRefuses(t *testing.T) {
	for _, doc := range []string{
		``, `{`, `{"url":"x"`, `{"url":"x",}`, `{"url":"x"} x`, `[]`, `{"url":1}`, `{"url":"\x01"}`, `{"url":"\q"}`,
		`{"values":{"a":[1,2,}}`, `{"values":tru}`, `{"values":01}`, `{"values":1.}`, `{"values":-}`, `{"values":"\u12"}`,
		`{"extra":{"deskLabel":5}}`, `{"extra":{"other":[1]}}`, `{"extra":[]}`, `{"history":{}}`, `{"history":[1]}`,
		`{"history":[{"source":1}]}`, `{"launchedAt":"yesterday"}`, `{"expiresAt":5}`, `{"operator":true}`,
	} {
		var r ListRow
		_, wholeErr := rowFromWholeDoc([]byte(doc))
		if err := r.decodeDoc([]byte(doc)); err == nil || wholeErr == nil {
			t.Errorf("%q: listing error %v, whole decoding error %v; want both", doc, err, wholeErr)
		}
	}
}
