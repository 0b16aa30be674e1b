package attribution

import (
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

func TestAllowListParse(t *testing.T) {
	a, err := ParseAllowList(strings.NewReader("# shared hosting\ncidr 192.0.2.0/24\n203.0.113.5\nhosting.test # comment\nissuer Example CA\nbogus x y\ncidr 300.1.1.1\n"), "allow.txt")
	if err == nil || !strings.Contains(err.Error(), "allow.txt:6: unknown kind") || !strings.Contains(err.Error(), "allow.txt:7: bad address") {
		t.Fatalf("errors: %v", err)
	}
	for _, c := range []struct {
		t    indicator.Type
		v    string
		want bool
	}{
		{indicator.IPv4, "192.0.2.77", true}, {indicator.IPv4, "203.0.113.5", true}, {indicator.IPv4, "203.0.113.6", false},
		{indicator.Domain, "a.b.hosting.test", true}, {indicator.Domain, "nothosting.test", false},
		{indicator.URL, "http://x.hosting.test/a", true},
	} {
		if got := a.Allowed(c.t, c.v); got != c.want {
			t.Errorf("Allowed(%v, %s) = %v", c.t, c.v, got)
		}
	}
	if !a.AllowedIssuer("example ca") || a.AllowedIssuer("Other") {
		t.Error("issuer")
	}
	d := DefaultAllowList()
	if !d.AllowedIssuer("Let's Encrypt") || !d.Allowed(indicator.IPv4, "1.1.1.1") || d.Allowed(indicator.IPv4, "221.216.1.1") {
		t.Error("built-in list")
	}
}

func FuzzParseAllowList(f *testing.F) {
	f.Add("cidr 10.0.0.0/8\ndomain example.test\nissuer Let's Encrypt\nvalue abc\n")
	f.Add("1.2.3.4\n::1\nexample.test # c\n")
	f.Add("bogus\n\x00\xff\n")
	f.Fuzz(func(t *testing.T, s string) {
		a, _ := ParseAllowList(strings.NewReader(s), "fuzz")
		a.Allowed(indicator.IPv4, "10.1.2.3")
		a.Allowed(indicator.Domain, "a.example.test")
		a.Allowed(indicator.URL, "http://[::1]/x")
	})
}

func FuzzReadSessions(f *testing.F) {
	f.Add("time,source,target\n2018-02-01T03:00:00Z,221.222.1.2,victim@o365.test\n")
	f.Add("2018-02-01T03:00:00Z,::ffff:1.2.3.4,h\nx,y\n")
	f.Fuzz(func(t *testing.T, s string) {
		ss, bad := ReadSessions(strings.NewReader(s), "fuzz")
		for _, x := range ss {
			if !x.Src.IsValid() || x.Dst == "" {
				t.Fatalf("bad session kept: %+v", x)
			}
		}
		for _, e := range bad {
			if !strings.HasPrefix(e.Error(), "fuzz:") {
				t.Fatalf("error without position: %v", e)
			}
		}
	})
}
