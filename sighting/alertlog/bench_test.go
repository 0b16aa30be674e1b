package alertlog

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/stix"
)

// benchLog writes n alerts spread over 30 days, 8 actors, 6 kinds and
// all TLP levels, and opens the log afresh.
func benchLog(b *testing.B, n int) (*Log, string) {
	b.Helper()
	dir := b.TempDir()
	l, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	kinds := []string{"domain", "ipv4", "url", "sha256", "lookalike-domain", "cidr"}
	recs := make([]Record, 0, 10000)
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("host-%d.c2-%d.example.net", i%5000, i%97)
		recs = append(recs, Record{Alert: match.Alert{Time: t0.Add(time.Duration(i) * (30 * 24 * time.Hour / time.Duration(n))),
			UID: fmt.Sprintf("C%016x", i), Sensor: "zeek", Where: "dns.query", Indicator: v, IndicatorType: kinds[i%len(kinds)],
			Matched: v, IndicatorIDs: []string{fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i%5000)},
			Sources: []string{"feed-a", "umbra simulate"}, Actors: []indicator.Actor{{Name: fmt.Sprintf("Actor %d", i%8), Confidence: 70}},
			TLP: stix.TLP(i % 5)}})
		if len(recs) == cap(recs) {
			if _, err := l.Append(recs); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	if _, err := l.Append(recs); err != nil {
		b.Fatal(err)
	}
	return l, dir
}

// BenchmarkOpen loads a 100k-alert log and reports the heap it keeps per alert.
func BenchmarkOpen(b *testing.B) {
	_, dir := benchLog(b, 100_000)
	b.ResetTimer()
	var l *Log
	cpu0 := cputime.Self()
	for b.Loop() {
		var err error
		if l, err = Open(dir); err != nil {
			b.Fatal(err)
		}
	}
	cputime.Rate(b, float64(b.N)*100_000, "alerts", cpu0)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	l2, _ := Open(dir)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/100_000, "heap-B/alert")
	runtime.KeepAlive(l)
	runtime.KeepAlive(l2)
}

// BenchmarkQuery pages 100 alerts out of 100k, as GET /api/alerts does.
func BenchmarkQuery(b *testing.B) {
	l, _ := benchLog(b, 100_000)
	for _, c := range []struct {
		name string
		f    Filter
	}{
		{"all", Filter{Clearance: stix.TLPGreen}},
		{"kind", Filter{Clearance: stix.TLPGreen, Kinds: []string{"url"}}},
		{"actor+week", Filter{Clearance: stix.TLPRed, Actors: []string{"actor 3"}, Since: t0.Add(7 * 24 * time.Hour), Until: t0.Add(14 * 24 * time.Hour)}},
		{"q-rare", Filter{Clearance: stix.TLPRed, Q: "host-4999.c2"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			cpu0 := cputime.Self()
			for b.Loop() {
				pg, err := l.Query(c.f, 100, "")
				if err != nil || len(pg.Alerts) == 0 {
					b.Fatal(err, len(pg.Alerts))
				}
			}
			cputime.Rate(b, float64(b.N), "queries", cpu0)
		})
	}
}
