//go:build !unix

package plain

// cpuSeconds is unknown here; the CPU-time metric is then not reported.
func cpuSeconds() float64 { return 0 }
