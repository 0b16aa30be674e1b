package tlshello

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// helloSpec describes a ClientHello to build byte by byte.
type helloSpec struct {
	version  uint16
	ciphers  []uint16
	exts     []uint16 // extension order; bodies come from the fields below
	sni      string
	alpn     []string
	versions []uint16
	groups   []uint16
	formats  []uint8
	sigalgs  []uint16
}

// build returns the ClientHello handshake body (after the 4-byte header).
func (s helloSpec) build() []byte {
	var b cryptobyte.Builder
	b.AddUint16(s.version)
	b.AddBytes(make([]byte, 32))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{1, 2, 3, 4}) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range s.ciphers {
			b.AddUint16(c)
		}
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range s.exts {
			b.AddUint16(e)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				switch e {
				case extServerName:
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						b.AddUint8(0)
						b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(s.sni)) })
					})
				case extALPN:
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						for _, p := range s.alpn {
							b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
						}
					})
				case extSupportedVersions:
					b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
						for _, v := range s.versions {
							b.AddUint16(v)
						}
					})
				case extSupportedGroups, extSignatureAlgorithms:
					list := s.groups
					if e == extSignatureAlgorithms {
						list = s.sigalgs
					}
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						for _, v := range list {
							b.AddUint16(v)
						}
					})
				case extECPointFormats:
					b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.formats) })
				}
			})
		}
	})
	return b.BytesOrPanic()
}

