package memory

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
)

// The string and address dictionaries give back every value in order,
// across table growth, reuse after reset, repeats far apart and near,
// and values that differ only slightly.
func TestDictionariesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var c strCol
	var a addrCol
	for round, n := range []int{300_000, 1000, 50_000} {
		c.reset()
		a.reset()
		var want []string
		var wantA []netip.Addr
		var acodes []byte
		for i := range n {
			var v string
			switch k := r.IntN(10); {
			case k < 5 || len(want) == 0:
				v = "C" + strconv.Itoa(r.IntN(4*n)) // new or a far repeat
			case k < 8:
				v = want[len(want)-1-r.IntN(min(len(want), 50))] // a near repeat
			default:
				v = "C" + strconv.Itoa(i) + "x"
			}
			want = append(want, v)
			c.add(v)
			ad := netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(256))})
			if r.IntN(20) == 0 {
				ad = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(r.IntN(256))})
			}
			wantA = append(wantA, ad)
			acodes = a.add(acodes, ad)
		}
		var d dictStr
		if err := d.parse(cursor{b: c.appendDict(nil), name: "dict"}, false); err != nil {
			t.Fatal(err)
		}
		d.codes = cursor{b: c.codes, name: "codes"}
		for i, w := range want {
			got, err := d.value()
			if err != nil || got != w {
				t.Fatalf("round %d: value %d is %q (%v), want %q", round, i, got, err, w)
			}
		}
		if err := d.done(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var da dictAddr
		if err := da.parse(cursor{b: a.appendDict(nil), name: "addr_dict"}); err != nil {
			t.Fatal(err)
		}
		ac := cursor{b: acodes, name: "addrs"}
		for i, w := range wantA {
			got, err := da.value(&ac)
			if err != nil || got != w {
				t.Fatalf("round %d: address %d is %v (%v), want %v", round, i, got, err, w)
			}
		}
		if da.next != da.len() {
			t.Fatalf("round %d: %d of %d addresses used: a value stored twice", round, da.next, da.len())
		}
		if d.len() > 0 {
			seen := map[string]bool{}
			for i := range d.len() {
				v := d.entry(i)
				if seen[v] {
					t.Fatalf("round %d: %q is in the dictionary twice", round, v)
				}
				seen[v] = true
			}
		}
	}
}

// A windowed column (addRecent) gives back every value in order, and
// keeps the dictionary's saving for values repeated soon after.
func TestRecentDictionaryRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var c strCol
	for round, n := range []int{400_000, 2000} {
		c.reset()
		var want []string
		distinct := map[string]bool{}
		for i := range n {
			v := "C" + strconv.Itoa(i) // a new uid
			if i > 0 && r.IntN(3) == 0 {
				v = want[len(want)-1-r.IntN(min(len(want), 20))] // a record of a recent connection
			}
			want = append(want, v)
			distinct[v] = true
			c.addRecent(v)
		}
		var d dictStr
		if err := d.parse(cursor{b: c.appendDict(nil), name: "dict"}, false); err != nil {
			t.Fatal(err)
		}
		d.codes = cursor{b: c.codes, name: "codes"}
		for i, w := range want {
			got, err := d.value()
			if err != nil || got != w {
				t.Fatalf("round %d: value %d is %q (%v), want %q", round, i, got, err, w)
			}
		}
		if err := d.done(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if extra := d.len() - len(distinct); extra > (n-len(distinct))/100+1 {
			t.Fatalf("round %d: %d entries for %d distinct values: recent repeats were not found", round, d.len(), len(distinct))
		}
	}
}
