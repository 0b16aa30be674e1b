package simulate

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkGenerate measures generation throughput on a 200-host, 4-day
// studio (about 900k records), with one worker and with one per CPU,
// reporting records/s and MB/s.
func BenchmarkGenerate(b *testing.B) {
	if _, err := loadPKI(); err != nil { // the one-off key generation is not throughput
		b.Fatal(err)
	}
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var events uint64
			var bytes int64
			for b.Loop() {
				sum, err := Generate(context.Background(), Options{Out: b.TempDir(), Hosts: 200, Days: 4, Seed: 1, Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				events += sum.Events()
				bytes += sum.Bytes
			}
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(events)/secs, "events/s")
			b.ReportMetric(float64(bytes)/secs/1e6, "MB/s")
		})
	}
}

// BenchmarkClientHello measures building one ClientHello record.
func BenchmarkClientHello(b *testing.B) {
	var random [32]byte
	for b.Loop() {
		profChrome.build("login.microsoftonline.com", random, 0x3a)
	}
}
