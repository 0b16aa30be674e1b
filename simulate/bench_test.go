package simulate

import (
	"context"
	"testing"
)

// BenchmarkGenerate measures generation throughput on a 200-host, 2-day
// studio (about a million records), reporting records/s and MB/s.
func BenchmarkGenerate(b *testing.B) {
	if _, err := loadPKI(); err != nil { // the one-off key generation is not throughput
		b.Fatal(err)
	}
	var events uint64
	var bytes int64
	for b.Loop() {
		sum, err := Generate(context.Background(), Options{Out: b.TempDir(), Hosts: 200, Days: 2, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		events += sum.Events()
		bytes += sum.Bytes
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/secs, "events/s")
	b.ReportMetric(float64(bytes)/secs/1e6, "MB/s")
}

// BenchmarkClientHello measures building one ClientHello record.
func BenchmarkClientHello(b *testing.B) {
	var random [32]byte
	for b.Loop() {
		profChrome.build("login.microsoftonline.com", random, 0x3a)
	}
}
