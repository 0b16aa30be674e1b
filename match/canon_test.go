package match

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

var canonSeeds = []string{
	"http://evil.example/gate.php?x=1", "https://evil.example/", "HTTP://evil.example/a", "http://Evil.example/a",
	"http://evil.example", "http://evil.example?x", "http://evil.example:80/a", "https://evil.example:8443/a",
	"http://evil.example/a#frag", " http://evil.example/a", "http://evil.example/a ", "http:///a", "ftp://x/y",
	"http://[2001:db8::1]/a", "http://evil.example/a\u00a0", "Www.Evil.Example.", "a..b", ".a", "a.", "a", "",
	"xn--bcher-kva.example", "evil.example..",
	// scanSuffixes reads eight bytes at a time: dots and capitals at and
	// across word boundaries, bytes above 0x7f.
	"abcdefg..xyz.example", "abcdefgh.ijklmno..p", "abcdefg.hijklmn.example", "abcdefgZ.example.coM",
	"@[`{Z.example.A.B", "\xc1\xdaabcde.example", "ABCDEFGHIJKLMNOP.QRSTUVWX",
	// and from the right: an empty label across the boundary of two
	// words aligned to the name's end.
	"x..abcdefg", "abcdefgh.ijklmno..pqrstuvw", "Ab..cdefghij",
}

// FuzzCanonicalURL checks the fast path's claim: a URL canonicalURL
// accepts is exactly what appendURL makes of it.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range canonSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		if u == "" || !canonicalURL(u) {
			return
		}
		b, ok := appendURL(nil, u)
		if !ok || string(b) != u {
			t.Fatalf("canonicalURL(%q) = true, but appendURL gives %q, %v", u, b, ok)
		}
	})
}

// candidatesOf does what matchDomain does before its lookups: the
// canonical form of name, or false, and the suffixes the filter passes.
func candidatesOf(f *filter, name string, lo, hi int, cand *[maxSuffixes]uint8) (string, int, bool) {
	c, n, st := f.domainCandidates(name, lo, hi, cand)
	if st == domainUpper {
		c = string(appendLower(nil, c))
		if n, st = f.scanSuffixes(c, lo, hi, cand); st == domainUpper {
			panic("upper-case after lowering: " + c)
		}
	}
	return c, n, st == domainCanonical
}

// FuzzScanDomain checks matchDomain's validation and lowering against
// appendDomain: the same names are valid and give the same canonical
// form, and a name that is canonical already is used as it came, without
// a copy.
func FuzzScanDomain(f *testing.F) {
	for _, s := range canonSeeds {
		f.Add(s)
	}
	fl := newFilter(1)
	f.Fuzz(func(t *testing.T, name string) {
		want, ok := appendDomain(nil, name)
		var cand [maxSuffixes]uint8
		c, _, valid := candidatesOf(&fl, name, 1, maxSuffixes, &cand)
		if ok != valid {
			t.Fatalf("%q: valid %v, appendDomain ok %v", name, valid, ok)
		}
		if !ok {
			return
		}
		if c != string(want) {
			t.Fatalf("%q: canonical %q, appendDomain gives %q", name, c, want)
		}
		if _, _, st := fl.domainCandidates(name, 1, maxSuffixes, &cand); (st == domainCanonical) != (string(want) == strings.TrimSuffix(name, ".")) {
			t.Fatalf("%q: state %d, appendDomain gives %q", name, st, want)
		}
	})
}

func TestCanonicalURLCases(t *testing.T) {
	for u, want := range map[string]bool{
		"http://evil.example/gate.php?x=1": true, "https://evil.example/": true, "http://evil.example/A?B#": false,
		"HTTP://evil.example/a": false, "http://Evil.example/a": false, "http://evil.example": false,
		"http://evil.example?x": false, "http://evil.example:80/a": false, " http://evil.example/a": false,
	} {
		if got := canonicalURL(u); got != want {
			t.Errorf("canonicalURL(%q) = %v, want %v", u, got, want)
		}
	}
}

// FuzzDecodeHex checks the table-driven decodeHex against encoding/hex
// (which takes either case too) for digests of 16, 20 and 32 bytes.
func FuzzDecodeHex(f *testing.F) {
	for _, s := range []string{"d41d8cd98f00b204e9800998ecf8427e", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427g",
		"da39a3ee5e6b4b0d3255bfef95601890afd80709", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "0x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range []int{16, 20, 32} {
			got := make([]byte, n)
			ok := decodeHex(got, s)
			want, err := hex.DecodeString(s)
			wantOK := err == nil && len(want) == n
			if ok != wantOK || ok && !bytes.Equal(got, want) {
				t.Fatalf("decodeHex(%q) into %d bytes = %x %v, encoding/hex %x %v", s, n, got, ok, want, err)
			}
		}
	})
}

func TestHostOnly(t *testing.T) {
	for h, want := range map[string]string{
		"evil.example": "evil.example", "evil.example:8080": "evil.example", "[2001:db8::1]:80": "[2001:db8::1]",
		"[2001:db8::1]": "[2001:db8::1]", "2001:db8::1": "2001:db8::1", "": "", ":80": "", "a:": "a",
	} {
		if got := hostOnly(h); got != want {
			t.Errorf("hostOnly(%q) = %q, want %q", h, got, want)
		}
	}
}
