package memory

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	_ "modernc.org/sqlite"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// benchEvents returns n generated events, made once per process and size.
var benchCache = map[string][]event.Event{}

func benchEvents(n int, connOnly bool) []event.Event {
	key := fmt.Sprint(n, connOnly)
	if evs, ok := benchCache[key]; ok {
		return evs
	}
	gen := newTraffic(42, day0)
	evs := make([]event.Event, 0, n)
	var e event.Event
	for len(evs) < n {
		gen.next(&e)
		if connOnly && e.Kind != event.KindConn {
			continue
		}
		evs = append(evs, e.Clone())
	}
	benchCache[key] = evs
	return evs
}

// cpuTime is the CPU time (user and system) this process has used: on a
// shared machine it measures the work, where wall time measures the queue.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time an event took and the events a CPU-second.
func reportCPU(b *testing.B, cpu time.Duration, events int64) {
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(events), "cpu-ns/event")
	b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
}

// tsvSizes returns the bytes of evs as Zeek TSV, and gzip -6 of it.
func tsvSizes(evs []event.Event) (plain, gz int64) {
	gzc := &countingWriter{w: io.Discard}
	zw, _ := gzip.NewWriterLevel(gzc, 6)
	pc := &countingWriter{w: zw}
	w := bufio.NewWriter(pc)
	for i := range evs {
		writeTSV(w, &evs[i])
	}
	w.Flush()
	zw.Close()
	return pc.n, gzc.n
}

// benchSegmentEvents makes the 500k-event benchmarks write four segments,
// so the background writer overlaps with Append as in a long ingest.
const benchSegmentEvents = 125_000