// record wraps a handshake body in a handshake header and one TLS record.
func record(typ uint8, body []byte) []byte {
	msg := append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{RecordHandshake, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// specExample is the ClientHello of the JA4 specification's worked example
// (FoxIO technical_details/JA4.md): 15 ciphers, 16 extensions, ALPN h2,
// TLS 1.3 in supported_versions, eight signature algorithms.
func specExample() helloSpec {
	return helloSpec{
		version: 0x0303,
		ciphers: []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		exts: []uint16{0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
			0x002b, 0xff01, 0x000b, 0x000a, 0x0015},
		sni:      "example.com",
		alpn:     []string{"h2", "http/1.1"},
		versions: []uint16{0x0304, 0x0303},
		groups:   []uint16{0x001d, 0x0017},
		formats:  []uint8{0},
		sigalgs:  []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
	}
}

func TestJA4SpecExample(t *testing.T) {
	var h ClientHello
	if err := ParseClientHello(specExample().build(), &h); err != nil {
		t.Fatal(err)
	}
	if got, want := h.JA4(TransportTCP), "t13d1516h2_8daaf6152771_e5627efa2ab1"; got != want {
		t.Errorf("JA4 = %s, want %s", got, want)
	}
	// With GREASE sprinkled everywhere the fingerprint must not change.
	s := specExample()
	s.ciphers = append([]uint16{0x2a2a}, s.ciphers...)
	s.exts = append([]uint16{0xdada}, s.exts...)
	s.versions = append([]uint16{0x7a7a}, s.versions...)
	s.sigalgs = append([]uint16{0x4a4a}, s.sigalgs...)
	if err := ParseClientHello(s.build(), &h); err != nil {
		t.Fatal(err)
	}
	if got, want := h.JA4(TransportQUIC), "q13d1516h2_8daaf6152771_e5627efa2ab1"; got != want {
		t.Errorf("JA4 with GREASE = %s, want %s", got, want)
	}
}

func TestJA4NoSignatureAlgorithms(t *testing.T) {
	// The spec's second vector: the same extension list hashed without the
	// signature-algorithm suffix gives 6d807ffa2a79.
	s := specExample()
	s.sigalgs = nil
	var h ClientHello
	if err := ParseClientHello(s.build(), &h); err != nil {
		t.Fatal(err)
	}
	if got := h.JA4(TransportTCP); !strings.HasSuffix(got, "_6d807ffa2a79") {
		t.Errorf("JA4 = %s, want suffix _6d807ffa2a79", got)
	}
}

func TestJA4EdgeCases(t *testing.T) {
	cases := []struct {
		name string
		spec helloSpec
		want string
	}{
		{"no sni no alpn no exts, tls1.2", helloSpec{version: 0x0303, ciphers: []uint16{0x002f}},
			"t12i010000_"},
		{"empty cipher list", helloSpec{version: 0x0301, exts: []uint16{0x000b}, formats: []uint8{0}},
			"t10i000100_000000000000_"},
		{"alpn non-alnum uses hex", helloSpec{version: 0x0303, ciphers: []uint16{1}, exts: []uint16{0x0010}, alpn: []string{"\xab\xcd"}},
			"t12i0101ad_"},
		{"alpn one char", helloSpec{version: 0x0303, ciphers: []uint16{1}, exts: []uint16{0x0010}, alpn: []string{"x"}},
			"t12i0101xx_"},
		{"alpn mixed", helloSpec{version: 0x0303, ciphers: []uint16{1}, exts: []uint16{0x0010}, alpn: []string{"0\xab\xcd1"}},
			"t12i010101_"},
		{"ssl3", helloSpec{version: 0x0300, ciphers: []uint16{1}}, "ts3i010000_"},
		{"unknown version", helloSpec{version: 0x0303, ciphers: []uint16{1}, exts: []uint16{0x002b}, versions: []uint16{0x7f1c}}, "t00i0101"},
	}
	for _, c := range cases {
		var h ClientHello
		if err := ParseClientHello(c.spec.build(), &h); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := h.JA4(TransportTCP)
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: JA4 = %s, want prefix %s", c.name, got, c.want)
		}
		if len(got) != len("t13d1516h2_8daaf6152771_e5627efa2ab1") {
			t.Errorf("%s: JA4 %q has wrong length", c.name, got)
		}
	}
	// Only SNI and ALPN as extensions: the sorted list is empty -> zeros.
	var h ClientHello
	s := helloSpec{version: 0x0303, ciphers: []uint16{1}, exts: []uint16{0, 0x10}, sni: "a", alpn: []string{"h2"}}
	if err := ParseClientHello(s.build(), &h); err != nil {
		t.Fatal(err)
	}
	if got := h.JA4(TransportTCP); !strings.HasSuffix(got, "_000000000000") || !strings.HasPrefix(got, "t12d0102h2_") {
		t.Errorf("sni+alpn only: JA4 = %s", got)
	}
}

func TestJA3(t *testing.T) {
	s := specExample()
	s.ciphers = append([]uint16{0x0a0a}, s.ciphers...)
	s.exts = append([]uint16{0x1a1a}, s.exts...)
	s.groups = []uint16{0x2a2a, 0x001d, 0x0017}
	var h ClientHello
	if err := ParseClientHello(s.build(), &h); err != nil {
		t.Fatal(err)
	}
	str, hash := h.JA3()
	// Written out by hand from specExample, in decimal, GREASE removed.
	want := "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53," +
		"27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23,0"
	if str != want {
		t.Errorf("JA3 string\n got %s\nwant %s", str, want)
	}
	sum := md5.Sum([]byte(want))
	if hash != hex.EncodeToString(sum[:]) || h.JA3Hash() != hash {
		t.Errorf("JA3 hash %s / %s is not the md5 of the string", hash, h.JA3Hash())
	}
	if h.ServerName != "example.com" || len(h.ALPN) != 2 || h.ALPN[1] != "http/1.1" {
		t.Errorf("sni %q alpn %q", h.ServerName, h.ALPN)
	}
}

func TestServerHelloJA3S(t *testing.T) {
	// ServerHello: TLS 1.2, cipher c02f (49199), extensions ff01, 0000, 000b,
	// 0010 (h2), 0017 — the JA3S string Suricata's tls-ja3s test expects
	// is built from the same kind of message.
	var b cryptobyte.Builder
	b.AddUint16(0x0303)
	b.AddBytes(make([]byte, 32))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {})
	b.AddUint16(0xc02f)
	b.AddUint8(0)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range []uint16{0xff01, 0x0000, 0x000b, 0x0010, 0x0017} {
			b.AddUint16(e)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				if e == 0x0010 {
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
						b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("h2")) })
					})
				}
			})
		}
	})
	var sh ServerHello
	if err := ParseServerHello(b.BytesOrPanic(), &sh); err != nil {
		t.Fatal(err)
	}
	str, hash := sh.JA3S()
	if str != "771,49199,65281-0-11-16-23" {
		t.Errorf("JA3S string %q", str)
	}
	// Suricata's tls-ja3s test pairs exactly this string with this hash.
	if hash != "5d79edf64e03689ff559a54e9d9487bc" || sh.JA3SHash() != hash {
		t.Errorf("JA3S hash %s", hash)
	}
	if sh.ALPN != "h2" {
		t.Errorf("ALPN %q", sh.ALPN)
	}
}

