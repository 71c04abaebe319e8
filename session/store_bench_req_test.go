package session_test

import (
	"net/http"
	"strings"
)

type httpRequest = http.Request

func newRequest(body string) (*http.Request, error) {
	return http.NewRequest(http.MethodPost, "https://api.example.test/api/v2/token", strings.NewReader(body))
}
