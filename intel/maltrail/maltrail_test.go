package maltrail

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

func TestFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/umbrella_test.txt")
	if err != nil {
		t.Fatal(err)
	}
	var recs []indicator.Record
	sum, err := Read(bytes.NewReader(b), "trails/static/malware/umbrella_test.txt", Options{}, func(r indicator.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	type tv struct {
		t    indicator.Type
		v    string
		line int
		refs string
		tags string
	}
	r12 := "https://example.org/report-1 https://example.org/report-2"
	r3 := "https://example.org/report-3"
	want := []tv{
		{indicator.Domain, "evil.example.com", 9, r12, "winnti apt41"},
		{indicator.IPv4, "203.0.113.5", 10, r12, "winnti apt41"},
		{indicator.IPv4, "198.51.100.7", 11, r12, "winnti apt41 port:8443"},
		{indicator.URL, "http://evil.example.net/panel/gate.php", 12, r12, "winnti apt41"},
		{indicator.URL, "https://login.example.org/owa", 16, r3, "winnti apt41"},
		{indicator.IPv6, "2001:db8::5", 17, r3, "winnti apt41 port:443"},
		{indicator.CIDR, "192.0.2.0/24", 19, r3, "winnti apt41"},
	}
	var got []tv
	for _, r := range recs {
		got = append(got, tv{r.Type, r.Value, r.Line, strings.Join(r.References, " "), strings.Join(r.Tags, " ")})
		if r.Description != "umbrella_test (malware)" || r.Source != "maltrail" {
			t.Errorf("line %d: description %q source %q", r.Line, r.Description, r.Source)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n got  %v\n want %v", got, want)
	}
	if sum.Duplicates != 1 || sum.Rejected != 3 {
		t.Errorf("summary %s", sum)
	}
	wantReasons := map[int]string{23: "path-only trail", 24: "bad domain", 25: "bad port"}
	for _, e := range sum.Errors {
		if wantReasons[e.Line] != e.Reason {
			t.Errorf("line %d: reason %q, want %q (%v)", e.Line, e.Reason, wantReasons[e.Line], e)
		}
	}
}

func TestReferencesAreNotShared(t *testing.T) {
	// Appending a reference for a new block must not rewrite the slice an
	// earlier record holds.
	in := "# Reference: a\n# Reference: b\nx.example.com\n# Reference: c\ny.example.com\n"
	var recs []indicator.Record
	Read(strings.NewReader(in), "t.txt", Options{}, func(r indicator.Record) error {
		recs = append(recs, r)
		return nil
	})
	if len(recs) != 2 || !reflect.DeepEqual(recs[0].References, []string{"a", "b"}) || !reflect.DeepEqual(recs[1].References, []string{"c"}) {
		t.Errorf("records %+v", recs)
	}
}

func FuzzRead(f *testing.F) {
	b, err := os.ReadFile("testdata/umbrella_test.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("http://[::1]:0/\n1.2.3.4:\n:80\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		n := 0
		sum, err := Read(bytes.NewReader(in), "fuzz.txt", Options{}, func(r indicator.Record) error {
			n++
			if v, err := indicator.Normalize(r.Type, r.Value); err != nil || v != r.Value {
				t.Fatalf("record %s %q is not normalised (%q, %v)", r.Type, r.Value, v, err)
			}
			return nil
		})
		if err != nil || sum.Imported != n {
			t.Fatalf("err %v summary %s emitted %d", err, sum, n)
		}
	})
}
