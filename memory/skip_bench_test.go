package memory

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// BenchmarkSkipMillionValues is the statistics check of a retro-hunt with
// a 1M-indicator snapshot (half addresses, half domains, none present)
// over a month of 30 one-day segments: the cost of testing every segment's
// statistics against the values. (With a million values the bloom
// filters' false positives keep most segments: at about 1 in 100,000 a
// value, a segment is kept by some ten of them.)
func BenchmarkSkipMillionValues(b *testing.B) {
	gen := newTraffic(45, day0)
	var evs []event.Event
	var e event.Event
	for d := range 30 {
		gen.now = day0.Add(time.Duration(d) * 24 * time.Hour)
		for range 2000 {
			gen.next(&e)
			evs = append(evs, e.Clone())
		}
	}
	s := ingest(b, b.TempDir(), evs)
	defer s.Close()
	values := make([]string, 0, 1_000_000)
	for i := range 500_000 {
		values = append(values, netip.AddrFrom4([4]byte{100, 64 + byte(i>>16), byte(i >> 8), byte(i)}).String(),
			"n"+strconv.Itoa(i)+".never-seen.example")
	}
	b.ResetTimer()
	for b.Loop() {
		kept := 0
		probes := compileProbes(values)
		for _, sg := range s.segs {
			if anyValue(&sg.st, probes) {
				kept++
			}
		}
		b.ReportMetric(float64(kept), "segments-kept")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(values)*len(s.segs)), "ns/value-check")
}
