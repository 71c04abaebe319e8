package desk

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// BenchmarkLaunchOverhead is what a launch costs beyond the provider's
// own time: an iDenfy launch through the desk (intent, send, outcome in a
// SQLite store with synchronous=FULL) and, in the same run, the same
// request through the client alone against the same sandbox.
func BenchmarkLaunchOverhead(b *testing.B) {
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: url})
	srv.Start()
	defer srv.Close()
	dir := b.TempDir()
	env := map[string]string{"HOME": dir, session.KeyEnv: storetest.TestKey}
	st, err := session.OpenStore(filepath.Join(dir, "kycdesk.db"), func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	resolve := func(d providers.Descriptor, m providers.Mode, endpoint string) *Provider {
		r := config.Resolve(d, providers.ModeSandbox, url, nil, func(string) string { return "" })
		c, err := d.New(r.Config)
		if err != nil {
			b.Fatal(err)
		}
		return &Provider{Desc: d, Client: c, Endpoint: url}
	}
	d := New(Options{Registry: catalog.All(), Mode: providers.ModeSandbox, SandboxURL: url, Store: st, Resolve: resolve})
	p, _ := d.Provider("idenfy")
	ctx := context.Background()
	b.Run("provider-only", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			v := p.Client.Prepare(providers.Values{"clientId": {fmt.Sprint("bench-p-", i)}})
			if _, err := p.Client.Launch(ctx, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("desk", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			dr := d.Draft(p, providers.Values{"clientId": {fmt.Sprint("bench-d-", i)}})
			if _, err := d.Launch(ctx, dr); err != nil {
				b.Fatal(err)
			}
		}
	})
}
