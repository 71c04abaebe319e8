package phonenumbers

import (
	"os"
	"os/exec"
	"testing"
)

// kycdesk: the generated types are registered with protobuf at first use,
// not in init. Checked in a fresh process (this test binary run again for
// this test alone), where nothing has used them yet.
func TestProtoRegisteredAtFirstUse(t *testing.T) {
	if os.Getenv("PHONENUMBERS_PROTO_CHILD") == "1" {
		if File_phonenumber_proto != nil || File_phonemetadata_proto != nil {
			t.Fatal("the proto files were registered before first use")
		}
		num, err := Parse("+44 20 7946 0018", "")
		if err != nil || num.GetCountryCode() != 44 {
			t.Fatalf("Parse: %v %v", num, err)
		}
		if File_phonenumber_proto == nil || File_phonemetadata_proto == nil {
			t.Fatal("the proto files were not registered by the first use")
		}
		if got := num.ProtoReflect().Descriptor().FullName(); got != "phonenumbers.PhoneNumber" {
			t.Fatalf("descriptor %q", got)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProtoRegisteredAtFirstUse$")
	cmd.Env = append(os.Environ(), "PHONENUMBERS_PROTO_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
