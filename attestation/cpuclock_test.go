package attestation

import "github.com/qtenclave/qtenclave/internal/cpuclock"

// cpuClock is the calling thread's CPU time: the benchmarks lock their
// goroutine to its thread and time ours and the baseline with it (see
// package cpuclock).
var cpuClock = cpuclock.Thread
