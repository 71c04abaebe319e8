package token

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestPathFoldsLoopbackNames(t *testing.T) {
	want := Path("/s", "http://127.0.0.1:8470")
	for _, u := range []string{"http://localhost:8470/", "http://[::1]:8470", "http://0.0.0.0:8470"} {
		if got := Path("/s", u); got != want {
			t.Errorf("Path(%s) = %s, want %s", u, got, want)
		}
	}
	if Path("/s", "http://192.168.1.20:8470") == want || Path("/s", "http://127.0.0.1:8471") == want {
		t.Error("different sandboxes share a token file")
	}
	if got := Path("/s", "http://h/../../x:1"); filepath.Dir(got) != "/s" {
		t.Errorf("Path escapes the state dir: %s", got)
	}
}

func TestReadRefusesWhatAnotherUserCouldPlant(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.token")
	tok := New()
	if err := Write(good, tok); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(good); err != nil || got != tok {
		t.Fatalf("Read = %q, %v", got, err)
	}
	link := filepath.Join(dir, "link.token")
	os.Symlink(good, link)
	if _, err := Read(link); err == nil {
		t.Error("a symlink was followed")
	}
	fifo := filepath.Join(dir, "fifo.token")
	if syscall.Mkfifo(fifo, 0o600) == nil {
		if _, err := Read(fifo); err == nil {
			t.Error("a FIFO was read")
		}
	}
	os.Chmod(good, 0o640)
	if _, err := Read(good); err == nil {
		t.Error("a group-readable token was used")
	}
	junk := filepath.Join(dir, "junk.token")
	os.WriteFile(junk, []byte("not a token\n"), 0o600)
	if _, err := Read(junk); err == nil {
		t.Error("junk accepted as a token")
	}
	if !Verify(tok, "n", Proof(tok, "n")) || Verify(tok, "n", Proof(New(), "n")) || Verify("", "n", Proof("", "n")) {
		t.Error("Verify")
	}
}
