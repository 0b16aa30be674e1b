package zeek

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzByteIndexes checks the separator scan (the SSE2 one on amd64) and
// the word-at-a-time one every architecture can use against the obvious
// loop, for any input and separator: the indexes, the stop after max, and
// whether a backslash was seen.
func FuzzByteIndexes(f *testing.F) {
	f.Add([]byte("1.0\tC1\t10.0.0.1\t\t\t-\t(empty)\t"), byte('\t'))
	f.Add([]byte("\x89\x09\x08\x0a\xff\x00\x09\x09\x09\x09\x09\x09\x09\x09\x09"), byte(9))
	f.Add([]byte("a,b,,c"), byte(','))
	f.Add([]byte{0x80, 0, 0x7f, 0xff, 0x01, 0, 0, 0, 0x80}, byte(0))
	f.Add([]byte("0123456789abcdef\\x09\t"), byte('\t'))
	f.Add([]byte("\\\\\\"), byte('\\'))
	f.Fuzz(func(t *testing.T, b []byte, c byte) {
		want, wantEsc := obviousIndexes(b, c)
		if got, esc := appendByteIndexes(nil, b, c, len(b)); !slices.Equal(got, want) || esc != wantEsc {
			t.Fatalf("appendByteIndexes(%q, %q) = %v %v, want %v %v", b, c, got, esc, want, wantEsc)
		}
		for base := 0; base < len(b); base += 1024 {
			chunk := b[base:min(len(b), base+1024)]
			out := make([]int, len(chunk))
			k, esc := chunkIndexesWords(chunk, c, out, base)
			w, we := obviousIndexes(chunk, c)
			for i := range w {
				w[i] += base
			}
			if !slices.Equal(out[:k], w) || esc != we {
				t.Fatalf("chunkIndexesWords(%q, %q, base %d) = %v %v, want %v %v", chunk, c, base, out[:k], esc, w, we)
			}
		}
		// With a limit it stops once it has more than max, the first ones
		// right.
		max := len(want) / 2
		got, _ := appendByteIndexes(nil, b, c, max)
		if len(want) > max && (len(got) <= max || !slices.Equal(got, want[:len(got)])) {
			t.Fatalf("limited to %d: %v, want a prefix of %v longer than %d", max, got, want, max)
		}
	})
}

// obviousIndexes is the loop the separator scans must agree with.
func obviousIndexes(b []byte, c byte) (idx []int, esc bool) {
	for i, x := range b {
		if x == c {
			idx = append(idx, i)
		}
		esc = esc || x == '\\'
	}
	return idx, esc
}

// FuzzNumbers checks the hand-written IPv4 and count parsers against
// netip and strconv.
func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "255.255.255.255", "01.2.3.4", "1.2.3", "256.1.1.1", "1.2.3.4.5", "0.0.0.0",
		"18446744073709551615", "18446744073709551616", "99999999999999999999", "65535", "65536", "-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseIPv4([]byte(s))
		want, err := netip.ParseAddr(s)
		wantOK := err == nil && want.Is4()
		if ok != wantOK || ok && got != want {
			t.Fatalf("parseIPv4(%q) = %v %v, netip %v %v", s, got, ok, want, err)
		}
		if bits, ok := ipv4BitsGo([]byte(s)); ok != wantOK || ok && bits != binary.BigEndian.Uint32(want.AsSlice()) {
			t.Fatalf("ipv4BitsGo(%q) = %#x %v, netip %v %v", s, bits, ok, want, err)
		}
		// The inlined loops agree with parseUint, errors included.
		if p, err := parsePort([]byte(s)); func() bool {
			w, werr := parseUint([]byte(s), 65535)
			return (err == nil) != (werr == nil) || uint64(p) != w
		}() {
			t.Fatalf("parsePort(%q) = %d %v, parseUint disagrees", s, p, err)
		}
		if c, err := parseCount([]byte(s)); func() bool {
			w, werr := parseUint([]byte(s), 1<<64-1)
			return (err == nil) != (werr == nil) || c != w
		}() {
			t.Fatalf("parseCount(%q) = %d %v, parseUint disagrees", s, c, err)
		}
		for _, max := range []uint64{65535, 1<<64 - 1} {
			n, err := parseUint([]byte(s), max)
			wn, werr := strconv.ParseUint(s, 10, 64)
			if werr == nil && wn > max {
				werr = errors.New("out of range")
			}
			if len(s) > 20 {
				werr = errors.New("too long") // Zeek writes no leading zeros; longer is garbage
			}
			if (err == nil) != (werr == nil) || err == nil && n != wn {
				t.Fatalf("parseUint(%q, %d) = %d %v, strconv %d %v", s, max, n, err, wn, werr)
			}
		}
	})
}

// FuzzIPv6 holds parseIPv6 to netip: whatever it accepts, netip accepts
// as the same address, and it accepts every IPv6 address netip does that
// has neither a zone nor a dotted quad.
func FuzzIPv6(f *testing.F) {
	for _, s := range []string{"::", "::1", "1::", "2001:db8::1", "fe80::1%eth0", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:", "12345::", "0000:00:0::FFFF",
		"1:2:3:4:5:6:7", "::g", "1.2.3.4", ":::", "1:::2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseIPv6([]byte(s))
		want, err := netip.ParseAddr(s)
		if ok && (err != nil || got != want) {
			t.Fatalf("parseIPv6(%q) = %v, netip %v %v", s, got, want, err)
		}
		if !ok && err == nil && want.Is6() && !strings.ContainsAny(s, ".%") {
			t.Fatalf("parseIPv6(%q) refused what netip reads as %v", s, want)
		}
	})
}

// FuzzTime checks parseTime's eight-digits-at-a-time shortcut for Zeek's
// usual "1527163200.002383" against the digit loop that reads every form.
func FuzzTime(f *testing.F) {
	for _, s := range []string{"1527163200.002383", "1527163200.00238", "0000000000.000000", "9999999999.999999",
		"1527163200x002383", "152716320/.002383", "1527163200.:02383", "1527163200.0023830", "2018-05-24T12:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime([]byte(s))
		want, werr := parseTimeText([]byte(s))
		if (err == nil) != (werr == nil) || !got.Equal(want) || got.Location() != want.Location() {
			t.Fatalf("parseTime(%q) = %v %v, digit loop %v %v", s, got, err, want, werr)
		}
	})
}

// TestByteIndexesLong runs the separator scan over lines longer than its
// 1024-byte chunks, which the fuzzer seldom builds, against the obvious
// loop.
func TestByteIndexesLong(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(5000))
		density := rng.IntN(10) + 1
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(density) == 0 {
				b[i] = '\t'
			}
		}
		want, wantEsc := obviousIndexes(b, '\t')
		if got, esc := appendByteIndexes(nil, b, '\t', len(b)); !slices.Equal(got, want) || esc != wantEsc {
			t.Fatalf("%d bytes: %d separators found, want %d; backslash %v, want %v", len(b), len(got), len(want), esc, wantEsc)
		}
	}
}
