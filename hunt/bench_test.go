package hunt

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/match/synth"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/simulate"
)

// benchScenario generates the simulated studio's Zeek logs once per
// process (UMBRA_BENCH_HOSTS and UMBRA_BENCH_DAYS size it; 50 and 7 by
// default) and returns the zeek directory and the number of records.
func benchScenario(b *testing.B) (string, int64) {
	b.Helper()
	hosts, days := envInt("UMBRA_BENCH_HOSTS", 50), envInt("UMBRA_BENCH_DAYS", 7)
	dir := filepath.Join(os.TempDir(), "umbra-hunt-bench-"+itoa(hosts)+"x"+itoa(days))
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		sum, err := simulate.Generate(context.Background(), simulate.Options{Out: dir, Hosts: hosts, Days: days, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "done"), []byte(itoa(int(sum.Events()-sum.SignIns))), 0o644)
	}
	n, _ := os.ReadFile(filepath.Join(dir, "done"))
	return filepath.Join(dir, "zeek"), int64(atoi(string(n)))
}

func envInt(name string, def int) int {
	if v := atoi(os.Getenv(name)); v > 0 {
		return v
	}
	return def
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// BenchmarkIngestScenario is `umbra ingest` without the CLI: the
// scenario's Zeek logs decoded, stored (with the fsyncs and segment cuts)
// and matched against an empty snapshot.
//
// UMBRA_BENCH_INGEST_INDICATORS=1 matches against a snapshot of a million
// synthetic indicators (match/synth) instead of an empty one, as an
// ingest with a full intel store does.
func BenchmarkIngestScenario(b *testing.B) {
	zeek, records := benchScenario(b)
	empty, _ := match.Build(nil, nil)
	if os.Getenv("UMBRA_BENCH_INGEST_INDICATORS") == "1" {
		empty, _ = match.Build(synth.Indicators(synth.Million, 1), nil)
	}
	var cpu time.Duration
	var events int64
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		mem, err := memory.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cputime.Self()
		st, err := Ingest(context.Background(), mem, empty, []string{zeek}, IngestOptions{})
		if err == nil {
			err = mem.Close()
		}
		cpu += cputime.Self() - c0
		if err != nil {
			b.Fatal(err)
		}
		events += st.Events
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	if events != records*int64(b.N) {
		b.Fatalf("stored %d events, the scenario has %d records a run", events, records)
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(events), "cpu-ns/event")
}

// BenchmarkPivots runs each pivot over the stored scenario.
func BenchmarkPivots(b *testing.B) {
	zeek, _ := benchScenario(b)
	dir := b.TempDir()
	mem, err := memory.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer mem.Close()
	empty, _ := match.Build(nil, nil)
	ctx := context.Background()
	if _, err := Ingest(ctx, mem, empty, []string{zeek}, IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	org, _ := simulate.NewOrg(envInt("UMBRA_BENCH_HOSTS", 50))
	p0 := org.Hosts[org.Patient0].Addr
	mid := mem.Stats().First.Add(mem.Stats().Last.Sub(mem.Stats().First) / 2)
	for _, bc := range []struct {
		name string
		fn   func() error
	}{
		{"talked-to-domain", func() error { _, err := TalkedTo(ctx, mem, "gamecdn-sync.net", Range{}); return err }},
		{"talked-to-ip", func() error { _, err := TalkedTo(ctx, mem, "45.142.214.9", Range{}); return err }},
		{"talked-to-popular", func() error { _, err := TalkedTo(ctx, mem, "microsoft.com", Range{}); return err }},
		{"resolved-to", func() error {
			_, err := ResolvedTo(ctx, mem, netip.MustParseAddr("45.142.214.9"), Range{})
			return err
		}},
		{"seen", func() error { _, err := Seen(ctx, mem, "hr-talentbox.com"); return err }},
		{"around", func() error { _, err := Around(ctx, mem, p0, mid, time.Hour, 0); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ss memory.ScanStats
			ctx = WithScanStats(context.Background(), &ss)
			c0 := cputime.Self()
			for b.Loop() {
				if err := bc.fn(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cputime.Self()-c0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(ss.Segments)/float64(b.N), "segments/op")
			b.ReportMetric(float64(ss.Decoded)/float64(b.N), "events/op")
		})
	}
}

// BenchmarkRetroHunt runs hunt.Run over the stored scenario with a
// snapshot of the scenario's infrastructure plus 100,000 addresses and
// names that never occur, with one and with two workers. No segment is
// skipped by value (the hunt is given no Values), as for a hunt whose
// snapshot is too large for the statistics to exclude anything.
func BenchmarkRetroHunt(b *testing.B) {
	zeek, records := benchScenario(b)
	dir := b.TempDir()
	mem, err := memory.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer mem.Close()
	empty, _ := match.Build(nil, nil)
	ctx := context.Background()
	if _, err := Ingest(ctx, mem, empty, []string{zeek}, IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	infra, _ := simulate.Infrastructure()
	var inds []indicator.Indicator
	for _, in := range infra {
		if t, v, err := indicator.Detect(in.Value); err == nil {
			inds = append(inds, indicator.Indicator{Type: t, Value: v, Subdomains: t == indicator.Domain})
		}
	}
	for i := range 50000 {
		inds = append(inds, indicator.Indicator{Type: indicator.IPv4, Value: netip.AddrFrom4([4]byte{100, 64 + byte(i>>16), byte(i >> 8), byte(i)}).String()},
			indicator.Indicator{Type: indicator.Domain, Value: "n" + strconv.Itoa(i) + ".never-seen.example", Subdomains: true})
	}
	snap, _ := match.Build(inds, nil)
	defer func(w int) { huntWorkers = w }(huntWorkers)
	var want int
	for _, w := range []int{1, 2} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) {
			huntWorkers = w
			c0 := cputime.Self()
			var hits int
			for b.Loop() {
				out, _, err := Run(ctx, mem, snap, Options{})
				if err != nil {
					b.Fatal(err)
				}
				hits = len(out)
			}
			if want == 0 {
				want = hits
			} else if hits != want {
				b.Fatalf("%d hits with %d workers, %d with one", hits, w, want)
			}
			events := float64(records) * float64(b.N)
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64((cputime.Self()-c0).Nanoseconds())/events, "cpu-ns/event")
		})
	}
}
