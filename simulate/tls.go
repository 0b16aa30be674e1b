package simulate

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"

	"github.com/umbra-cti/umbra/telemetry/tlshello"
)

// helloProfile is the ClientHello a kind of client sends: the browsers on
// the workstations, the tooling on the build servers and the implant.
// Its JA3 and JA4 are computed once from bytes built by buildHello, so the
// ssl.log fingerprints and the packets in the pcap always agree.
type helloProfile struct {
	name      string
	grease    bool
	tls13     bool
	ciphers   []uint16
	exts      []uint16 // wire order; greaseExt marks a GREASE slot
	groups    []uint16
	sigAlgs   []uint16
	alpn      []string
	userAgent string
	ja3, ja4  string // filled by init
}

const greaseExt = 0x0a0a

var (
	profChrome = &helloProfile{
		name: "chrome", grease: true, tls13: true,
		ciphers: []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		exts:    []uint16{greaseExt, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 17513, greaseExt, 21},
		groups:  []uint16{29, 23, 24},
		sigAlgs: []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
		alpn:    []string{"h2", "http/1.1"},
		userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
			"Chrome/120.0.0.0 Safari/537.36",
	}
	profEdge = &helloProfile{
		name: "edge", grease: true, tls13: true,
		ciphers: profChrome.ciphers, exts: profChrome.exts, groups: profChrome.groups, sigAlgs: profChrome.sigAlgs,
		alpn: profChrome.alpn,
		userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
			"Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
	}
	profFirefox = &helloProfile{
		name: "firefox", tls13: true,
		ciphers:   []uint16{0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		exts:      []uint16{0, 23, 65281, 10, 11, 35, 16, 5, 34, 51, 43, 13, 45, 28},
		groups:    []uint16{29, 23, 24, 25, 256, 257},
		sigAlgs:   []uint16{0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201},
		alpn:      []string{"h2", "http/1.1"},
		userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
	}
	profCurl = &helloProfile{
		name: "curl", tls13: true,
		ciphers:   []uint16{0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff},
		exts:      []uint16{0, 11, 10, 35, 16, 22, 23, 49, 13, 43, 45, 51},
		groups:    []uint16{29, 23, 30, 25, 24},
		sigAlgs:   []uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601},
		alpn:      []string{"http/1.1"},
		userAgent: "git/2.43.0 (libcurl)",
	}
	// profImplant is the backdoor's own TLS stack: TLS 1.2 only, an old
	// cipher list, no ALPN — a JA3 no browser on the network shares.
	profImplant = &helloProfile{
		name:      "implant",
		ciphers:   []uint16{0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a, 0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x000a},
		exts:      []uint16{0, 10, 11, 13, 35, 23, 65281},
		groups:    []uint16{29, 23, 24},
		sigAlgs:   []uint16{0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202, 0x0601, 0x0603},
		userAgent: "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
	}
	helloProfiles = []*helloProfile{profChrome, profEdge, profFirefox, profCurl, profImplant}
)

// serverHello is what the server side answers, for JA3S.
type serverHello struct {
	version uint16
	cipher  uint16
	exts    []uint16
	ja3s    string
}

var (
	server13 = &serverHello{version: 0x0303, cipher: 0x1301, exts: []uint16{43, 51}}
	server12 = &serverHello{version: 0x0303, cipher: 0xc02f, exts: []uint16{65281, 11, 35, 23}}
)

func init() {
	for _, p := range helloProfiles {
		var h tlshello.ClientHello
		msg := p.build("www.example.com", [32]byte{}, 0x1a)
		// msg is a TLS record: 5-byte record header, 4-byte handshake header.
		if err := tlshello.ParseClientHello(msg[9:], &h); err != nil {
			panic(fmt.Sprintf("simulate: ClientHello profile %s does not parse: %v", p.name, err))
		}
		_, p.ja3 = h.JA3()
		p.ja4 = h.JA4(tlshello.TransportTCP)
	}
	for _, s := range []*serverHello{server13, server12} {
		sh := tlshello.ServerHello{Version: s.version, CipherSuite: s.cipher, Extensions: s.exts}
		_, s.ja3s = sh.JA3S()
	}
}

// build returns a complete TLS record holding the ClientHello for sni.
// random fills the client random and session id; grease picks the GREASE
// value (its high nibble), so the bytes vary per connection like a real
// browser's while the fingerprints stay put.
func (p *helloProfile) build(sni string, random [32]byte, grease byte) []byte {
	gv := uint16(grease&0xf0|0x0a)<<8 | uint16(grease&0xf0|0x0a)
	var b cryptobyte.Builder
	b.AddUint8(22)
	b.AddUint16(0x0301)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(1)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16(0x0303)
			b.AddBytes(random[:])
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
				if p.tls13 {
					b.AddBytes(random[:]) // a legacy session id, as TLS 1.3 clients send
				}
			})
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				if p.grease {
					b.AddUint16(gv)
				}
				for _, c := range p.ciphers {
					b.AddUint16(c)
				}
			})
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				greaseSlots := 0
				for _, e := range p.exts {
					if e == greaseExt {
						// Chrome's two GREASE extensions must differ.
						v := gv
						if greaseSlots > 0 {
							v ^= 0x1010
						}
						greaseSlots++
						b.AddUint16(v)
						b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
							if greaseSlots > 1 {
								b.AddUint8(0)
							}
						})
						continue
					}
					b.AddUint16(e)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { p.extBody(b, e, sni, gv) })
				}
			})
		})
	})
	return b.BytesOrPanic()
}

func (p *helloProfile) extBody(b *cryptobyte.Builder, ext uint16, sni string, gv uint16) {
	switch ext {
	case 0: // server_name
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint8(0)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(sni)) })
		})
	case 10: // supported_groups
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			if p.grease {
				b.AddUint16(gv)
			}
			for _, g := range p.groups {
				b.AddUint16(g)
			}
		})
	case 11: // ec_point_formats
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
	case 13: // signature_algorithms
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range p.sigAlgs {
				b.AddUint16(s)
			}
		})
	case 16: // ALPN
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, a := range p.alpn {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(a)) })
			}
		})
	case 5: // status_request: OCSP, no responder ids, no extensions
		b.AddUint8(1)
		b.AddUint16(0)
		b.AddUint16(0)
	case 43: // supported_versions
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			if p.grease {
				b.AddUint16(gv)
			}
			b.AddUint16(0x0304)
			b.AddUint16(0x0303)
		})
	case 45: // psk_key_exchange_modes: psk_dhe_ke
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(1) })
	case 51: // key_share: one x25519 share (plus Chrome's GREASE one)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			if p.grease {
				b.AddUint16(gv)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
			}
			b.AddUint16(29)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				var share [32]byte
				for i := range share {
					share[i] = byte(i*7 + 9)
				}
				b.AddBytes(share[:])
			})
		})
	case 27: // compress_certificate: brotli
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(2) })
	case 17513: // application_settings (ALPS): h2
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("h2")) })
		})
	case 28: // record_size_limit
		b.AddUint16(0x4001)
	case 34: // delegated_credentials
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range []uint16{0x0403, 0x0503, 0x0603, 0x0203} {
				b.AddUint16(s)
			}
		})
	case 21: // padding
		b.AddBytes(make([]byte, 32))
	}
	// 18 (SCT), 22, 23, 35, 49, 65281 (renegotiation_info wants one zero
	// byte) and the rest are empty or near-empty on a first connection.
	if ext == 65281 {
		b.AddUint8(0)
	}
}
