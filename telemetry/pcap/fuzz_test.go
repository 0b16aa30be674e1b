package pcap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/pcap/synth"
)

// drain reads every event and fails on a non-EOF error that does not name
// the file, and on a reader that does not stop.
func drain(t *testing.T, data []byte) {
	r, err := NewReader(bytes.NewReader(data), "fuzz.pcap")
	if err != nil {
		return
	}
	var e event.Event
	for i := 0; ; i++ {
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil && !bytes.HasPrefix([]byte(err.Error()), []byte("fuzz.pcap: packet ")) {
			t.Fatalf("error without location: %v", err)
		}
		if i > 1<<20 {
			t.Fatal("reader does not stop")
		}
	}
}

// FuzzReader feeds whole files: headers, record lengths and packets.
func FuzzReader(f *testing.F) {
	cert := synth.SelfSigned(8010, "www.example.com")
	for _, link := range []synth.Link{synth.Ethernet, synth.QinQ, synth.SLL2, synth.RawIP} {
		f.Add(capture(f, link, func(w *synth.Writer) error { return session(w, client4, server4, cert, 300, true) }))
	}
	f.Add(capture(f, synth.Ethernet, func(w *synth.Writer) error { return fragmented(w, client6, 64) }))
	f.Fuzz(func(t *testing.T, data []byte) { drain(t, data) })
}

// FuzzPackets keeps the file framing valid and fuzzes only packet bytes,
// so the decoders, reassembly and application parsers get the mutations.
// The input is a list of packets, each prefixed by a 2-byte length.
func FuzzPackets(f *testing.F) {
	cert := synth.SelfSigned(8010, "www.example.com")
	seed := capture(f, synth.Ethernet, func(w *synth.Writer) error { return session(w, client4, server4, cert, 200, true) })
	f.Add(packetsOf(seed))
	seed6 := capture(f, synth.Ethernet, func(w *synth.Writer) error { return fragmented(w, client6, 64) })
	f.Add(packetsOf(seed6))
	f.Add(packetsOf(capture(f, synth.Ethernet, func(w *synth.Writer) error {
		return w.UDP(client4, dns4, 40000, 53, synth.DNSResponse(1, "a.example", server4, server6))
	})))
	f.Add(packetsOf(capture(f, synth.Ethernet, func(w *synth.Writer) error {
		return w.UDP(client4, server4, 50443, 443, sealInitial(f, unhex(f, rfcDCID), unhex(f, rfcHeader), unhex(f, rfcFrames)))
	})))
	f.Fuzz(func(t *testing.T, in []byte) {
		var file bytes.Buffer
		w, _ := synth.NewWriter(&file, synth.Ethernet)
		for len(in) >= 2 {
			n := int(binary.BigEndian.Uint16(in))
			in = in[2:]
			n = min(n, len(in))
			if err := w.Raw(in[:n]); err != nil {
				t.Fatal(err)
			}
			in = in[n:]
		}
		drain(t, file.Bytes())
	})
}

// packetsOf turns a classic pcap into FuzzPackets' input format.
func packetsOf(pcap []byte) []byte {
	var out []byte
	for off := 24; off+16 <= len(pcap); {
		n := int(binary.LittleEndian.Uint32(pcap[off+8:]))
		out = binary.BigEndian.AppendUint16(out, uint16(n))
		out = append(out, pcap[off+16:off+16+n]...)
		off += 16 + n
	}
	return out
}
