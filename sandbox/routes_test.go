package sandbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// literalRoutes answers every request as the mux does, the first time
// (from the mux) and the next (from its table, for those it keeps).
func TestLiteralRoutesAnswerAsTheMux(t *testing.T) {
	newMux := func() *http.ServeMux {
		mux := http.NewServeMux()
		for _, p := range []string{"POST /api/v2/token", "GET /page", "POST /x/{action}", "GET /dir/", "GET example.test/h", "GET /h", "GET /é"} {
			mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "%s|%s|%s|%q", p, r.Pattern, r.URL.Path, r.PathValue("action"))
			})
		}
		return mux
	}
	mux := newMux()
	lr := &literalRoutes{mux: newMux()}
	serve := func(h http.Handler, method, target, host string) string {
		r := httptest.NewRequest(method, target, nil)
		if host != "" {
			r.Host = host
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return fmt.Sprintf("%d %s %q", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	cases := []struct{ method, target, host string }{
		{"POST", "/api/v2/token", ""}, {"GET", "/page", ""}, {"HEAD", "/page", ""}, {"PUT", "/page", ""},
		{"GET", "//page", ""}, {"GET", "/a/../page", ""}, {"GET", "/page/", ""}, {"GET", "/p%61ge", ""},
		{"POST", "/x/approve", ""}, {"POST", "/x/deny", ""}, {"GET", "/dir", ""}, {"GET", "/dir/", ""}, {"GET", "/dir/sub", ""},
		{"GET", "/h", "example.test"}, {"GET", "/h", "example.test:8470"}, {"GET", "/h", "other.test"},
		{"GET", "/nope", ""}, {"GET", "/%C3%A9", ""}, {"GET", "/é", ""}, {"POST", "/api/v2/token/", ""}, {"POST", "/API/v2/token", ""},
	}
	for round := range 3 {
		for _, c := range cases {
			want, got := serve(mux, c.method, c.target, c.host), serve(lr, c.method, c.target, c.host)
			if got != want {
				t.Errorf("round %d, %s %s (host %q): got %s, want %s", round, c.method, c.target, c.host, got, want)
			}
		}
	}
	table := *lr.table.Load()
	for _, k := range []routeKey{{"POST", "example.com", "/api/v2/token"}, {"GET", "example.com", "/page"}, {"GET", "other.test", "/h"}} {
		if _, ok := table[k]; !ok {
			t.Errorf("%v is not in the table", k)
		}
	}
	for k := range table {
		if k.method == "HEAD" || k.path != "/api/v2/token" && k.path != "/page" && k.path != "/h" && k.path != "/é" && k.path != "/dir/" {
			t.Errorf("%v is in the table", k)
		}
	}
}

// Requests naming many hosts do not grow the table beyond its bound.
func TestLiteralRoutesBounded(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page", func(http.ResponseWriter, *http.Request) {})
	lr := &literalRoutes{mux: mux}
	for i := range 3 * maxLiteralRoutes {
		r := httptest.NewRequest("GET", "/page", nil)
		r.Host = fmt.Sprintf("h%d.test", i)
		lr.ServeHTTP(httptest.NewRecorder(), r)
	}
	if n := len(*lr.table.Load()); n != maxLiteralRoutes {
		t.Errorf("%d routes kept, want %d", n, maxLiteralRoutes)
	}
}
