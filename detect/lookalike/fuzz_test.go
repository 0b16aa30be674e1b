package lookalike

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

var fuzzSeeds = []string{
	"account.microsoftssonline.com", "accounts.google-acc.com", "gmail.sa.com", "xn--ggle-55da.com",
	"gооgle.com", "goo.gle.com", "microsoft.com.evil.net", "login-mircosoft-secure.com", "rnicrosoft.com",
	"", ".", "a..b", "xn--", "xn--zz-zzzzzz.com", "1.2.3.4", "www.example.co.uk", strings.Repeat("a.", 130) + "com",
	"ｇｏｏｇｌｅ.com", "g\u0307oogle.com", "\xff\xfe.com", "outloollk.com", "example-login.com",
}

// FuzzCheck: Check never panics, is deterministic, ignores ASCII case and
// reports only well-formed finds.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	d, err := New([]string{"example-studio.com", "x.com"}, Options{})
	if err != nil {
		f.Fatal(err)
	}
	brands := map[string]bool{}
	for _, b := range d.Brands() {
		brands[b.Domain] = true
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, ok := d.Check(name)
		again, ok2 := d.Check(name)
		if ok != ok2 || got != again {
			t.Fatalf("Check(%q) not deterministic: %+v %v, then %+v %v", name, got, ok, again, ok2)
		}
		if !ok {
			if got != (Find{}) {
				t.Fatalf("Check(%q) = %+v with ok=false", name, got)
			}
			return
		}
		if got.Domain != name || !brands[got.Brand] || got.Score < 1 || got.Score > 100 || got.Distance < 0 || got.Fuzzer == "" {
			t.Fatalf("Check(%q) = %+v: malformed find", name, got)
		}
		if isASCII(name) {
			up, okUp := d.Check(strings.ToUpper(name))
			up.Domain = got.Domain
			if okUp != ok || up != got {
				t.Fatalf("Check(%q) = %+v, upper case gives %+v %v", name, got, up, okUp)
			}
		}
	})
}

// FuzzSkeleton: the skeleton and punycode path never panics, and a label
// has the same skeleton in Unicode and in its punycode form.
func FuzzSkeleton(f *testing.F) {
	for _, s := range []string{"google", "gооgle", "xn--ggle-55da", "micro-soft", "ｇｍａｉｌ", "xn--", "ǥ\u0301", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, label string) {
		sk := Skeleton(label)
		if strings.ContainsAny(label, ".") || !utf8.ValidString(label) || label == "" {
			return
		}
		ascii, err := idna.Punycode.ToASCII(label)
		if err != nil || ascii == label || strings.HasPrefix(label, "xn--") {
			return
		}
		if got := Skeleton(ascii); got != sk {
			t.Fatalf("Skeleton(%q) = %q but Skeleton(%q) = %q", label, sk, ascii, got)
		}
	})
}

// FuzzDistance: the banded matrix and the bit-parallel distance agree with
// the textbook algorithm.
func FuzzDistance(f *testing.F) {
	f.Add("google", "gogole", 2)
	f.Add("microsoftonline", "micrrosoftsonline", 3)
	f.Add("", "abc", 1)
	f.Fuzz(func(t *testing.T, a, b string, k int) {
		if len(a) == 0 || len(a) > maxLabel || len(b) > maxLabel || k < 0 || k > 10 {
			return
		}
		want := referenceOSA(a, b)
		if got := distance([]byte(a), []byte(b), k, false, 0, 0); got != min(want, k+1) {
			t.Fatalf("distance(%q, %q, %d) = %d, want %d", a, b, k, got, min(want, k+1))
		}
		p := newPattern([]byte(a))
		if !p.ok {
			return
		}
		// bitOSA compares symbols, so compare with the reference on them.
		sa, sb := symbols(a), symbols(b)
		if got, want := p.bitOSA([]byte(b)), referenceOSA(sa, sb); got != want {
			t.Fatalf("bitOSA(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}

func symbols(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = byte(symbol(c))
	}
	return string(b)
}

// FuzzScan: any input list is read to the end without panicking, and
// every line is counted once.
func FuzzScan(f *testing.F) {
	f.Add("account.microsoftssonline.com\n# c\n\nbad line\nwww.google.com")
	f.Add("\xff\n..\n" + strings.Repeat("a", 300))
	d, err := New(nil, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		finds := 0
		st, err := d.Scan(strings.NewReader(in), "fuzz", func(Find) { finds++ })
		if err != nil {
			t.Fatal(err)
		}
		if st.Finds != finds || st.Domains+st.Bad > st.Lines || len(st.Errors) > maxScanErrors || st.Finds > st.Domains {
			t.Fatalf("inconsistent stats %+v (finds %d)", st, finds)
		}
	})
}