func ingest(b *testing.B, dir string, evs []event.Event) *Store {
	s, err := OpenOptions(dir, Options{SegmentEvents: benchSegmentEvents})
	if err != nil {
		b.Fatal(err)
	}
	for i := range evs {
		if err := s.Append(&evs[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkIngest measures Append of every event plus the Flush that makes
// them durable, and the bytes an event takes next to the Zeek TSV of the
// same events and gzip -6 of that TSV.
func BenchmarkIngest(b *testing.B) {
	for _, tc := range []struct {
		name     string
		connOnly bool
	}{{"mixed", false}, {"conn", true}} {
		b.Run(tc.name, func(b *testing.B) {
			evs := benchEvents(500_000, tc.connOnly)
			plain, gz := tsvSizes(evs)
			var st Stats
			var cpu time.Duration
			for b.Loop() {
				c0 := cpuTime()
				dir := b.TempDir()
				s := ingest(b, dir, evs)
				st = s.Stats()
				s.Close()
				cpu += cpuTime() - c0
				os.RemoveAll(dir)
			}
			reportCPU(b, cpu, int64(len(evs)*b.N))
			n := float64(len(evs))
			b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(st.BytesPerEvent, "B/event")
			b.ReportMetric(float64(plain)/n, "tsv-B/event")
			b.ReportMetric(float64(gz)/n, "gzip-B/event")
		})
	}
}

// BenchmarkScan decodes every stored event with two workers.
func BenchmarkScan(b *testing.B) {
	evs := benchEvents(500_000, false)
	s := ingest(b, b.TempDir(), evs)
	defer s.Close()
	var n int64
	c0 := cpuTime()
	for b.Loop() {
		st, err := s.Scan(context.Background(), Filter{Workers: 2}, func(*event.Event) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		n += st.Events
	}
	reportCPU(b, cpuTime()-c0, n)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDstInSet asks one question of the same events stored in the
// memory and in SQLite with an index: which events went to one of 1,000
// addresses? "common" draws the set from the destinations (most events
// match); "rare" is what a hunt usually sees: ten addresses that occur
// once or twice each and 990 that never occur.
func BenchmarkDstInSet(b *testing.B) {
	evs := benchEvents(500_000, false)
	count := map[netip.Addr]int{}
	for i := range evs {
		count[evs[i].DstIP]++
	}
	common := map[netip.Addr]bool{}
	for i := 0; len(common) < 1000; i += 97 {
		common[evs[i%len(evs)].DstIP] = true
	}
	rare := map[netip.Addr]bool{}
	for a, n := range count {
		if n <= 2 && len(rare) < 10 {
			rare[a] = true
		}
	}
	for i := 0; len(rare) < 1000; i++ {
		rare[netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})] = true // benchmarking range, never generated
	}
	b.Run("common", func(b *testing.B) { dstInSet(b, evs, common) })
	b.Run("rare", func(b *testing.B) { dstInSet(b, evs, rare) })
}

func dstInSet(b *testing.B, evs []event.Event, set map[netip.Addr]bool) {
	values := make([]string, 0, len(set))
	for a := range set {
		values = append(values, a.String())
	}
	want := 0
	for i := range evs {
		if set[evs[i].DstIP] {
			want++
		}
	}
	b.Run("umbra", func(b *testing.B) {
		s := ingest(b, b.TempDir(), evs)
		defer s.Close()
		for b.Loop() {
			var got atomic.Int64
			_, err := s.Scan(context.Background(), Filter{Values: values}, func(e *event.Event) error {
				if set[e.DstIP] {
					got.Add(1)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if int(got.Load()) != want {
				b.Fatalf("%d events, want %d", got.Load(), want)
			}
		}
		b.ReportMetric(float64(s.Stats().Bytes), "disk-bytes")
		b.ReportMetric(float64(want), "matches")
	})
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "events.db")
		db := sqliteLoad(b, path, evs)
		defer db.Close()
		fi, _ := os.Stat(path)
		for b.Loop() {
			got := sqliteDstInSet(b, db, values)
			if got != want {
				b.Fatalf("%d rows, want %d", got, want)
			}
		}
		b.ReportMetric(float64(fi.Size()), "disk-bytes")
		b.ReportMetric(float64(want), "matches")
	})
}

func sqliteLoad(b *testing.B, path string, evs []event.Event) *sql.DB {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE events(ts INTEGER, uid TEXT, kind INTEGER, proto INTEGER,
		src BLOB, dst BLOB, sport INTEGER, dport INTEGER, domain TEXT, sni TEXT, host TEXT,
		orig_bytes INTEGER, resp_bytes INTEGER)`); err != nil {
		b.Fatal(err)
	}
	tx, _ := db.Begin()
	st, err := tx.Prepare(`INSERT INTO events VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range evs {
		e := &evs[i]
		src, dst := e.SrcIP.As16(), e.DstIP.As16()
		if _, err := st.Exec(e.Time.UnixNano(), e.UID, e.Kind, e.Proto, src[:], dst[:], e.SrcPort, e.DstPort,
			e.Domain, e.SNI, e.Host, e.OrigBytes, e.RespBytes); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`CREATE INDEX events_dst ON events(dst)`); err != nil {
		b.Fatal(err)
	}
	return db
}

func sqliteDstInSet(b *testing.B, db *sql.DB, values []string) int {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS wanted(a BLOB PRIMARY KEY)`)
	conn.ExecContext(ctx, `DELETE FROM wanted`)
	for _, v := range values {
		a := netip.MustParseAddr(v).As16()
		if _, err := conn.ExecContext(ctx, `INSERT INTO wanted VALUES(?)`, a[:]); err != nil {
			b.Fatal(err)
		}
	}
	rows, err := conn.QueryContext(ctx, `SELECT e.ts, e.uid, e.kind, e.src, e.dst, e.sport, e.dport, e.domain, e.sni, e.host
		FROM wanted w JOIN events e ON e.dst = w.a`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	n := 0
	var (
		ts                int64
		uid, dom, sni, h  string
		kind, sport, dprt int
		src, dst          []byte
	)
	for rows.Next() {
		if err := rows.Scan(&ts, &uid, &kind, &src, &dst, &sport, &dprt, &dom, &sni, &h); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkSQLiteIngest loads the same events into SQLite, for the ingest
// comparison.
func BenchmarkSQLiteIngest(b *testing.B) {
	evs := benchEvents(500_000, false)
	for b.Loop() {
		dir := b.TempDir()
		db := sqliteLoad(b, filepath.Join(dir, "events.db"), evs)
		db.Close()
		os.RemoveAll(dir)
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkScanLarge ingests UMBRA_BENCH_SCAN_EVENTS generated events
// (default 20M; the hunt target is 100M in 30 s) and times full scans of
// them with two workers. Ingest is not timed.
func BenchmarkScanLarge(b *testing.B) {
	n := 20_000_000
	if v := os.Getenv("UMBRA_BENCH_SCAN_EVENTS"); v != "" {
		fmt.Sscan(v, &n)
	}
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	gen := newTraffic(43, day0)
	var e event.Event
	for range n {
		gen.next(&e)
		if err := s.Append(&e); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	st := s.Stats()
	var events int64
	c0 := cpuTime()
	for b.Loop() {
		ss, err := s.Scan(context.Background(), Filter{Workers: 2}, func(*event.Event) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		events += ss.Events
	}
	reportCPU(b, cpuTime()-c0, events)
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(st.Segments), "segments")
	b.ReportMetric(st.BytesPerEvent, "B/event")
}

// BenchmarkEncodeLevel encodes one segment of generated traffic at the
// zstd level of ingest (default) and of compaction (better), and the
// fastest level for reference: the CPU an event costs and its size.
func BenchmarkEncodeLevel(b *testing.B) {
	for _, tc := range []struct {
		name     string
		connOnly bool
	}{{"mixed", false}, {"conn", true}} {
		evs := benchEvents(500_000, tc.connOnly)
		var bl builder
		for i := range evs {
			bl.add(&evs[i], evs[i].Time.UnixNano())
		}
		for _, l := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression} {
			b.Run(tc.name+"/"+l.String(), func(b *testing.B) {
				enc, _ := newEncoder(l)
				defer enc.Close()
				var eb encBuf
				var file []byte
				c0 := cpuTime()
				for b.Loop() {
					file, _ = bl.encodeBuf(enc, &eb)
				}
				reportCPU(b, cpuTime()-c0, int64(len(evs)*b.N))
				b.ReportMetric(float64(len(file))/float64(len(evs)), "B/event")
			})
		}
	}
}

// BenchmarkRareOverMonth is the usual retro-hunt: 1,000 new indicator
// addresses against a month of history (30 days of 20k events), where
// ten of them were contacted on one day only. The memory reads only the
// segments whose statistics admit a value; SQLite answers from its index.
func BenchmarkRareOverMonth(b *testing.B) {
	var evs []event.Event
	gen := newTraffic(44, day0)
	var e event.Event
	for d := range 30 {
		gen.now = day0.Add(time.Duration(d) * 24 * time.Hour)
		for i := range 20_000 {
			gen.next(&e)
			if d == 17 && i%2000 == 0 {
				e.DstIP = netip.AddrFrom4([4]byte{203, 0, 113, byte(i / 2000)}) // the campaign's servers
			}
			evs = append(evs, e.Clone())
		}
	}
	set := map[netip.Addr]bool{}
	for i := range 10 {
		set[netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})] = true
	}
	for i := 0; len(set) < 1000; i++ {
		set[netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})] = true
	}
	values := make([]string, 0, len(set))
	for a := range set {
		values = append(values, a.String())
	}
	want := 0
	for i := range evs {
		if set[evs[i].DstIP] {
			want++
		}
	}
	b.Run("umbra", func(b *testing.B) {
		s := ingest(b, b.TempDir(), evs)
		defer s.Close()
		var st ScanStats
		for b.Loop() {
			var got atomic.Int64
			var err error
			st, err = s.Scan(context.Background(), Filter{Values: values}, func(e *event.Event) error {
				if set[e.DstIP] {
					got.Add(1)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if int(got.Load()) != want {
				b.Fatalf("%d events, want %d", got.Load(), want)
			}
		}
		b.ReportMetric(float64(st.Segments), "segments-read")
		b.ReportMetric(float64(st.SkippedValues), "segments-skipped")
		b.ReportMetric(float64(want), "matches")
	})
	b.Run("sqlite", func(b *testing.B) {
		db := sqliteLoad(b, filepath.Join(b.TempDir(), "events.db"), evs)
		defer db.Close()
		for b.Loop() {
			if got := sqliteDstInSet(b, db, values); got != want {
				b.Fatalf("%d rows, want %d", got, want)
			}
		}
		b.ReportMetric(float64(want), "matches")
	})
}
