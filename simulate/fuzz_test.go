package simulate

import (
	"bytes"
	"testing"

	"github.com/umbra-cti/umbra/telemetry/tlshello"
)

// FuzzClientHello builds every profile's ClientHello for arbitrary server
// names, GREASE values and randoms and parses it back with the repo's TLS
// parser: the name must survive and the fingerprints must not move, since
// ssl.log writes the profile's precomputed JA3/JA4 for every connection.
func FuzzClientHello(f *testing.F) {
	f.Add("login.microsoftonline.com", byte(0x1a), []byte("random"))
	f.Add("lpg.gamecdn-sync.net", byte(0xfa), []byte{})
	f.Add("", byte(0), []byte{0xff, 0x00})
	f.Add("xn--80ak6aa92e.com", byte(0x3c), make([]byte, 40))
	f.Fuzz(func(t *testing.T, sni string, grease byte, rnd []byte) {
		if len(sni) == 0 || len(sni) > 253 {
			t.Skip("server names are 1..253 bytes")
		}
		var random [32]byte
		copy(random[:], rnd)
		for _, p := range helloProfiles {
			msg := p.build(sni, random, grease)
			typ, _, payload, n, err := tlshello.ReadRecord(msg)
			if err != nil || typ != tlshello.RecordHandshake || n != len(msg) {
				t.Fatalf("%s: record: type %d, %d of %d bytes, %v", p.name, typ, n, len(msg), err)
			}
			htyp, body, _, err := tlshello.ReadHandshake(payload, len(payload))
			if err != nil || htyp != tlshello.TypeClientHello {
				t.Fatalf("%s: handshake type %d: %v", p.name, htyp, err)
			}
			var h tlshello.ClientHello
			if err := tlshello.ParseClientHello(body, &h); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			if h.ServerName != sni {
				t.Errorf("%s: server name %q, built with %q", p.name, h.ServerName, sni)
			}
			if _, ja3 := h.JA3(); ja3 != p.ja3 {
				t.Errorf("%s: JA3 %s, profile says %s", p.name, ja3, p.ja3)
			}
			if ja4 := h.JA4(tlshello.TransportTCP); ja4 != p.ja4 {
				t.Errorf("%s: JA4 %s, profile says %s", p.name, ja4, p.ja4)
			}
		}
	})
}

// FuzzReadTruth feeds arbitrary bytes to ReadTruth: it must not panic,
// every emitted line must be valid, and every line is either emitted or
// reported.
func FuzzReadTruth(f *testing.F) {
	f.Add([]byte(`{"uid":"CAEQp2tg2dLBX5Z9Nd","log":"dns","kind":"resume-lure","actor":"Winnti umbrella","indicator":"hr-talentbox.com","ts":"2018-03-06T09:49:15.205746Z"}` + "\n"))
	f.Add([]byte("{\"uid\":\"x\"}\n\nnot json\n{\"uid\":\"a\",\"log\":\"conn\",\"kind\":\"scan\",\"indicator\":\"1\",\"ts\":\"2018-01-01T00:00:00Z\"}"))
	f.Add([]byte("\x00\xff{{{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		emitted := 0
		bad, err := ReadTruth(bytes.NewReader(data), "fuzz", func(tr Truth) error {
			if e := tr.check(); e != nil {
				t.Fatalf("emitted an invalid line: %v", e)
			}
			emitted++
			return nil
		})
		if err != nil {
			return // a line longer than the scanner allows
		}
		lines := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		if emitted+len(bad) != lines {
			t.Fatalf("%d lines, %d emitted + %d bad", lines, emitted, len(bad))
		}
	})
}
