package hunt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/match/synth"
	"github.com/umbra-cti/umbra/memory"
)

// BenchmarkHuntLarge is issue #5's retro-hunt target: a snapshot of 1M
// indicators (synth.Million: addresses, CIDR blocks, domains with their
// subdomains, hashes, URLs, JA3, user-agents) run over a large stored
// history, as `umbra hunt` runs it (every indicator value also handed to
// the memory for statistics skipping).
//
// UMBRA_BENCH_HUNT_EVENTS sizes the history (2M by default; the target is
// 100M). The store is generated once into UMBRA_BENCH_HUNT_DIR (by
// default under the temp dir) and reused while it holds that many events:
// filling 100M takes minutes. Events come from synth.Events in chunks of
// 1M, a millisecond apart; UMBRA_BENCH_HUNT_HITRATE (default 0.001) of
// them carry a value of the indicator set. The synthetic traffic is hard
// on the hunt: every connection goes to a fresh random public address and
// every TLS event has its own JA3, so each segment's dictionaries hold
// about one entry per event.
func BenchmarkHuntLarge(b *testing.B) {
	n := envInt("UMBRA_BENCH_HUNT_EVENTS", 2_000_000)
	rate := 0.001
	if v := os.Getenv("UMBRA_BENCH_HUNT_HITRATE"); v != "" {
		if _, err := fmt.Sscan(v, &rate); err != nil {
			b.Fatalf("UMBRA_BENCH_HUNT_HITRATE=%q: %v", v, err)
		}
	}
	dir := os.Getenv("UMBRA_BENCH_HUNT_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "umbra-hunt-large-"+itoa(n))
	}
	inds := synth.Indicators(synth.Million, 1)
	mem, err := fillLarge(b, dir, n, inds, rate)
	if err != nil {
		b.Fatal(err)
	}
	defer mem.Close()
	t0 := time.Now()
	snap, _ := match.Build(inds, nil)
	b.Logf("snapshot of %d indicators built in %s", len(inds), time.Since(t0).Round(time.Millisecond))
	values := make([]string, len(inds))
	for i := range inds {
		values[i] = inds[i].Value
	}
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cputime.Self()
	var hs Stats
	for b.Loop() {
		var hits []Hit
		hits, hs, err = Run(ctx, mem, snap, Options{Values: values})
		if err != nil {
			b.Fatal(err)
		}
		if len(hits) == 0 {
			b.Fatal("no hits: the planted values were not found")
		}
	}
	cputime.Rate(b, float64(hs.Decoded)*float64(b.N), "events", cpu0)
	b.ReportMetric(float64(hs.Hits), "hits")
	b.ReportMetric(float64(hs.Events), "built")
	b.ReportMetric(float64(hs.Segments), "segments")
}

// fillLarge opens the store in dir, filling it with n synthetic events
// unless it already holds them.
func fillLarge(b *testing.B, dir string, n int, inds []indicator.Indicator, rate float64) (*memory.Store, error) {
	if mem, err := memory.Open(dir); err == nil {
		if mem.Stats().Events == uint64(n) {
			return mem, nil
		}
		mem.Close()
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	mem, err := memory.Open(dir)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	const chunk = 1_000_000
	for c := 0; c*chunk < n; c++ {
		evs := synth.Events(inds, min(chunk, n-c*chunk), rate, uint64(c+1))
		shift := time.Duration(c) * chunk * time.Millisecond
		for i := range evs {
			evs[i].Time = evs[i].Time.Add(shift)
			if err := mem.Append(&evs[i]); err != nil {
				mem.Close()
				return nil, err
			}
		}
	}
	if err := mem.Flush(); err != nil {
		mem.Close()
		return nil, err
	}
	st := mem.Stats()
	b.Logf("stored %d events in %d segments, %.1f B/event, in %s", st.Events, st.Segments,
		st.BytesPerEvent, time.Since(t0).Round(time.Second))
	return mem, nil
}
