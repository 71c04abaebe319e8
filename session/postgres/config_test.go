package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestListsPlannedWithTheirValues: the queries not prepared at open run
// with pgx's describe-then-execute mode, so that PostgreSQL plans each
// call with its values (a generic plan walked every session backwards
// for a desk with none); a URL that names a mode keeps it.
func TestListsPlannedWithTheirValues(t *testing.T) {
	cfg, err := connConfig("postgres://u:p@127.0.0.1:5432/db")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultQueryExecMode != pgx.QueryExecModeCacheDescribe {
		t.Errorf("default exec mode %v, want cache_describe", cfg.DefaultQueryExecMode)
	}
	if cfg.ConnectTimeout != connectTimeout {
		t.Errorf("connect timeout %v, want %v", cfg.ConnectTimeout, connectTimeout)
	}
	cfg, err = connConfig("postgres://u:p@127.0.0.1:5432/db?default_query_exec_mode=simple_protocol&connect_timeout=3")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultQueryExecMode != pgx.QueryExecModeSimpleProtocol || cfg.ConnectTimeout != 3*time.Second {
		t.Errorf("the URL's own settings: mode %v, timeout %v", cfg.DefaultQueryExecMode, cfg.ConnectTimeout)
	}
}
