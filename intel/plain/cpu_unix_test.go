//go:build unix

package plain

import "syscall"

// cpuSeconds is the CPU time (user + system) this process has used. The
// benchmarks report indicators per CPU-second beside the wall-clock rate
// because the shared build machine's wall clock depends on its load.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
