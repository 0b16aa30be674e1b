package geo

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func fixture(t testing.TB) []byte {
	var b bytes.Buffer
	err := Write(&b, []Network{
		{Prefix: netip.MustParsePrefix("221.216.0.0/13"), ASN: 4808, Org: "China Unicom Beijing Province Network", Country: "CN"},
		{Prefix: netip.MustParsePrefix("8.8.8.0/24"), ASN: 15169, Org: "GOOGLE", Country: "US"},
		{Prefix: netip.MustParsePrefix("2001:db8::/32"), ASN: 64500, Country: "DE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLookup(t *testing.T) {
	db, err := OpenBytes("fixture", fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		addr    string
		asn     uint32
		org, cc string
	}{
		{"221.223.10.1", 4808, "China Unicom Beijing Province Network", "CN"},
		{"221.215.255.255", 0, "", ""}, // just below the /13
		{"8.8.8.8", 15169, "GOOGLE", "US"},
		{"::ffff:8.8.8.8", 15169, "GOOGLE", "US"},
		{"2001:db8::1", 64500, "", "DE"},
		{"192.0.2.1", 0, "", ""},
	} {
		got, err := db.Lookup(netip.MustParseAddr(c.addr))
		if err != nil {
			t.Fatalf("%s: %v", c.addr, err)
		}
		if got.ASN != c.asn || got.Org != c.org || got.Country != c.cc {
			t.Errorf("%s: got %+v, want AS%d %q %q", c.addr, got, c.asn, c.org, c.cc)
		}
	}
	var none *DB
	if got, err := none.Lookup(netip.MustParseAddr("8.8.8.8")); err != nil || got != (Info{}) {
		t.Errorf("nil DB: %+v %v", got, err)
	}
}

// TestAgreesWithMmdblookup checks the fixture against MaxMind's own
// reader when it is installed (apt-get install mmdb-bin).
func TestAgreesWithMmdblookup(t *testing.T) {
	bin, err := exec.LookPath("mmdblookup")
	if err != nil {
		t.Skip("mmdblookup not installed")
	}
	p := filepath.Join(t.TempDir(), "f.mmdb")
	if err := os.WriteFile(p, fixture(t), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--file", p, "--ip", "221.223.10.1", "autonomous_system_number").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "4808") {
		t.Errorf("mmdblookup says %s", out)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil || !strings.Contains(err.Error(), "missing.mmdb") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := OpenBytes("junk.mmdb", []byte("not an mmdb")); err == nil || !strings.Contains(err.Error(), "junk.mmdb") {
		t.Errorf("junk: %v", err)
	}
}

// FuzzOpenBytes feeds damaged databases through Open and Lookup: MMDB
// files come from users, and a bad one must be an error, not a crash.
func FuzzOpenBytes(f *testing.F) {
	good := fixture(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		db, err := OpenBytes("fuzz", b)
		if err != nil {
			return
		}
		for _, a := range []string{"221.223.10.1", "8.8.8.8", "2001:db8::1", "0.0.0.0"} {
			db.Lookup(netip.MustParseAddr(a))
		}
		db.Close()
	})
}

func BenchmarkLookup(b *testing.B) {
	db, err := OpenBytes("fixture", fixture(b))
	if err != nil {
		b.Fatal(err)
	}
	a := netip.MustParseAddr("221.223.10.1")
	for b.Loop() {
		db.Lookup(a)
	}
}
