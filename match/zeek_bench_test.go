package match

import (
	"bytes"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/zeek"
	"github.com/umbra-cti/umbra/telemetry/zeek/zeektest"
)

// processCPU returns the CPU time (user+system) of the whole process: the
// decoder allocates, so its garbage collector's work on other threads
// belongs to the cost of decoding.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkZeekDecodeMatch is the "Zeek TSV decode + match >= 300 MB/s
// per core" target of #4: synthetic Zeek 6 conn.log and dns.log
// (zeektest, 20k records each) decoded by telemetry/zeek and every event
// matched against the 1M-indicator snapshot, in one goroutine. The decode
// sub-benchmark is the same loop without the match, in the same process,
// so the two figures share the machine's state. MB/cpu-s counts the
// process's CPU time, the garbage collector included.
func BenchmarkZeekDecodeMatch(b *testing.B) {
	s, _ := millionFixture(b)
	var logs [2][]byte
	for i, write := range []func(io.Writer, int, uint64) error{zeektest.ConnLog, zeektest.DNSLog} {
		var buf bytes.Buffer
		if err := write(&buf, 20000, uint64(i+1)); err != nil {
			b.Fatal(err)
		}
		logs[i] = buf.Bytes()
	}
	size := int64(len(logs[0]) + len(logs[1]))
	for _, withMatch := range []bool{false, true} {
		name := "decode"
		if withMatch {
			name = "decode+match"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			var ev event.Event
			hits := make([]Hit, 0, 64)
			total, events := 0, 0
			rd := bytes.NewReader(nil)
			start, cpu := time.Now(), processCPU()
			for i := 0; i < b.N; i++ {
				for _, log := range logs {
					rd.Reset(log)
					r := zeek.NewReader(rd, "bench.log")
					for {
						err := r.Next(&ev) // which resets ev, as ingest relies on
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
						events++
						if withMatch {
							hits = s.MatchAppend(hits[:0], &ev)
							total += len(hits)
						}
					}
				}
			}
			wall, cpu := time.Since(start), processCPU()-cpu
			mb := float64(size) * float64(b.N) / 1e6
			b.ReportMetric(mb/wall.Seconds(), "MB/s-wall")
			if cpu > 0 {
				b.ReportMetric(mb/cpu.Seconds(), "MB/cpu-s")
			}
			b.ReportMetric(float64(total)/float64(events), "hits/event")
		})
	}
}
