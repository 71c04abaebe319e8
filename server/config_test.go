package server

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestCheckCallbackTransport(t *testing.T) {
	for _, c := range []struct {
		live      bool
		publicURL string
		tls       bool
		ok        bool
	}{
		{live: false, ok: true},
		{live: false, publicURL: "http://192.168.1.20:8471", ok: true},
		{live: true, ok: false},                                                 // plain http on the listener
		{live: true, tls: true, ok: true},                                       // TLS served here
		{live: true, publicURL: "https://kyc.example.com", ok: true},            // TLS-terminating proxy
		{live: true, publicURL: "http://kyc.example.com", ok: false},            // proxy without TLS
		{live: true, publicURL: "http://kyc.example.com", tls: true, ok: false}, // callbacks would go to http
		{live: true, publicURL: "https://kyc.example.com", tls: true, ok: true}, // both
		{live: true, publicURL: "ftp://kyc.example.com", tls: false, ok: false},
	} {
		err := CheckCallbackTransport(c.live, c.publicURL, c.tls)
		if (err == nil) != c.ok {
			t.Errorf("live=%v public=%q tls=%v: err=%v, want ok=%v", c.live, c.publicURL, c.tls, err, c.ok)
		}
	}
}

func TestConfigDefaultsAndValidate(t *testing.T) {
	c := DefaultConfig()
	if c.SSHListen != "127.0.0.1:2222" || c.HTTPListen != "127.0.0.1:8471" || c.IdleTimeout != 30*time.Minute || c.ShutdownGrace != 10*time.Second {
		t.Fatalf("defaults: %+v", c)
	}
	if !strings.HasSuffix(c.OperatorsFile, "/kycdesk/operators") {
		t.Fatalf("operators default %q", c.OperatorsFile)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := c
	bad.SSHListen = "2222"
	bad.TLSCert = "cert.pem"
	bad.PublicURL = "https://user:pw@kyc.example.com"
	err := bad.Validate()
	for _, want := range []string{"--ssh-listen", "--tls-cert and --tls-key", "--public-url: must not carry"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %q", err, want)
		}
	}
}

func TestServeTableDecodes(t *testing.T) {
	var f struct {
		Serve map[string]any `toml:"serve"`
	}
	_, err := toml.Decode(`
[serve]
ssh_listen = "0.0.0.0:2222"
http_listen = "127.0.0.1:9000"
public_url = "https://kyc.example.com"
operators = "/etc/kycdesk/operators"
store = "postgres://kyc@db/kyc"
host_key = "/var/lib/kycdesk/host_key"
tls_cert = "/etc/kycdesk/cert.pem"
tls_key = "/etc/kycdesk/key.pem"
idle_timeout = "45m"
live = true

[serve.roles]
supervisors = ["carol"]
`, &f)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{SSHListen: "0.0.0.0:2222", HTTPListen: "127.0.0.1:9000", PublicURL: "https://kyc.example.com",
		OperatorsFile: "/etc/kycdesk/operators", Store: "postgres://kyc@db/kyc", HostKeyFile: "/var/lib/kycdesk/host_key",
		TLSCert: "/etc/kycdesk/cert.pem", TLSKey: "/etc/kycdesk/key.pem", IdleTimeout: 45 * time.Minute, Live: true,
		Roles: Roles{Supervisors: []string{"carol"}}}
	got, err := decodeServe(f.Serve, "config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v\nwant    %+v", got, want)
	}
}

func TestCallbackBaseURL(t *testing.T) {
	c := Config{PublicURL: "https://kyc.example.com/base/"}
	if got := c.CallbackBaseURL("127.0.0.1:8471"); got != "https://kyc.example.com/base" {
		t.Fatal(got)
	}
	c = Config{TLSCert: "c", TLSKey: "k"}
	if got := c.CallbackBaseURL("10.0.0.5:8471"); got != "https://10.0.0.5:8471" {
		t.Fatal(got)
	}
	if got := (Config{}).CallbackBaseURL("127.0.0.1:8471"); got != "http://127.0.0.1:8471" {
		t.Fatal(got)
	}
}

func TestParseOperators(t *testing.T) {
	alice, bob := newOperatorKey(t, "alice"), newOperatorKey(t, "bob")
	bare := strings.TrimSuffix(bob.line, " bob")
	data := strings.Join([]string{
		"# comment",
		"",
		alice.line,
		alice.line[:len(alice.line)-len("alice")] + "alice-again", // same key twice
		bare,                            // no name
		`from="10.0.0.0/8" ` + bob.line, // options are not enforced, so refused
		"ssh-ed25519 not-base64 carol",  // not a key
		strings.TrimSuffix(bob.line, "bob") + "Bob Martin", // a name with a space
	}, "\n")
	set, problems := parseOperators([]byte(data))
	if len(set.byKey) != 2 {
		t.Fatalf("keys %d, want 2", len(set.byKey))
	}
	if name := set.byKey[string(bob.signer.PublicKey().Marshal())]; name != "Bob Martin" {
		t.Fatalf("bob's name %q", name)
	}
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"line 4: key SHA256:", "already listed for alice", "line 5: key", "no operator name", "line 6: key options", "line 7: not an authorized_keys line"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if _, problems := parseOperators([]byte(strings.TrimSuffix(alice.line, "alice") + "al\x1bice")); len(problems) != 1 {
		t.Errorf("control character in a name accepted")
	}
}

func TestRefusalLogIsRateLimited(t *testing.T) {
	var r refusalLog
	now := time.Unix(1000, 0)
	if ok, _ := r.note("SHA256:a", now); !ok {
		t.Fatal("first refusal not logged")
	}
	for i := 0; i < 3; i++ {
		if ok, _ := r.note("SHA256:a", now.Add(time.Second)); ok {
			t.Fatal("repeat logged within the window")
		}
	}
	if ok, _ := r.note("SHA256:b", now.Add(time.Second)); !ok {
		t.Fatal("another key not logged")
	}
	ok, suppressed := r.note("SHA256:a", now.Add(refusalWindow+time.Second))
	if !ok || suppressed != 3 {
		t.Fatalf("after the window: logged=%v suppressed=%d, want true 3", ok, suppressed)
	}
}

func TestMetricLabelsStayBounded(t *testing.T) {
	var g labelGuard
	if got := g.value("code", "Throttling.Api"); got != "Throttling.Api" {
		t.Fatal(got)
	}
	if got := g.value("code", "bad\ncode {x=\"1\"}"); got != "bad_code__x__1__" {
		t.Fatal(got)
	}
	for i := 0; i < 2*maxLabelValues; i++ {
		g.value("code", strings.Repeat("x", i%40)+string(rune('a'+i%26)))
	}
	if got := g.value("code", "brand-new"); got != otherLabel {
		t.Fatalf("label set not capped: %q", got)
	}
	if got := g.value("code", "Throttling.Api"); got != "Throttling.Api" {
		t.Fatal("a known value lost after the cap")
	}
	var nilMetrics *Metrics
	nilMetrics.LaunchStarted("idenfy") // a local console has no metrics
}
