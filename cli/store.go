package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/server"
	"github.com/kycdesk/kycdesk/session"
	// The stores this program can open: SQLite (the default, a file) and
	// PostgreSQL (postgres://…, shared by many desks).
	_ "github.com/kycdesk/kycdesk/session/postgres"
	_ "github.com/kycdesk/kycdesk/session/sqlite"
)

// StoreEnv names the session store when --store does not.
const StoreEnv = server.StoreEnv

// storeFlag adds --store to a command that reads the history.
func storeFlag(fs *flag.FlagSet) *string {
	return fs.String("store", "", "the session store: a SQLite file, sqlite:PATH or postgres://… "+
		"(default: $"+StoreEnv+", then store in config.toml, then $XDG_STATE_HOME/kycdesk/kycdesk.db)")
}

// storeURL is the store a command uses: --store, else KYCDESK_STORE, else
// store in config.toml, else "" (the default SQLite file).
func storeURL(flagValue string, getenv func(string) string, f *config.File) string {
	if v := strings.TrimSpace(flagValue); v != "" {
		return v
	}
	if v := strings.TrimSpace(getenv(StoreEnv)); v != "" {
		return v
	}
	if f != nil {
		return f.Store
	}
	return ""
}

// openStore opens the session store; its error names the file or the
// URL (without its password).
func openStore(url string, getenv func(string) string) (session.Store, error) {
	st, err := session.OpenStore(url, getenv)
	if err != nil {
		return nil, fmt.Errorf("the session store cannot be opened: %w", err)
	}
	return st, nil
}

// openHistory opens the store a command names, for the commands that
// only read it (sessions): the configuration says which, no sandbox is
// needed.
func openHistory(io *IO, flagValue string) (session.Store, error) {
	f, err := config.Load(config.DefaultPath(io.Getenv), catalog.All())
	if err != nil {
		return nil, err
	}
	url := storeURL(flagValue, io.Getenv, f)
	if err := storeNamedExists(url, flagValue, io.Getenv); err != nil {
		return nil, err
	}
	return openStore(url, io.Getenv)
}

// storeNamedExists refuses a SQLite file named by --store, KYCDESK_STORE
// or config.toml that does not exist: a command that only reads would
// otherwise create an empty store there (and its directories), and a
// mistyped path would report "no sessions" with exit 0. The default
// store, named by nothing, is created as before.
func storeNamedExists(url, flagValue string, getenv func(string) string) error {
	kind, path, err := session.StoreKind(url)
	if err != nil || kind != "sqlite" || path == "" {
		return nil // a URL's own errors are openStore's
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) { // a symlink is the store's to refuse
		return nil
	}
	field := "store in config.toml"
	switch {
	case strings.TrimSpace(flagValue) != "":
		field = "--store"
	case strings.TrimSpace(getenv(StoreEnv)) != "":
		field = StoreEnv
	}
	return providers.Invalid([]providers.FieldError{{Field: field, Message: fmt.Sprintf(
		"no session store at %s: check the path (a command that only reads creates none; the console, launch and serve create it with their first session)",
		providers.SanitizeLine(path))}})
}
