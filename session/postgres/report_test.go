package postgres_test

import (
	"testing"

	"github.com/kycdesk/kycdesk/session/storetest"
)

func TestReport(t *testing.T) {
	server(t)
	storetest.RunReport(t, fresh)
}

func TestQuotas(t *testing.T) {
	server(t)
	storetest.RunQuotas(t, fresh)
}
