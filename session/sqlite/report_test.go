package sqlite_test

import (
	"testing"

	"github.com/kycdesk/kycdesk/session/storetest"
)

func TestReport(t *testing.T) { storetest.RunReport(t, fresh) }

func TestQuotas(t *testing.T) { storetest.RunQuotas(t, fresh) }
