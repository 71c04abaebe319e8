package desk

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/callbacks"
	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// BenchmarkSignedWebhooks is signed iDenfy webhooks (an automatic result
// that is not final: a pending status, the same each time, as iDenfy
// repeats a webhook it thinks was not taken) into the callback receiver
// of a desk on a SQLite store, at concurrency 16 over loopback keep-alive
// connections, next to a bare net/http handler that checks the same HMAC
// and answers 200, run the same way in the same run (budget: ≥ 0.3× the
// bare handler's webhooks per second; compare the two ns/op). cpu-µs/op
// is the process's CPU time per webhook (server and client), which a busy
// machine moves less than the wall time.
func BenchmarkSignedWebhooks(b *testing.B) {
	const key = "bench-signing-key"
	sbx := httptest.NewServer(sandbox.Handler(catalog.All(), sandbox.Options{}))
	defer sbx.Close()
	dir := b.TempDir()
	env := map[string]string{"HOME": dir, session.KeyEnv: storetest.TestKey}
	st, err := session.OpenStore(filepath.Join(dir, "kycdesk.db"), func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	d := New(Options{Registry: catalog.All(), Mode: providers.ModeSandbox, SandboxURL: sbx.URL, Store: st,
		Resolve: func(desc providers.Descriptor, m providers.Mode, endpoint string) *Provider {
			r := config.Resolve(desc, providers.ModeSandbox, sbx.URL, nil, func(string) string { return "" })
			r.Config.Mode = m
			c, err := desc.New(r.Config)
			if err != nil {
				b.Fatal(err)
			}
			return &Provider{Desc: desc, Client: c, Endpoint: r.Config.BaseURL}
		}})
	p, _ := d.Provider(idenfy.ID)
	out, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"bench-1"}}))
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"clientId":"bench-1","scanRef":"` + out.Launch.References["scanRef"] +
		`","final":false,"status":{"overall":"APPROVED","autoDocument":"DOC_VALIDATED","autoFace":"FACE_MATCH"}}`)
	sig := idenfy.SignWebhook([]byte(key), body)
	recv := callbacks.New(d.CallbackSink(), callbacks.Options{IdenfySigningKey: []byte(key)})
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := io.ReadAll(r.Body)
		if err != nil || idenfy.VerifyWebhook([]byte(key), got, r.Header.Get(idenfy.SignatureHeader)) != nil {
			http.Error(w, "refused", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "accepted: recorded\n")
	})
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare-hmac", bare}, {"receiver-sqlite", recv}} {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.h)
			defer srv.Close()
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, MaxConnsPerHost: 16}}
			cpu0 := cpuTime()
			b.SetParallelism(8) // 8 × GOMAXPROCS(2) = 16 at once on the CI machine
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("POST", srv.URL+callbacks.IdenfyPath, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set(idenfy.SignatureHeader, sig)
					resp, err := hc.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s: %s", c.name, resp.Status)
						return
					}
				}
			})
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
	if n := recv.Count(idenfy.ID, callbacks.Accepted, callbacks.ReasonRecorded); n == 0 {
		b.Fatalf("no webhook recorded: %+v", recv.Counts())
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
