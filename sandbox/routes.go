package sandbox

import (
	"net/http"
	"sync"
	"sync/atomic"
)

// literalRoutes serves a request from a table when the mux has already
// matched the same method, host and path to a pattern without wildcards
// whose path is the request's own (the APIs' routes, iDenfy's token
// endpoint above all), and asks the mux otherwise. The mux's matching
// (cleaning the path, walking its tree of patterns) was about a twentieth
// of the sandbox's own CPU for a token. The answer is the mux's: the
// handler is the one it chose for that method, host and path, and its
// patterns do not change once the simulators are registered. Requests
// whose path the mux would clean or redirect, or that carry escapes, or
// that match a pattern with wildcards, never enter the table; it holds at
// most maxLiteralRoutes entries, so that requests naming many hosts cannot
// grow it.
type literalRoutes struct {
	mux   *http.ServeMux
	mu    sync.Mutex                              // writers; readers load table
	table atomic.Pointer[map[routeKey]routeEntry] // never changed once stored
}

type routeKey struct{ method, host, path string }

type routeEntry struct {
	pattern string
	h       http.Handler
}

const maxLiteralRoutes = 64

func (lr *literalRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := routeKey{r.Method, r.Host, r.URL.Path}
	if t := lr.table.Load(); t != nil && r.URL.RawPath == "" {
		if e, ok := (*t)[key]; ok {
			r.Pattern = e.pattern // as the mux sets it
			e.h.ServeHTTP(w, r)
			return
		}
	}
	lr.mux.ServeHTTP(w, r)
	if literalMatch(r.Pattern, key) && r.URL.RawPath == "" {
		lr.learn(key, r)
	}
}

// literalMatch reports whether pattern is "METHOD PATH" for the key's
// method and path: no host, no wildcard, nothing the mux cleaned.
func literalMatch(pattern string, k routeKey) bool {
	m := len(k.method)
	return len(pattern) == m+1+len(k.path) && pattern[:m] == k.method && pattern[m] == ' ' && pattern[m+1:] == k.path
}

// learn adds the mux's handler for r, which it has just served, to the
// table.
func (lr *literalRoutes) learn(key routeKey, r *http.Request) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	old := lr.table.Load()
	if old != nil {
		if _, ok := (*old)[key]; ok || len(*old) >= maxLiteralRoutes {
			return
		}
	}
	h, pattern := lr.mux.Handler(r)
	if pattern != r.Pattern {
		return
	}
	next := make(map[routeKey]routeEntry, 1)
	if old != nil {
		for k, e := range *old {
			next[k] = e
		}
	}
	next[key] = routeEntry{pattern: pattern, h: h}
	lr.table.Store(&next)
}
