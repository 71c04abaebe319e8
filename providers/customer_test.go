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
		"mobile": {"123456789"}}); got != "u-1" {
		t.Fatal(got)
	}
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{"env.clientUmid": {"d-1"}, "mobile": {"123456789"}}); got != "*****6789" {
		t.Fatal(got)
	}
	spec[2].Personal = true // a hashed user id the provider calls personal
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{"MerchantUserId": {"u-1"}}); got != "" {
		t.Fatal(got)
	}
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{"mobile": {"+86 138-0000-5678"}}); got != "+86*******5678" {
		t.Fatal(got)
	}
	if got := Customer(Descriptor{Spec: func() Spec { return spec }}, Values{}); got != "" {
		t.Fatal(got)
	}
	if MaskPhone("123") != "****" {
		t.Fatal(MaskPhone("123"))
	}
}

func TestCustomerByNamedParam(t *testing.T) {
	spec := Spec{{Name: "uid", Kind: KindText, Personal: true}, {Name: "cid", Kind: KindText}, {Name: "tel", Kind: KindPhone}}
	d := Descriptor{Spec: func() Spec { return spec }, CustomerParam: "cid"}
	if got := Customer(d, Values{"cid": {" c-1 "}}); got != "c-1" {
		t.Errorf("named text param: %q", got)
	}
	d.CustomerParam = "tel"
	if got := Customer(d, Values{"tel": {"+370 600 12345"}}); got != "+370****2345" {
		t.Errorf("named phone param: %q", got)
	}
	d.CustomerParam = "uid"
	if got := Customer(d, Values{"uid": {"alice"}}); got != "" {
		t.Errorf("a personal id without a key is not recorded: %q", got)
	}
	d.CustomerKey = func(s string) string { return "key(" + s + ")" }
	if got := Customer(d, Values{"uid": {" alice "}}); got != "key(alice)" {
		t.Errorf("keyed: %q", got)
	}
	if got := Customer(d, Values{}); got != "" {
		t.Errorf("empty: %q", got)
	}
}
