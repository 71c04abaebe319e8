package clocktest

import (
	"sync"
	"testing"
	"time"
)

func TestSetAndAdvance(t *testing.T) {
	c := New(Start)
	if !c.Now().Equal(Start) || !c.Func().Now().Equal(Start) {
		t.Fatalf("new clock at %v, want %v", c.Now(), Start)
	}
	if got := c.Advance(90 * time.Second); !got.Equal(Start.Add(90*time.Second)) || !c.Now().Equal(got) {
		t.Fatalf("advanced to %v (reads %v)", got, c.Now())
	}
	c.Set(Start.Add(-time.Hour))
	if !c.Now().Equal(Start.Add(-time.Hour)) {
		t.Fatalf("set to %v", c.Now())
	}
}

// Readers and writers at once: run with -race.
func TestConcurrentUse(t *testing.T) {
	c := New(Start)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); c.Advance(time.Second) }()
		go func() { defer wg.Done(); _ = c.Now() }()
	}
	wg.Wait()
	if want := Start.Add(4 * time.Second); !c.Now().Equal(want) {
		t.Fatalf("after 4 advances %v, want %v", c.Now(), want)
	}
}
