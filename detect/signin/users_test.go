package signin

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLoadUsers(t *testing.T) {
	in := `user,ip
# comment line
hana@x.example,10.0.0.5
HANA@X.EXAMPLE, 10.0.0.5
hana@x.example,fd00::5

bob@x.example,10.0.0.300
bob@x.example
,10.0.0.9
"carol@x.example",10.0.0.7
dave@x.example,10.0.0.8,extra
erin@x.example,fe80::1%eth0
frank@x.example,"10.0.0.1
`
	h, st, err := LoadUsers(strings.NewReader(in), "leases.csv")
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("fd00::5")}; !slices.Equal(h["hana@x.example"], want) {
		t.Errorf("hana = %v, want %v", h["hana@x.example"], want)
	}
	if got := h["carol@x.example"]; len(got) != 1 {
		t.Errorf("quoted user: %v", got)
	}
	if len(h) != 2 {
		t.Errorf("users %v, want hana and carol only", h)
	}
	if st.Pairs != 4 || st.Bad != 6 {
		t.Errorf("stats %+v, want 4 pairs and 6 bad lines", st)
	}
	var msgs []string
	for _, e := range st.Errors {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`leases.csv:7: field 2: bad IP "10.0.0.300"`,
		`leases.csv:8: want 2 fields user,ip, got 1`,
		`leases.csv:9: field 1: empty user`,
		`leases.csv:11: want 2 fields user,ip, got 3`,
		`leases.csv:12: field 2: bad IP "fe80::1%eth0"`,
		`leases.csv:13:`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("errors lack %q:\n%s", want, all)
		}
	}
}

func TestLoadUsersReadError(t *testing.T) {
	boom := errors.New("disk gone")
	_, _, err := LoadUsers(iotest.TimeoutReader(iotest.DataErrReader(iotest.ErrReader(boom))), "leases.csv")
	if err == nil || !strings.Contains(err.Error(), "leases.csv") {
		t.Errorf("err = %v, want one naming the file", err)
	}
}

// Only the first maxUserErrors bad lines are described; all are counted.
func TestLoadUsersManyErrors(t *testing.T) {
	in := strings.Repeat("a@x,nope\n", 100)
	_, st, err := LoadUsers(strings.NewReader(in), "x.csv")
	if err != nil || st.Bad != 100 || len(st.Errors) != maxUserErrors {
		t.Errorf("bad %d errors %d err %v", st.Bad, len(st.Errors), err)
	}
}

func FuzzLoadUsers(f *testing.F) {
	f.Add("user,ip\nhana@x.example,10.0.0.5\n")
	f.Add("# c\na,::1\nb,1.2.3.4,5\n\"q\"\"x\",fe80::1%lo\n")
	f.Add("\"unterminated,1.2.3.4\nz,1.1.1.1\n")
	f.Add("a@x,10.0.0.300\n,\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		h, st, err := LoadUsers(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			t.Fatalf("a strings.Reader cannot fail: %v", err)
		}
		n := 0
		for u, ips := range h {
			if u == "" || u != strings.ToLower(u) {
				t.Fatalf("user %q not normalised", u)
			}
			for _, ip := range ips {
				if !ip.IsValid() || ip.Zone() != "" {
					t.Fatalf("bad address %v kept for %q", ip, u)
				}
			}
			n += len(ips)
		}
		if n > st.Pairs || st.Bad > st.Lines || len(st.Errors) > maxUserErrors || (st.Bad > 0) != (len(st.Errors) > 0) {
			t.Fatalf("inconsistent stats %+v for %d addresses", st, n)
		}
		for _, e := range st.Errors {
			if !strings.HasPrefix(e.Error(), "fuzz.csv:") {
				t.Fatalf("error without its place: %v", e)
			}
		}
	})
}

func TestParseNetblock(t *testing.T) {
	nb, err := ParseNetblock("APT17 = 203.0.113.77/24")
	if err != nil || nb.Actor != "APT17" || nb.Prefix != netip.MustParsePrefix("203.0.113.0/24") {
		t.Errorf("got %+v, %v", nb, err)
	}
	nb, err = ParseNetblock("2001:db8::/32")
	if err != nil || nb.Actor != "" || nb.Prefix.Bits() != 32 {
		t.Errorf("bare prefix: %+v, %v", nb, err)
	}
	for _, bad := range []string{"APT17=", "x=1.2.3.4", "1.2.3.0/33", ""} {
		if _, err := ParseNetblock(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
