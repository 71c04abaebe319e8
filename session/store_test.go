package session

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:hunter2@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db?password=hunter2":             "postgres://u@h/db?password=xxxxx",
		"postgres://h/db":                                "postgres://h/db",
		"/var/lib/kycdesk.db":                            "/var/lib/kycdesk.db",
		"postgres://u:hun%zzter2@h/db":                   "postgres://xxxxx@h/db",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStoreKindRefusals(t *testing.T) {
	for _, u := range []string{"sqlite:", "sqlite://", "mysql://h/db", "http://h"} {
		if _, _, err := StoreKind(u); err == nil {
			t.Errorf("StoreKind(%q) accepted", u)
		}
	}
}

func TestKeyFileCreatedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "kycdesk", "store.key")
	var wg sync.WaitGroup
	keys := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range keys { // several processes' first use at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = LoadKeyFile(path)
		}()
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil || len(keys[i]) != keyBytes || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("load %d: %x, %v (first %x)", i, keys[i], errs[i], keys[0])
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v", fi.Mode(), err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".store.key.*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestStoreKeySources(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	getenv := func(k string) string { return env[k] }
	k, from, err := StoreKey(getenv)
	if err != nil || from != filepath.Join(dir, "kycdesk", "store.key") || len(k) != keyBytes {
		t.Fatalf("key file: %x %s %v", k, from, err)
	}
	file := filepath.Join(dir, "mounted.key")
	os.WriteFile(file, []byte(strings.Repeat("01", 40)+"\n"), 0o600)
	env[KeyFileEnv] = file
	if k, from, err := StoreKey(getenv); err != nil || from != file || len(k) != 40 {
		t.Errorf("%s: %x %s %v", KeyFileEnv, k, from, err)
	}
	env[KeyEnv] = strings.Repeat("ab", 32)
	if k, from, err := StoreKey(getenv); err != nil || from != KeyEnv || k[0] != 0xab {
		t.Errorf("%s: %x %s %v", KeyEnv, k, from, err)
	}
	for _, bad := range []string{"not hex", strings.Repeat("ab", 16)} {
		env[KeyEnv] = bad
		if _, _, err := StoreKey(getenv); err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("%s=%q: %v", KeyEnv, bad, err)
		}
	}
	if _, _, err := StoreKey(func(string) string { return "" }); err == nil {
		t.Error("a key with no home")
	}
}

func TestMergeChanges(t *testing.T) {
	c := merge(Change{IDs: []string{"a", "b"}}, Change{IDs: []string{"b", "c"}})
	if strings.Join(c.IDs, ",") != "a,b,c" || c.Resync {
		t.Errorf("merge = %+v", c)
	}
	if c := merge(Change{IDs: []string{"a"}}, Change{Resync: true}); !c.Resync || c.IDs != nil {
		t.Errorf("merge with a resync = %+v", c)
	}
	var big Change
	for i := range maxPendingIDs + 1 {
		big = merge(big, Change{IDs: []string{encodeID(uint64(i))}})
	}
	if !big.Resync || big.IDs != nil {
		t.Errorf("an overflowing subscriber is not told to reload: %d ids", len(big.IDs))
	}
}
