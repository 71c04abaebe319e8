package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The attack of issue 20: someone who can write a world-writable
// operators file appends a key. The reload refuses the file, keeps the
// last good list and says why; fixing the mode applies it.
func TestWritableOperatorsFileIsNotReloaded(t *testing.T) {
	alice, mallory := newOperatorKey(t, "alice"), newOperatorKey(t, "mallory")
	ts := startServer(t, Config{OperatorsPoll: 20 * time.Millisecond}, nil, alice)
	writeOperators(t, ts.operators, alice, mallory)
	if err := os.Chmod(ts.operators, 0o666); err != nil {
		t.Fatal(err)
	}
	ts.waitLog(t, "keeping the last good list")
	log := ts.logs.String()
	if !strings.Contains(log, "chmod 600 "+ts.operators) {
		t.Errorf("the log does not give the fix:\n%s", log)
	}
	if c, err := dialDesk(ts.SSHAddr(), "desk-3", mallory.signer); err == nil {
		c.Close()
		t.Fatal("mallory got in through a world-writable operators file")
	}
	connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true).waitFor(t, "operator=alice")

	if err := os.Chmod(ts.operators, 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed file is applied", func() bool {
		c, err := dialDesk(ts.SSHAddr(), "desk-3", mallory.signer)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	// A whole session, so no handshake is still under way at shutdown.
	connectDesk(t, ts.SSHAddr(), "desk-3", mallory.signer, true).waitFor(t, "operator=mallory")
}

// A file with a bad line, or no file at all, keeps the last good list.
func TestBadReloadKeepsTheLastGoodList(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{OperatorsPoll: time.Hour}, nil, alice)
	os.WriteFile(ts.operators+".tmp", []byte(alice.line+"\nssh-ed25519 garbage bob\n"), 0o600)
	os.Rename(ts.operators+".tmp", ts.operators)
	ts.ReloadOperators()
	ts.waitLog(t, "line 2: not an authorized_keys line")
	connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true).waitFor(t, "operator=alice")

	os.Remove(ts.operators)
	ts.ReloadOperators()
	ts.waitLog(t, "does not exist")
	connectDesk(t, ts.SSHAddr(), "desk-2", alice.signer, true).waitFor(t, "operator=alice")
}

func TestOperatorsFileMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SSHListen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", HostKeyFile: filepath.Join(dir, "hk"), OperatorsFile: "/dev/zero"}
	if _, err := New(cfg, Options{Console: echoConsole}); err == nil || !strings.Contains(err.Error(), "operators file /dev/zero is a character device") {
		t.Fatalf("/dev/zero as the operators file: %v", err)
	}
}

// A name over the limit is "too long", not "has control characters".
func TestLongOperatorNameMessage(t *testing.T) {
	k := newOperatorKey(t, strings.Repeat("n", 100))
	_, problems := parseOperators([]byte(k.line))
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "is too long (100 bytes; at most 64)") || strings.Contains(problems[0].Error(), "control") {
		t.Fatalf("problems = %v", problems)
	}
}
