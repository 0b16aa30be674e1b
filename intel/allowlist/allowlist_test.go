package allowlist

import (
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

func TestCovers(t *testing.T) {
	s := Default()
	if err := s.Add("104.16.0.0/13", ListUser); err != nil {
		t.Fatal(err)
	}
	s.Add("sinkhole.example.net", ListUser)
	for _, tc := range []struct {
		typ  indicator.Type
		v    string
		list string
	}{
		{indicator.IPv4, "10.1.2.3", ListReserved},
		{indicator.IPv4, "8.8.8.8", ListResolvers},
		{indicator.IPv6, "2606:4700:4700::1111", ListResolvers},
		{indicator.IPv4, "104.17.1.1", ListUser},
		{indicator.CIDR, "104.18.0.0/16", ListUser},
		{indicator.CIDR, "192.168.1.0/24", ListReserved},
		{indicator.Domain, "accounts.google.com", ListPopular},
		{indicator.Domain, "google.com", ListPopular},
		{indicator.URL, "https://login.microsoftonline.com/common/oauth2", ListPopular},
		{indicator.Domain, "a.b.sinkhole.example.net", ListUser},
		// Not covered: look-alikes, attacker ranges, wider ranges.
		{indicator.Domain, "google-statics.com", ""},
		{indicator.Domain, "account.microsoftssonline.com", ""},
		{indicator.IPv4, "221.216.5.9", ""},
		{indicator.CIDR, "0.0.0.0/0", ""},
		{indicator.CIDR, "221.216.0.0/13", ""},
		{indicator.Domain, "notgoogle.com", ""},
	} {
		l, ok := s.Covers(&indicator.Indicator{Type: tc.typ, Value: tc.v})
		if l != tc.list || ok != (tc.list != "") {
			t.Errorf("%s %s: got %q %v, want %q", tc.typ, tc.v, l, ok, tc.list)
		}
	}
}

func TestReadReportsBadLines(t *testing.T) {
	s := Default()
	n, bad := s.Read(strings.NewReader("# CDN\n151.101.0.0/16\n\nnot a value at all!\ncdn.example.org # edge\n"), "cdn.txt", ListUser)
	if n != 2 || len(bad) != 1 || !strings.HasPrefix(bad[0], "cdn.txt:4:") {
		t.Fatalf("added %d, bad %v", n, bad)
	}
}

func FuzzRead(f *testing.F) {
	f.Add("1.2.3.0/24\nexample.com\n# c\n::1\n")
	f.Fuzz(func(t *testing.T, in string) {
		s := Default()
		s.Read(strings.NewReader(in), "f", ListUser)
		for _, e := range s.Entries() {
			if e.Value == "" {
				t.Fatal("empty entry")
			}
		}
	})
}
