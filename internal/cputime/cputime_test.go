package cputime

import (
	"runtime"
	"testing"
)

// TestSelfAdvances burns CPU and checks that Self sees it: a benchmark
// reporting per-CPU-second rates from a clock that stands still would
// report infinities.
func TestSelfAdvances(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no rusage here")
	}
	t0 := Self()
	x := uint64(1)
	for i := 0; i < 50_000_000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	if x == 0 {
		t.Log(x)
	}
	if d := Self() - t0; d <= 0 {
		t.Fatalf("CPU time did not advance over 50M multiplications: %v", d)
	}
}
