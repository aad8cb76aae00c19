//go:build !linux

package attestation

import "time"

var clockStart = time.Now()

// cpuClock is the wall (monotonic) clock where the thread's CPU time is
// not read (see cpuclock_linux_test.go).
func cpuClock() time.Duration { return time.Since(clockStart) }
