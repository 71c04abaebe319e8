package providers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Customer is who a launch is for, as the history records it and the
// duplicate guard compares: the one rule (desk.Customer calls it).
//
//   - A descriptor that names its CustomerParam: that value as typed; a
//     phone number masked; passed through CustomerKey (under key) when the
//     provider sends a desensitised id (Alibaba's keyed MerchantUserId),
//     which is what is then recorded even though the typed value is
//     personal.
//   - Otherwise, from the spec: the first non-personal text parameter named
//     as a client, user or customer id, or else the first phone parameter,
//     masked. A parameter marked Personal is never the customer.
func Customer(d Descriptor, v Values, key []byte) string {
	var spec Spec
	if d.Spec != nil {
		spec = d.Spec()
	}
	if d.CustomerParam != "" {
		typed := strings.TrimSpace(v.Get(d.CustomerParam))
		p, _ := spec.Lookup(d.CustomerParam)
		switch {
		case typed == "":
			return ""
		case p.Kind == KindPhone:
			return MaskPhone(typed)
		case d.CustomerKey != nil:
			return d.CustomerKey(key, typed)
		case p.Personal:
			return ""
		}
		return typed
	}
	for _, p := range spec {
		if p.Personal || p.Kind != KindText {
			continue
		}
		n := strings.ToLower(p.Name)
		if strings.HasSuffix(n, "clientid") || strings.HasSuffix(n, "userid") || strings.HasSuffix(n, "customerid") {
			if s := strings.TrimSpace(v.Get(p.Name)); s != "" {
				return s
			}
		}
	}
	for _, p := range spec {
		if p.Kind == KindPhone {
			if s := strings.TrimSpace(v.Get(p.Name)); s != "" {
				return MaskPhone(s)
			}
		}
	}
	return ""
}

// KeyedID is a typed identifier desensitised under key: the lower-case hex
// HMAC-SHA256 of the trimmed value. Unlike a plain hash, it cannot be
// reversed by trying likely values (phone numbers, e-mail addresses)
// without the key. An empty key is refused with "" (nothing is derived
// without one).
func KeyedID(key []byte, typed string) string {
	typed = strings.TrimSpace(typed)
	if len(key) == 0 || typed == "" {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kycdesk customer id v1\n"))
	m.Write([]byte(typed))
	return hex.EncodeToString(m.Sum(nil))
}
