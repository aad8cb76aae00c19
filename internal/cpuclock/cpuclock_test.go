package cpuclock

import (
	"runtime"
	"testing"
	"time"
)

// TestClocks: both clocks advance with work, and the thread's does not
// advance while the thread sleeps.
func TestClocks(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, p0 := Thread(), Process()
	x := 0
	for i := range 20_000_000 {
		x += i ^ x
	}
	t1, p1 := Thread(), Process()
	if t1 <= t0 || p1 <= p0 {
		t.Fatalf("clocks did not advance: thread %v..%v, process %v..%v (%d)", t0, t1, p0, p1, x)
	}
	if runtime.GOOS != "linux" {
		return
	}
	time.Sleep(50 * time.Millisecond)
	if d := Thread() - t1; d > 20*time.Millisecond {
		t.Errorf("the thread clock advanced %v during a 50ms sleep", d)
	}
}
