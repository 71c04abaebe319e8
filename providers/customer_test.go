package providers

import "testing"

func TestCustomerFromTheSpec(t *testing.T) {
	spec := Spec{
		{Name: "env.clientUmid", Kind: KindText}, // a device id, not the customer
		{Name: "MerchantBizId", Kind: KindText},
		{Name: "MerchantUserId", Kind: KindText},
		{Name: "mobile", Kind: KindPhone},
	}
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{"env.clientUmid": {"d-1"}, "MerchantBizId": {"b"}, "MerchantUserId": {" u-1 "},
		"mobile": {"123456789"}}, nil); got != "u-1" {
		t.Fatal(got)
	}
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{"env.clientUmid": {"d-1"}, "mobile": {"123456789"}}, nil); got != "*****6789" {
		t.Fatal(got)
	}
	spec[2].Personal = true // a hashed user id the provider calls personal
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{"MerchantUserId": {"u-1"}}, nil); got != "" {
		t.Fatal(got)
	}
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{"mobile": {"+86 138-0000-5678"}}, nil); got != "+86*******5678" {
		t.Fatal(got)
	}
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{}, nil); got != "" {
		t.Fatal(got)
	}
	if MaskPhone("123") != "****" {
		t.Fatal(MaskPhone("123"))
	}
}

func TestCustomerByNamedParam(t *testing.T) {
	key := []byte("key")
	spec := Spec{{Name: "uid", Kind: KindText, Personal: true}, {Name: "cid", Kind: KindText}, {Name: "tel", Kind: KindPhone}}
	d := Descriptor{Spec: func() Spec { return spec }, CustomerParam: "cid"}
	if got := Customer(d, Values{"cid": {" c-1 "}}, key); got != "c-1" {
		t.Errorf("named text param: %q", got)
	}
	d.CustomerParam = "tel"
	if got := Customer(d, Values{"tel": {"+370 600 12345"}}, key); got != "+370****2345" {
		t.Errorf("named phone param: %q", got)
	}
	d.CustomerParam = "uid"
	if got := Customer(d, Values{"uid": {"alice"}}, key); got != "" {
		t.Errorf("a personal id without a key is not recorded: %q", got)
	}
	d.CustomerKey = func(k []byte, s string) string { return string(k) + "(" + s + ")" }
	if got := Customer(d, Values{"uid": {" alice "}}, key); got != "key(alice)" {
		t.Errorf("keyed: %q", got)
	}
	if got := Customer(d, Values{}, key); got != "" {
		t.Errorf("empty: %q", got)
	}
}

func TestKeyedID(t *testing.T) {
	key := []byte("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk")
	// HMAC-SHA256(key, "kycdesk customer id v1\nalice"), computed apart (python3 hmac).
	if got := KeyedID(key, " alice "); got != "e40205b514cf3c04b7a4ad3a3bcf65cdb736e664565ecf2692d977c1e37778e1" {
		t.Errorf("KeyedID = %s", got)
	}
	if KeyedID(nil, "alice") != "" || KeyedID(key, " ") != "" {
		t.Error("no key or no value: nothing")
	}
}
