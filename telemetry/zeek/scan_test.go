package zeek

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"testing"
)

// FuzzByteIndexes checks the word-at-a-time separator scan against the
// obvious loop, for any input and separator.
func FuzzByteIndexes(f *testing.F) {
	f.Add([]byte("1.0\tC1\t10.0.0.1\t\t\t-\t(empty)\t"), byte('\t'))
	f.Add([]byte("\x89\x09\x08\x0a\xff\x00\x09\x09\x09\x09\x09\x09\x09\x09\x09"), byte(9))
	f.Add([]byte("a,b,,c"), byte(','))
	f.Add([]byte{0x80, 0, 0x7f, 0xff, 0x01, 0, 0, 0, 0x80}, byte(0))
	f.Fuzz(func(t *testing.T, b []byte, c byte) {
		var want []int
		for i, x := range b {
			if x == c {
				want = append(want, i)
			}
		}
		if got := appendByteIndexes(nil, b, c, len(b)); !slices.Equal(got, want) {
			t.Fatalf("appendByteIndexes(%q, %q) = %v, want %v", b, c, got, want)
		}
		// With a limit it stops once it has more than max, the first ones
		// right.
		max := len(want) / 2
		got := appendByteIndexes(nil, b, c, max)
		if len(want) > max && (len(got) <= max || !slices.Equal(got, want[:len(got)])) {
			t.Fatalf("limited to %d: %v, want a prefix of %v longer than %d", max, got, want, max)
		}
	})
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
