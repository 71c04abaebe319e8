package sandbox

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers/catalog"
)

// 400 clients that never finish their headers (issue 20: they locked
// everyone out for seconds) fill only their own address's share: a client
// from another address is served at once, and the slow ones beyond the
// share are closed rather than held.
func TestSlowHeaderClientsDoNotLockOthersOut(t *testing.T) {
	s, err := Start(catalog.All(), "127.0.0.1:0", Options{
		Limits: Limits{ReadHeaderTimeout: time.Hour, ReadTimeout: time.Hour, IdleTimeout: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr := strings.TrimPrefix(s.URL, "http://")
	for range 400 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nX-Slow: ", HealthPath)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: d.DialContext}}
	resp, err := client.Get(s.URL + HealthPath)
	if err != nil {
		t.Fatalf("another client was not served while 400 slow ones were connected: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if n := s.stats.refused.Load(); n < 400-int64(DefaultLimits.MaxConnsPerHost) {
		t.Errorf("%d slow connections refused, want %d", n, 400-DefaultLimits.MaxConnsPerHost)
	}
}
