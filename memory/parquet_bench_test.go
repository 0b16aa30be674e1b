package memory

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// parquetRow is the same events flattened for parquet-go: the scalar
// columns a hunt reads, strings dictionary-encoded, times delta-encoded,
// addresses as 16 bytes.
type parquetRow struct {
	Time      int64      `parquet:"time,delta"`
	UID       string     `parquet:"uid,dict"`
	Sensor    string     `parquet:"sensor,dict"`
	Kind      int32      `parquet:"kind"`
	Proto     int32      `parquet:"proto"`
	SrcIP     [16]byte   `parquet:"src_ip"`
	DstIP     [16]byte   `parquet:"dst_ip"`
	SrcPort   int32      `parquet:"src_port"`
	DstPort   int32      `parquet:"dst_port"`
	OrigBytes int64      `parquet:"orig_bytes"`
	RespBytes int64      `parquet:"resp_bytes"`
	Domain    string     `parquet:"domain,dict,optional"`
	SNI       string     `parquet:"sni,dict,optional"`
	Host      string     `parquet:"host,dict,optional"`
	URI       string     `parquet:"uri,dict,optional"`
	UserAgent string     `parquet:"user_agent,dict,optional"`
	JA3       string     `parquet:"ja3,dict,optional"`
	JA3S      string     `parquet:"ja3s,dict,optional"`
	Answers   [][16]byte `parquet:"answers,list"`
}

// BenchmarkParquetIngest writes the events of BenchmarkIngest with
// parquet-go (zstd), for the choice of segment format: bytes an event and
// CPU time, next to BenchmarkIngest's figures.
func BenchmarkParquetIngest(b *testing.B) {
	for _, tc := range []struct {
		name     string
		connOnly bool
	}{{"mixed", false}, {"conn", true}} {
		b.Run(tc.name, func(b *testing.B) {
			evs := benchEvents(500_000, tc.connOnly)
			var size int64
			var cpu time.Duration
			rows := make([]parquetRow, 0, 4096)
			for b.Loop() {
				c0 := cpuTime()
				path := filepath.Join(b.TempDir(), "seg.parquet")
				f, err := os.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				w := parquet.NewGenericWriter[parquetRow](f, parquet.Compression(&zstd.Codec{Level: zstd.DefaultLevel}))
				for i := range evs {
					e := &evs[i]
					r := parquetRow{Time: e.Time.UnixNano(), UID: e.UID, Sensor: e.Sensor, Kind: int32(e.Kind), Proto: int32(e.Proto),
						SrcIP: e.SrcIP.As16(), DstIP: e.DstIP.As16(), SrcPort: int32(e.SrcPort), DstPort: int32(e.DstPort),
						OrigBytes: int64(e.OrigBytes), RespBytes: int64(e.RespBytes), Domain: e.Domain, SNI: e.SNI, Host: e.Host,
						URI: e.URI, UserAgent: e.UserAgent, JA3: e.JA3, JA3S: e.JA3S}
					for _, a := range e.Answers {
						r.Answers = append(r.Answers, a.As16())
					}
					rows = append(rows, r)
					if len(rows) == cap(rows) {
						if _, err := w.Write(rows); err != nil {
							b.Fatal(err)
						}
						rows = rows[:0]
					}
				}
				if _, err := w.Write(rows); err != nil {
					b.Fatal(err)
				}
				rows = rows[:0]
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				f.Sync()
				fi, _ := f.Stat()
				size = fi.Size()
				f.Close()
				cpu += cpuTime() - c0
			}
			reportCPU(b, cpu, int64(len(evs)*b.N))
			b.ReportMetric(float64(size)/float64(len(evs)), "B/event")
		})
	}
}
