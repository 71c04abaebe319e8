package cli

import (
	"path/filepath"
	"testing"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/session"
)

// The console's desk and every served desk start from deskOptions: the
// same providers (resolved for the sandbox in use), the same history and
// the same profiles, from the file and from the profiles directory.
func TestDeskOptionsAreBuiltOnce(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": dir, "XDG_STATE_HOME": dir}
	getenv := func(k string) string { return env[k] }
	st, err := session.OpenStore(filepath.Join(dir, "kycdesk.db"), getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs := newResolver(getenv)
	rs.file = &config.File{Profiles: []config.Profile{{Name: "front", Provider: "idenfy"}}}
	rs.sb = config.SandboxAccess{URL: "http://127.0.0.1:1"}
	o := rs.deskOptions(catalog.All(), providers.ModeSandbox, "http://127.0.0.1:1", st)
	if o.Store != st || o.Mode != providers.ModeSandbox || o.SandboxURL != "http://127.0.0.1:1" || o.Resolve == nil {
		t.Fatalf("options: %+v", o)
	}
	if pd, ok := o.Profiles.(desk.ProfileDir); !ok || pd.Dir != config.ProfilesDir(getenv) || len(pd.Config) != 1 {
		t.Fatalf("profiles: %#v", o.Profiles)
	}
	d := desk.New(o)
	defer d.Close()
	p, err := d.Provider("idenfy")
	if err != nil || p.Endpoint != "http://127.0.0.1:1" {
		t.Fatalf("idenfy resolved to %+v (%v)", p, err)
	}
	if ps, _ := d.Profiles(); len(ps) != 1 || ps[0].Name != "front" || ps[0].Provider == nil {
		t.Fatalf("profiles offered: %+v", ps)
	}
}
