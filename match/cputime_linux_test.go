package match

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time the calling thread has used. Benchmarks
// report throughput per CPU-second as well as per wall-second because the
// benchmark machines are shared: wall time counts the time other processes
// held the core, CPU time does not.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lockThread pins the benchmark goroutine so that threadCPU measures it.
func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}

// cpuPerOp starts measuring the benchmark goroutine's CPU time; the
// returned func reports it as cpu-ns/op. Use as defer cpuPerOp(b)().
func cpuPerOp(b *testing.B) func() {
	unlock := lockThread()
	start := threadCPU()
	return func() {
		cpu := threadCPU() - start
		unlock()
		if cpu > 0 && b.N > 0 {
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
