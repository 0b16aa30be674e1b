package hunt

import (
	"errors"
	"testing"
)

// Pivot values come from analysts' pastes and report text: whatever the
// input, compileValue either compiles a query that matches something or
// says why not, and never panics.
func FuzzCompileValue(f *testing.F) {
	for _, s := range []string{"gamecdn-sync.net", "45.142.214.9", "221.216.0.0/13", "hxxp://evil[.]com/gate.php",
		"bd77d754a3942f71f38d2ecb7c657b1a", "user-agent:Mozilla/4.0", "cookie:", "ipv4:1.2.3", "2001:db8::1",
		"09:53:04:6D", "a@b.example", "t13d1516h2_8daaf6152771_02713d6af862", "x.zip", ":", "ja3:zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		q, err := compileValue(v)
		if err != nil {
			if !errors.Is(err, ErrBadValue) {
				t.Fatalf("%q: error %v does not wrap ErrBadValue", v, err)
			}
			return
		}
		if q.snap == nil || q.value == "" {
			t.Fatalf("%q: accepted without a query: %+v", v, q)
		}
	})
}
