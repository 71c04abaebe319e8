package clock

import (
	"testing"
	"time"
)

func TestNilIsTheSystemClock(t *testing.T) {
	var f Func
	before := time.Now()
	got := f.Now()
	if got.Before(before) || got.After(time.Now()) {
		t.Fatalf("nil clock read %v, outside [%v, now]", got, before)
	}
	if f.Or() == nil {
		t.Fatal("Or of nil is nil")
	}
}

func TestFuncIsRead(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	f := Func(func() time.Time { return at })
	if !f.Now().Equal(at) || !f.Or()().Equal(at) {
		t.Fatalf("read %v / %v, want %v", f.Now(), f.Or()(), at)
	}
}
