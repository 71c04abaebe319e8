package sqlite_test

import (
	"net/http"
	"strings"
)

type httpRequest = http.Request

func newRequest() (*http.Request, error) {
	return http.NewRequest(http.MethodPost, "https://api.fake.test/api/v2/token", strings.NewReader(`{"clientId":"c"}`))
}
