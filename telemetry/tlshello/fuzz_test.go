package tlshello

import (
	"testing"
)

func FuzzClientHello(f *testing.F) {
	f.Add(specExample().build())
	f.Add(helloSpec{version: 0x0301, ciphers: []uint16{0x0a0a, 5}, exts: []uint16{0x10}, alpn: []string{""}}.build())
	f.Add([]byte{3, 3})
	// One cache for the whole run: every hello the fuzzer makes is looked
	// up among the ones before it, and must get its own fingerprints.
	cache := NewFingerprintCache()
	f.Fuzz(func(t *testing.T, body []byte) {
		var h ClientHello
		if err := ParseClientHello(body, &h); err != nil {
			return
		}
		str, hash := h.JA3()
		if len(hash) != 32 || len(str) == 0 {
			t.Fatalf("JA3 %q %q", str, hash)
		}
		ja4 := h.JA4(TransportTCP)
		if len(ja4) != 36 {
			t.Fatalf("JA4 %q has length %d", ja4, len(ja4))
		}
		for _, tr := range []byte{TransportTCP, TransportQUIC} {
			want := h.JA4(tr)
			if c3, c4 := cache.Fingerprints(&h, tr); c3 != hash || c4 != want {
				t.Fatalf("cache gave %s %s, computed %s %s", c3, c4, hash, want)
			}
		}
	})
}

func FuzzServerHelloAndFraming(f *testing.F) {
	f.Add(record(TypeClientHello, specExample().build()))
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			_, _, payload, n, err := ReadRecord(b)
			if err != nil {
				return
			}
			if n <= 0 || n > len(b) {
				t.Fatalf("ReadRecord consumed %d of %d", n, len(b))
			}
			b = b[n:]
			for len(payload) > 0 {
				typ, body, m, err := ReadHandshake(payload, 1<<16)
				if err != nil {
					break
				}
				payload = payload[m:]
				switch typ {
				case TypeServerHello:
					var sh ServerHello
					if ParseServerHello(body, &sh) == nil {
						sh.JA3S()
					}
				case TypeCertificate:
					Certificates(body, nil)
				}
			}
		}
	})
}