func TestRecordAndHandshakeFraming(t *testing.T) {
	body := specExample().build()
	rec := record(TypeClientHello, body)
	for cut := 0; cut < len(rec); cut++ {
		if _, _, _, _, err := ReadRecord(rec[:cut]); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("cut %d: err %v, want ErrIncomplete", cut, err)
		}
	}
	typ, _, payload, n, err := ReadRecord(rec)
	if err != nil || typ != RecordHandshake || n != len(rec) {
		t.Fatalf("ReadRecord: typ %d n %d err %v", typ, n, err)
	}
	mt, mb, _, err := ReadHandshake(payload, 1<<16)
	if err != nil || mt != TypeClientHello || len(mb) != len(body) {
		t.Fatalf("ReadHandshake: %d %d %v", mt, len(mb), err)
	}
	if _, _, _, err := ReadHandshake(payload, 10); err == nil || errors.Is(err, ErrIncomplete) {
		t.Errorf("oversized message: err %v, want a length error", err)
	}
	if _, _, _, _, err := ReadRecord([]byte("GET / HTTP/1.1\r\n")); err == nil || errors.Is(err, ErrIncomplete) {
		t.Errorf("HTTP as TLS: err %v, want a not-TLS error", err)
	}
}

func TestParseClientHelloTruncated(t *testing.T) {
	body := specExample().build()
	var h ClientHello
	for cut := 0; cut < len(body); cut++ {
		err := ParseClientHello(body[:cut], &h)
		// A cut exactly after the compression methods is a valid
		// extension-less hello; every other cut must be reported.
		if err == nil && cut != 2+32+1+4+2+30+1+1 {
			t.Fatalf("cut at %d of %d parsed without error", cut, len(body))
		}
	}
}

func TestCertificates(t *testing.T) {
	var b cryptobyte.Builder
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range []string{"leaf", "intermediate"} {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(c)) })
		}
	})
	body := b.BytesOrPanic()
	certs, err := Certificates(body, nil)
	if err != nil || len(certs) != 2 || string(certs[0]) != "leaf" || string(certs[1]) != "intermediate" {
		t.Fatalf("certs %q err %v", certs, err)
	}
	if _, err := Certificates(body[:len(body)-1], nil); err == nil {
		t.Error("truncated certificate list parsed without error")
	}
}

func TestIsGREASE(t *testing.T) {
	n := 0
	for v := 0; v <= 0xffff; v++ {
		if IsGREASE(uint16(v)) {
			n++
			if v&0xff != 0x0a|(v&0xf0) {
				t.Errorf("0x%04x reported as GREASE", v)
			}
		}
	}
	if n != 16 {
		t.Errorf("%d GREASE values, want 16", n)
	}
}

func BenchmarkClientHelloJA3JA4(b *testing.B) {
	body := specExample().build()
	var h ClientHello
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseClientHello(body, &h); err != nil {
			b.Fatal(err)
		}
		h.JA3()
		h.JA4(TransportTCP)
	}
}

// TestFingerprintCache: hellos that differ in any field either fingerprint
// reads get their own answers from one cache, repeated hellos get the
// same ones again, and a hello that only changes the server name (which
// neither fingerprint reads, beyond its presence) gets the base hello's.
func TestFingerprintCache(t *testing.T) {
	base := specExample()
	variants := []helloSpec{base}
	v := base
	v.ciphers = append([]uint16{0x1301}, base.ciphers...)
	variants = append(variants, v)
	v = base
	v.alpn = []string{"http/1.1"}
	variants = append(variants, v)
	v = base
	v.version = 0x0301
	variants = append(variants, v)
	c := NewFingerprintCache()
	seen := map[string]bool{}
	for round := range 3 {
		for i, spec := range variants {
			var h ClientHello
			if err := ParseClientHello(spec.build(), &h); err != nil {
				t.Fatal(err)
			}
			ja3, ja4 := c.Fingerprints(&h, TransportTCP)
			if ja3 != h.JA3Hash() || ja4 != h.JA4(TransportTCP) {
				t.Fatalf("round %d variant %d: cache %s %s, computed %s %s", round, i, ja3, ja4, h.JA3Hash(), h.JA4(TransportTCP))
			}
			if round == 0 {
				seen[ja3+ja4] = true
			}
		}
	}
	if len(seen) != len(variants) {
		t.Fatalf("%d variants gave %d distinct fingerprint pairs", len(variants), len(seen))
	}
	var h ClientHello
	other := base
	other.sni = "other.example.net"
	if err := ParseClientHello(other.build(), &h); err != nil {
		t.Fatal(err)
	}
	if ja3, ja4 := c.Fingerprints(&h, TransportTCP); !seen[ja3+ja4] || ja3 != h.JA3Hash() {
		t.Fatalf("another server name: %s %s, not the base hello's", ja3, ja4)
	}
	if err := ParseClientHello(base.build(), &h); err != nil {
		t.Fatal(err)
	}
	if ja3, ja4 := c.Fingerprints(&h, TransportQUIC); ja4 != h.JA4(TransportQUIC) || ja3 != h.JA3Hash() {
		t.Fatalf("QUIC: cache %s %s, computed %s", ja3, ja4, h.JA4(TransportQUIC))
	}
}
