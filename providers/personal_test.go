package providers

import (
	"strings"
	"testing"
)

func TestMaskPersonalAnswers(t *testing.T) {
	raw := `{"Result":{"Passed":"Y","ExtIdInfo":"{\"ocrIdInfo\":{\"docType\":\"01000000\",\"name\":\"JONAS JONAITIS\",\"idNumber\":\"S1234567(8)\",\"birthDate\":19900101}}"},"name":"Jane Doe"}`
	got := MaskPersonalJSON(raw)
	for _, leak := range []string{"JONAS", "S1234567", "19900101", "Jane Doe"} {
		if strings.Contains(got, leak) {
			t.Errorf("%s left in %s", leak, got)
		}
	}
	if !strings.Contains(got, `\"docType\":\"01000000\"`) || !strings.Contains(got, `"Passed":"Y"`) {
		t.Errorf("non-personal values masked: %s", got)
	}
	f := MaskPersonalFields(map[string]string{"ExtIdInfo": "ocrIdInfo.docType: 01000000\nocrIdInfo.name: JONAS\nocrIdInfo.id_number: X1", "Passed": "Y", "name": "Jane"})
	if f["ExtIdInfo"] != "ocrIdInfo.docType: 01000000\nocrIdInfo.name: "+Mask+"\nocrIdInfo.id_number: "+Mask || f["Passed"] != "Y" || f["name"] != Mask {
		t.Errorf("%q", f)
	}
}

// MaskPersonalJSON gives what masking each match on its own gives (the
// way it was written before it matched the text only once).
func TestMaskPersonalJSONMatchesOneByOne(t *testing.T) {
	oneByOne := func(s string) string {
		return jsonPersonal().ReplaceAllStringFunc(s, func(m string) string {
			sub := jsonPersonal().FindStringSubmatch(m)
			if !PersonalKey(sub[2]) {
				return m
			}
			q := `"`
			if strings.HasPrefix(sub[3], `\"`) {
				q = `\"`
			}
			return sub[1] + q + Mask + q
		})
	}
	for _, in := range []string{
		``, `{}`, `{"a":1}`, `{"name":"x"}`, `{"name": 12.5e3, "b":"y", "email":"e@x"}`,
		`{"ExtIdInfo":"{\"ocrIdInfo\":{\"name\":\"JONAS\",\"idNumber\":\"S1\"}}","Passed":"Y"}`,
		`{"first-name":"a","Last_Name":"b","x":{"dob":"1990"}}`, `not json "name":"x" tail`,
		`{"name":"a \"quoted\" b","docType":"01"}`,
	} {
		if got, want := MaskPersonalJSON(in), oneByOne(in); got != want {
			t.Errorf("MaskPersonalJSON(%s)\n = %s\nwant %s", in, got, want)
		}
	}
}
