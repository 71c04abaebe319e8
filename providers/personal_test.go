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
