package match

import (
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gaissmai/bart"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match/synth"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// The million-indicator fixture is built once per benchmark binary.
var million struct {
	once   sync.Once
	inds   []indicator.Indicator
	snap   *Snapshot
	events []event.Event
}

func millionFixture(b *testing.B) (*Snapshot, []event.Event) {
	b.Helper()
	million.once.Do(func() {
		million.inds = synth.Indicators(synth.Million, 1)
		million.snap, _ = Build(million.inds, nil)
		million.events = synth.Events(million.inds, 1<<16, 0.01, 2)
	})
	return million.snap, million.events
}

// BenchmarkMatch is the line-rate target: a mostly-benign event mix
// against 1M indicators, at least 5M events/s per core, no allocations.
func BenchmarkMatch(b *testing.B) {
	s, events := millionFixture(b)
	hits := make([]Hit, 0, 64)
	total := 0
	defer lockThread()()
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), threadCPU()
	for i := 0; i < b.N; i++ {
		hits = s.MatchAppend(hits[:0], &events[i&(len(events)-1)])
		total += len(hits)
	}
	wall, cpu := time.Since(start), threadCPU()-cpu
	b.ReportMetric(float64(b.N)/wall.Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
	b.ReportMetric(float64(total)/float64(b.N), "hits/event")
}

// BenchmarkMatchKind splits BenchmarkMatch by event kind, to show which
// observables cost what.
func BenchmarkMatchKind(b *testing.B) {
	s, events := millionFixture(b)
	for _, k := range []event.Kind{event.KindConn, event.KindDNS, event.KindHTTP, event.KindTLS} {
		var evs []event.Event
		for i := range events {
			if events[i].Kind == k {
				evs = append(evs, events[i])
			}
		}
		b.Run(k.String(), func(b *testing.B) {
			hits := make([]Hit, 0, 64)
			b.ReportAllocs()
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				hits = s.MatchAppend(hits[:0], &evs[i%len(evs)])
			}
		})
	}
}

// BenchmarkSnapshotMemory reports the heap a 1M-indicator snapshot holds,
// per indicator (target: at most 150 bytes).
func BenchmarkSnapshotMemory(b *testing.B) {
	inds := synth.Indicators(synth.Million, 1)
	var perIndicator float64
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		s, _ := Build(inds, nil)
		after := heapInUse()
		perIndicator = float64(after-before) / float64(len(inds))
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perIndicator, "bytes/indicator")
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkBuild measures compiling 1M indicators into a snapshot.
func BenchmarkBuild(b *testing.B) {
	inds := synth.Indicators(synth.Million, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Build(inds, nil)
	}
	b.ReportMetric(float64(len(inds))*float64(b.N)/b.Elapsed().Seconds(), "indicators/s")
}

// BenchmarkExactAddr is why exact addresses live in a hash map and only
// CIDR blocks in bart: for 400k host routes the map is faster and smaller.
func BenchmarkExactAddr(b *testing.B) {
	inds := synth.Indicators(synth.Mix{IPv4: 400_000}, 1)
	probes := make([]netip.Addr, 1<<12)
	for i := range probes {
		if i%2 == 0 {
			probes[i] = netip.MustParseAddr(inds[i*7].Value)
		} else {
			probes[i] = netip.AddrFrom4([4]byte{byte(i), byte(i >> 4), 7, byte(i >> 8)})
		}
	}
	b.Run("bart", func(b *testing.B) {
		before := heapInUse()
		t := new(bart.Table[uint32])
		for i, in := range inds {
			a := netip.MustParseAddr(in.Value)
			t.Insert(netip.PrefixFrom(a, 32), uint32(i))
		}
		perAddr := float64(heapInUse()-before) / float64(len(inds))
		defer b.ReportMetric(perAddr, "bytes/addr") // after ResetTimer, which drops metrics
		b.ResetTimer()
		defer cpuPerOp(b)()
		n := 0
		for i := 0; i < b.N; i++ {
			if _, ok := t.Lookup(probes[i&(len(probes)-1)]); ok {
				n++
			}
		}
		runtime.KeepAlive(t)
	})
	b.Run("map", func(b *testing.B) {
		before := heapInUse()
		m := make(map[uint32]uint32, len(inds))
		for i, in := range inds {
			m[addr4Key(netip.MustParseAddr(in.Value))] = uint32(i)
		}
		perAddr := float64(heapInUse()-before) / float64(len(inds))
		defer b.ReportMetric(perAddr, "bytes/addr") // after ResetTimer, which drops metrics
		b.ResetTimer()
		defer cpuPerOp(b)()
		n := 0
		for i := 0; i < b.N; i++ {
			if _, ok := m[addr4Key(probes[i&(len(probes)-1)])]; ok {
				n++
			}
		}
		runtime.KeepAlive(m)
	})
}

// BenchmarkMissPath is why the bitmap and the filters exist:
// on the 1M snapshot almost every lookup misses, and this compares a miss
// answered by the maps (and bart) with one answered by the filters first
// (for IPv4 the bitmap, then the address filter). Probes are benign names
// and random public addresses.
func BenchmarkMissPath(b *testing.B) {
	s, _ := millionFixture(b)
	evs := synth.Events(nil, 1<<14, 0, 3)
	var names []string
	var addrs []netip.Addr
	for i := range evs {
		if evs[i].Domain != "" {
			names = append(names, evs[i].Domain)
		}
		addrs = append(addrs, evs[i].DstIP)
	}
	b.Run("domain/map", func(b *testing.B) {
		defer cpuPerOp(b)()
		n := 0
		for i := 0; i < b.N; i++ {
			if _, ok := s.domains[names[i%len(names)]]; ok {
				n++
			}
		}
	})
	b.Run("domain/filter+map", func(b *testing.B) {
		defer cpuPerOp(b)()
		n := 0
		for i := 0; i < b.N; i++ {
			name := names[i%len(names)]
			if s.filter.has(s.filter.hashString(indicator.Domain, name)) {
				if _, ok := s.domains[name]; ok {
					n++
				}
			}
		}
	})
	b.Run("ipv4/map+bart", func(b *testing.B) {
		defer cpuPerOp(b)()
		n := 0
		for i := 0; i < b.N; i++ {
			a := addrs[i%len(addrs)]
			if _, ok := s.addr4[addr4Key(a)]; ok {
				n++
			}
			if _, ok := s.cidrs.Lookup(a); ok {
				n++
			}
		}
	})
	b.Run("ipv4/bitmap+filter+map+bart", func(b *testing.B) {
		defer cpuPerOp(b)()
		n := 0
		for i := 0; i < b.N; i++ {
			a := addrs[i%len(addrs)]
			key := addr4Key(a)
			if !s.v4.has(key) {
				continue
			}
			blk, exact, cidr := s.addrs.v4(key)
			if blk.has(exact) {
				if _, ok := s.addr4[key]; ok {
					n++
				}
			}
			if blk.has(cidr) {
				if _, ok := s.cidrs.Lookup(a); ok {
					n++
				}
			}
		}
	})
}
