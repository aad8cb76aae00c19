package cpuclock_test

import (
	"fmt"
	"runtime"

	"github.com/qtenclave/qtenclave/internal/cpuclock"
)

func Example() {
	runtime.LockOSThread() // Thread readings are compared on one thread
	defer runtime.UnlockOSThread()
	t0 := cpuclock.Thread()
	sum := 0
	for i := range 1000 {
		sum += i
	}
	fmt.Println(sum, cpuclock.Thread() >= t0)
	// Output: 499500 true
}
