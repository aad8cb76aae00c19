// Package cpuclock reads CPU clocks for benchmarks that must hold on a
// loaded machine: a benchmark that runs ours and its baseline interleaved
// and times each with the CPU time of its own thread (or of the process)
// counts neither the time a thread waits for a core nor the other
// programs' work, where wall time made ratios swing by half on 2 shared
// cores.
//
// Thread is the calling thread's CPU time: lock the goroutine to its thread
// (runtime.LockOSThread) for as long as its readings are compared. Process
// is the CPU time of every thread of the process, the garbage collector's
// included. Where the system has no such clocks, both are the monotonic wall
// clock.
package cpuclock

import "time"

// Thread returns the CPU time of the calling thread.
func Thread() time.Duration { return read(clockThreadCPUTime) }

// Process returns the CPU time of the whole process.
func Process() time.Duration { return read(clockProcessCPUTime) }
