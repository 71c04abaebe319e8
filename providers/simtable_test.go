package providers

import (
	"testing"
	"time"
)

func TestSimTableSweepDropsInTimeOrderAndTellsOnDrop(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	tb := NewSimTable[int](3)
	var dropped []string
	tb.OnDrop(func(key string, v int) { dropped = append(dropped, key) })
	for i, k := range []string{"c", "a", "b"} {
		if !tb.Put(k, i, t0.Add(time.Duration(3-i)*time.Second)) { // c at +3s, a at +2s, b at +1s
			t.Fatalf("Put %s refused", k)
		}
	}
	if !tb.Full() || tb.Put("d", 9, t0.Add(time.Hour)) {
		t.Fatalf("a full table took a new key")
	}
	tb.Sweep(t0.Add(2 * time.Second)) // b and a are due; c is not
	if len(dropped) != 2 || dropped[0] != "b" || dropped[1] != "a" || tb.Len() != 1 {
		t.Fatalf("dropped %v, %d left", dropped, tb.Len())
	}
	if _, ok := tb.Get("a"); ok {
		t.Errorf("a swept entry is still there")
	}
	if v, ok := tb.Get("c"); !ok || v != 0 {
		t.Errorf("c = %d, %v", v, ok)
	}
	if !tb.Put("d", 9, t0.Add(time.Hour)) {
		t.Errorf("Put refused after a sweep made room")
	}
}
