package eve

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// BenchmarkReader decodes the good records of the fixture (every event
// type) repeated to about 4 MB.
func BenchmarkReader(b *testing.B) {
	fixture, err := os.ReadFile("testdata/eve.json")
	if err != nil {
		b.Fatal(err)
	}
	good := bytes.Join(bytes.Split(fixture, []byte("\n"))[:16], []byte("\n"))
	good = append(good, '\n')
	log := bytes.Repeat(good, 4<<20/len(good))
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	var e event.Event
	for b.Loop() {
		r := NewReader(bytes.NewReader(log), "bench")
		for {
			err := r.Next(&e)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
