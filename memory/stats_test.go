package memory

import "testing"

// FuzzBloomHashLower checks that the statistics' hash of a dictionary
// entry, computed from its bytes, equals the hash a hunt's probe computes
// from the lower-cased string: any difference would make a hunt skip a
// segment that holds the value.
func FuzzBloomHashLower(f *testing.F) {
	for _, s := range []string{"", "evil.example.com", "Evil.Example.COM", "ÉVIL.com", "Évil.COM", "xn--80ak6aa92e.com",
		"1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "\xff\xfeA", "A\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h1, h2 := bloomHashLower([]byte(s))
		w1, w2 := bloomHash(lowerValue(s))
		if h1 != w1 || h2 != w2 {
			t.Fatalf("%q: bloomHashLower %x %x, bloomHash(lowerValue) %x %x", s, h1, h2, w1, w2)
		}
	})
}
