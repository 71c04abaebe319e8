package sandbox

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/dws"
)

// The page a console asks for a reopened session's code is an operator
// page: kept from the network as the SMS inbox is.
func TestSandboxSMSPageKeptFromTheNetwork(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	h := Handler(catalog.All(), Options{Token: tok})
	get := func(remote, header string) int {
		r := httptest.NewRequest("GET", dws.SimSMSPath+"?authenticationId=none", nil)
		r.RemoteAddr = remote
		if header != "" {
			r.Header.Set(providers.SandboxTokenHeader, header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	if c := get("192.0.2.7:40000", ""); c != http.StatusForbidden {
		t.Errorf("from the LAN: %d, want 403", c)
	}
	if c := get("192.0.2.7:40000", tok); c != http.StatusNotFound {
		t.Errorf("from the LAN with the token: %d, want 404 (none sent)", c)
	}
	if c := get("127.0.0.1:40000", ""); c != http.StatusNotFound {
		t.Errorf("from loopback: %d, want 404 (none sent)", c)
	}
}
