//go:build linux

package attestation

import (
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTime is CLOCK_THREAD_CPUTIME_ID (linux/time.h).
const clockThreadCPUTime = 3

// cpuClock reads the CPU time of the calling thread: the benchmarks lock
// their goroutine to its thread and time ours and the baseline with it, so
// that the time the thread waits for a core on a loaded machine counts for
// neither (wall time made the ratios swing by half on 2 shared cores).
func cpuClock() time.Duration {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}
