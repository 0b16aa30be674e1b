package zeek

import (
	"slices"
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
