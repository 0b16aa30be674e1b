// Package cputime reads the CPU time this process has used, for benchmarks
// that report work per CPU-second beside the wall-clock rate: the shared
// build machines are loaded, so their wall clock says more about the
// neighbours than about the code.
package cputime

import (
	"testing"
	"time"
)

// Rate reports n units of work per wall-clock second as unit+"/s" and, when
// the CPU time is known, per CPU-second (all threads, garbage collection
// included) as unit+"/cpu-s". cpu0 is Self() taken before the timed loop.
func Rate(b *testing.B, n float64, unit string, cpu0 time.Duration) {
	b.ReportMetric(n/b.Elapsed().Seconds(), unit+"/s")
	if cpu := Self() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(n/cpu.Seconds(), unit+"/cpu-s")
	}
}
