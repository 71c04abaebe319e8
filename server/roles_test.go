package server

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestRolesRefuseUnknownSupervisors(t *testing.T) {
	dir := t.TempDir()
	ops := filepath.Join(dir, "operators")
	writeOperators(t, ops, newOperatorKey(t, "alice"), newOperatorKey(t, "carol"))
	for _, tc := range []struct {
		sup  []string
		want string // "" accepted
	}{
		{nil, ""},
		{[]string{"carol"}, ""},
		{[]string{"carl"}, `[serve.roles] supervisors: "carl" is not in the operators file ` + ops + ` (its operators: alice, carol)`},
		{[]string{"carol", "dave", "eve"}, `"dave", "eve" are not in the operators file`},
		{[]string{"carol", "carol"}, `"carol" is listed twice`},
		{[]string{" "}, `a name is empty`},
	} {
		cfg := Config{OperatorsFile: ops, HostKeyFile: filepath.Join(dir, "host"), SSHListen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0",
			Roles: Roles{Supervisors: tc.sup}}
		_, err := New(cfg, Options{Console: echoConsole, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.sup, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: err %v, want %q", tc.sup, err, tc.want)
		}
	}
}

// roleConsole shows whether the desk is a supervisor's.
func roleConsole(d Desk) (tea.Model, []tea.ProgramOption, error) {
	return &roleModel{echoModel{desk: d}}, nil, nil
}

type roleModel struct{ echoModel }

func (m *roleModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.echoModel.Update(msg)
	return m, cmd
}

func (m *roleModel) View() string {
	return fmt.Sprintf("operator=%s supervisor=%v\n", m.desk.Operator, m.desk.Supervisor)
}

func TestRolesAtConnectAndReload(t *testing.T) {
	alice, carol := newOperatorKey(t, "alice"), newOperatorKey(t, "carol")
	ts := startServer(t, Config{Roles: Roles{Supervisors: []string{"carol"}}}, roleConsole, alice, carol)
	c := connectDesk(t, ts.SSHAddr(), "desk-1", carol.signer, true)
	c.waitFor(t, "operator=carol supervisor=true")
	a := connectDesk(t, ts.SSHAddr(), "desk-2", alice.signer, true)
	a.waitFor(t, "operator=alice supervisor=false")

	// carol leaves the operators file: the reload names her as refused,
	// and a key of hers that comes back under another name is no
	// supervisor.
	carol2 := carol
	carol2.line = strings.TrimSuffix(carol.line, "carol") + "caroline"
	writeOperators(t, ts.operators, alice, carol2)
	ts.ReloadOperators()
	ts.waitLog(t, `a supervisor is refused`)
	ts.waitLog(t, `\"carol\" is not in the operators file`)
	c2 := connectDesk(t, ts.SSHAddr(), "desk-3", carol.signer, true)
	c2.waitFor(t, "operator=caroline supervisor=false")
}

func TestQuotasChecked(t *testing.T) {
	c := DefaultConfig()
	c.Quotas = Quotas{DeskPerHour: 20, OperatorPerDay: -1}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "[serve.quotas] operator_per_day = -1 must be 0 (no limit) or more") {
		t.Errorf("a negative quota: %v", err)
	}
	c.Quotas.OperatorPerDay = 0
	if err := c.Validate(); err != nil {
		t.Errorf("quotas 20 and 0: %v", err)
	}
}
