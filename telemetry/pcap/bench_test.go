package pcap

import (
	"bytes"
	"io"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/pcap/synth"
)

// benchRead decodes data b.N times and reports packets per second.
func benchRead(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var packets, events uint64
	var e event.Event
	cpu0 := cputime.Self()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench.pcap")
		if err != nil {
			b.Fatal(err)
		}
		for r.Next(&e) != io.EOF {
		}
		st := r.Stats()
		packets += st.Packets
		events += st.Events
	}
	// The machine is shared: wall time depends on the neighbours, CPU time
	// of this process much less, so report both.
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(packets)/(cputime.Self()-cpu0).Seconds(), "pkts/cpu-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkReaderMix is the typical link of synth.Mix: DNS lookups, TLS
// sessions with certificates and application data, HTTP with bodies.
func BenchmarkReaderMix(b *testing.B) {
	data := capture(b, synth.Ethernet, func(w *synth.Writer) error { return synth.Mix(w, 3000) })
	benchRead(b, data)
}

// BenchmarkReaderDNS is DNS only: every packet becomes an event.
func BenchmarkReaderDNS(b *testing.B) {
	data := capture(b, synth.Ethernet, func(w *synth.Writer) error {
		for i := range 20000 {
			name := "q" + string(rune('a'+i%26)) + ".example.com"
			if err := w.UDP(client4, dns4, uint16(1024+i), 53, synth.DNSQuery(uint16(i), name, layers.DNSTypeA)); err != nil {
				return err
			}
			if err := w.UDP(dns4, client4, 53, uint16(1024+i), synth.DNSResponse(uint16(i), name, server4)); err != nil {
				return err
			}
		}
		return nil
	})
	benchRead(b, data)
}
