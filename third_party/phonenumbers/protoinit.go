package phonenumbers

import "sync"

// kycdesk: the generated files registered their message and enum types
// with protobuf in init(), which every process linking the package paid
// for. They are registered at the first use of a message or enum (its
// Reset, ProtoReflect — which every proto function goes through —,
// Descriptor or Type calls protoInit) or when the metadata is loaded.
var protoOnce sync.Once

func protoInit() {
	protoOnce.Do(func() {
		file_phonenumber_proto_init()
		file_phonemetadata_proto_init()
	})
}
