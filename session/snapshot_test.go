package session

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// lowSnapshotThresholds makes every journal worth a snapshot.
func lowSnapshotThresholds(t testing.TB) {
	minSize, every := snapshotMinSize, snapshotEvery
	snapshotMinSize, snapshotEvery = 1, 1
	t.Cleanup(func() { snapshotMinSize, snapshotEvery = minSize, every })
}

// richJournal writes sessions of every kind: launched and polled,
// refused, unknown, resolved, retried, with a challenge, plus a torn line
// fenced in the middle.
func richJournal(t *testing.T, j *Journal, clock *fakeClock) {
	t.Helper()
	l := &Launcher{Journal: j, Now: clock.Now}
	c := newFake()
	for i := 0; i < 20; i++ {
		clock.Advance(7 * time.Second)
		by := l
		if i%2 == 0 { // some launched at a served desk, with its actor
			by = l.As("alice", "desk-12")
		}
		s := mustLaunch(t, by, c, values("rich-"+string(rune('a'+i))))
		if i%3 == 0 {
			j.AppendStatusBy(s.ID, &providers.Status{State: providers.StateApproved, Detail: "ok ✓"}, "bob", "desk-3")
			j.Audit(s.ID, "status", "asked", "bob", "desk-3")
		}
	}
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Rejected(400, "BAD", "refused\twith a tab", "fix it")
	}
	l.Launch(context.Background(), testDescriptor(), c, providers.ModeLive, c.endpoint, values("refused"))
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Unknown(504, "", "timeout", nil)
	}
	v := values("unknown")
	u, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, v)
	r, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("resolved"))
	l.Resolve(r.ID, "checked: not created")
	// A crash leaves half a line; the next append fences it.
	f, _ := os.OpenFile(j.Path(), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"type":"status","id":"` + u.ID + `","at":"20`)
	f.Close()
	c.launch = nil
	if _, err := j.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Retry(context.Background(), u, c, v); err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotMatchesFullRead(t *testing.T) {
	lowSnapshotThresholds(t)
	path, j := tempJournal(t)
	clock := newClock()
	richJournal(t, j, clock)
	if err := j.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(SnapshotPath(path)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot: %v %v", err, fi)
	}
	// More lines after the snapshot, including changes to sessions in it.
	l := &Launcher{Journal: j, Now: clock.Now}
	last := j.Sessions()[3]
	j.AppendStatus(last.ID, &providers.Status{State: providers.StateDenied, Detail: "after the snapshot"})
	mustLaunch(t, l, newFake(), values("after"))
	want := comparable(j.Sessions())

	withSnap, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer withSnap.Close()
	if withSnap.snapOff == 0 {
		t.Fatal("the snapshot was not used")
	}
	os.Rename(SnapshotPath(path), SnapshotPath(path)+".off")
	full, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	if full.snapOff != 0 {
		t.Fatal("a snapshot was used")
	}
	for name, got := range map[string]*Journal{"with the snapshot": withSnap, "full read": full} {
		if !reflect.DeepEqual(comparable(got.Sessions()), want) {
			t.Errorf("%s: sessions differ:\n got %+v\nwant %+v", name, comparable(got.Sessions()), want)
		}
		if got.Torn() != 1 || len(got.Warnings()) != 1 {
			t.Errorf("%s: torn %d, warnings %q", name, got.Torn(), got.Warnings())
		}
		if s, _ := got.Get(last.ID); s.Values().Get("clientId") == "" || s.State != providers.StateDenied {
			t.Errorf("%s: %+v", name, s)
		}
	}
	// Both keep working: appends, reloads, filters.
	mustLaunch(t, &Launcher{Journal: withSnap}, newFake(), values("later"))
	if n, _ := full.Reload(); n != 2 || full.Len() != withSnap.Len() {
		t.Fatalf("reload read %d; %d vs %d sessions", n, full.Len(), withSnap.Len())
	}
	if got := withSnap.Filter("later"); len(got) != 1 {
		t.Fatal(ids(got))
	}
}

func TestSnapshotIgnoredWhenStale(t *testing.T) {
	lowSnapshotThresholds(t)
	path, j := tempJournal(t)
	richJournal(t, j, newClock())
	if err := j.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	data, _ := os.ReadFile(path)
	snap, _ := os.ReadFile(SnapshotPath(path))

	check := func(name string) {
		t.Helper()
		got, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Close()
		if got.snapOff != 0 {
			t.Errorf("%s: the snapshot was used", name)
		}
		os.Rename(SnapshotPath(path), SnapshotPath(path)+".off")
		want, _ := Open(path)
		defer want.Close()
		os.Rename(SnapshotPath(path)+".off", SnapshotPath(path))
		if !reflect.DeepEqual(comparable(got.Sessions()), comparable(want.Sessions())) {
			t.Errorf("%s: sessions differ from a full read", name)
		}
	}
	// The journal was replaced by another one, longer than the old.
	other := strings.Replace(string(data), "rich-a", "RICH-A", 1) + string(data)
	os.WriteFile(path, []byte(other), 0o600)
	check("rewritten journal")
	// The journal was cut short.
	os.WriteFile(path, data[:len(data)/2], 0o600)
	check("truncated journal")
	// The snapshot is damaged.
	os.WriteFile(path, data, 0o600)
	bad := append([]byte(nil), snap...)
	bad[len(bad)/2] ^= 0x40
	os.WriteFile(SnapshotPath(path), bad, 0o600)
	check("damaged snapshot")
	os.WriteFile(SnapshotPath(path), snap[:len(snap)-9], 0o600)
	check("short snapshot")
}

func TestStaleSnapshotTempsRemoved(t *testing.T) {
	lowSnapshotThresholds(t)
	path, j := tempJournal(t)
	mustLaunch(t, &Launcher{Journal: j}, newFake(), values("a"))
	j.Close()
	dir := filepath.Dir(path)
	stale := filepath.Join(dir, ".sessions.jsonl.snapshot-123")
	fresh := filepath.Join(dir, ".sessions.jsonl.snapshot-456")
	os.WriteFile(stale, []byte("x"), 0o600)
	os.WriteFile(fresh, []byte("x"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary snapshot kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a snapshot being written was removed")
	}
}

func TestCloseWritesSnapshot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.jsonl")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustLaunch(t, &Launcher{Journal: j}, newFake(), values("small"))
	j.Close()
	if _, err := os.Stat(SnapshotPath(path)); !os.IsNotExist(err) {
		t.Fatal("a snapshot for a small journal")
	}
	lowSnapshotThresholds(t)
	j, _ = Open(path)
	j.Close()
	if _, err := os.Stat(SnapshotPath(path)); err != nil {
		t.Fatal("no snapshot written on Close")
	}
}
