// Package readbench times an indicator-list reader the way an import runs
// it: read, normalise and convert every record to STIX, either in one
// goroutine or in the two stages an importer naturally runs on two cores.
// The CSV and plain-text readers' benchmarks share it, so their figures
// are measured the same way.
package readbench

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/cputime"
)

// Read reads one list from r, calling emit for every record.
type Read func(r io.Reader, emit func(indicator.Record) error) error

// Serial reads data (rows records) and converts each record as it comes.
func Serial(b *testing.B, rows int, data []byte, read Read) {
	opts := indicator.STIXOptions{Time: time.Now()}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := cputime.Self()
	for i := 0; i < b.N; i++ {
		err := read(bytes.NewReader(data), func(r indicator.Record) error {
			_, err := indicator.ToSTIX(r, opts)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cputime.Rate(b, float64(rows)*float64(b.N), "indicators", cpu0)
}

// Pipelined is Serial with the reader (read, normalise, de-duplicate) in
// one goroutine and ToSTIX in another, handing records over in batches so
// the channel costs little.
func Pipelined(b *testing.B, rows int, data []byte, read Read) {
	const batchSize = 512
	opts := indicator.STIXOptions{Time: time.Now()}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := cputime.Self()
	for i := 0; i < b.N; i++ {
		batches := make(chan []indicator.Record, 8)
		done := make(chan error, 1)
		go func() {
			var err error
			for batch := range batches {
				for _, r := range batch {
					if _, e := indicator.ToSTIX(r, opts); e != nil && err == nil {
						err = e
					}
				}
			}
			done <- err
		}()
		batch := make([]indicator.Record, 0, batchSize)
		err := read(bytes.NewReader(data), func(r indicator.Record) error {
			batch = append(batch, r)
			if len(batch) == batchSize {
				batches <- batch
				batch = make([]indicator.Record, 0, batchSize)
			}
			return nil
		})
		batches <- batch
		close(batches)
		if e := <-done; err == nil {
			err = e
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	cputime.Rate(b, float64(rows)*float64(b.N), "indicators", cpu0)
}
