package zeekintel

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/corpus"
)

func read(t *testing.T, path string) ([]indicator.Record, indicator.Summary) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []indicator.Record
	sum, err := Read(bytes.NewReader(b), filepath.Base(path), Options{}, func(r indicator.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs, sum
}

func TestEdgeFixture(t *testing.T) {
	recs, sum := read(t, "testdata/edge.dat")
	type tv struct {
		t    indicator.Type
		v    string
		desc string
		line int
	}
	var got []tv
	for _, r := range recs {
		got = append(got, tv{r.Type, r.Value, r.Description, r.Line})
	}
	want := []tv{
		{indicator.IPv4, "203.0.113.9", "C2 host", 4},
		{indicator.IPv6, "2001:db8::9", "", 5},
		{indicator.CIDR, "221.216.0.0/13", "home netblock", 6},
		{indicator.URL, "http://evil.example.com/gate.php", "no scheme", 7},
		{indicator.Domain, "loader.example.net", "tab\tin desc", 8},
		{indicator.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "", 9},
		{indicator.UserAgent, "Mozilla/4.0 (compatible; Win32; WinHttp)", "", 10},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n got  %v\n want %v", got, want)
	}
	if sum.Duplicates != 1 || sum.Rejected != 7 {
		t.Errorf("summary %s; want 1 duplicate, 7 rejected", sum)
	}
	// Line 19 ends in a tab, which Zeek does not count as an empty last
	// field; line 20 is a second #fields line, which Zeek reads as data.
	wantReasons := map[int]string{13: "unknown type", 14: "unsupported type", 15: "not enough fields", 16: "unset required field",
		17: "bad ipv4", 19: "not enough fields", 20: "not enough fields"}
	for _, e := range sum.Errors {
		if wantReasons[e.Line] != e.Reason {
			t.Errorf("line %d rejected as %q, want %q (%v)", e.Line, e.Reason, wantReasons[e.Line], e)
		}
	}
	if recs[0].Source != "umbra-test" || !reflect.DeepEqual(recs[0].References, []string{"http://example.org/r1"}) {
		t.Errorf("first record %+v", recs[0])
	}
}

func TestFatalHeaders(t *testing.T) {
	cases := map[string]string{
		"no header":         "1.2.3.4\tIntel::ADDR\tsrc\n",
		"missing source":    "#fields\tindicator\tindicator_type\n1.2.3.4\tIntel::ADDR\n",
		"space not tab":     "#fields indicator indicator_type meta.source\n1.2.3.4\tIntel::ADDR\tsrc\n",
		"comments only, no": "# nothing here\n",
	}
	for name, in := range cases {
		if _, err := Read(strings.NewReader(in), name, Options{}, nil); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	if sum, err := Read(strings.NewReader(""), "empty", Options{}, nil); err != nil || sum.Imported != 0 {
		t.Errorf("empty file: %v %s", err, sum)
	}
}

// TestZeekBtests reads the intel files of Zeek's own tests. The expected
// outcome of each data line is worked out here with a plain split: lines
// marked meta.remove=T or meta.whitelist=T are rejected, the rest are
// imported or (same type and value again) duplicates.
func TestZeekBtests(t *testing.T) {
	dir := corpus.Path(t, "zeek-intel-btests", "cases")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "input", "*.dat"))
	if len(files) < 10 {
		t.Fatalf("found only %d intel files under %s", len(files), dir)
	}
	total := map[indicator.Type]int{}
	for _, f := range files {
		recs, sum := read(t, f)
		fh, _ := os.Open(f)
		sc := bufio.NewScanner(fh)
		var header []string
		data, control := 0, 0
		seen := map[string]bool{}
		dups := 0
		for sc.Scan() {
			parts := strings.Split(sc.Text(), "\t")
			if parts[0] == "#fields" {
				header = parts[1:]
				continue
			}
			data++
			isControl := false
			for i, h := range header {
				if (h == "meta.remove" || h == "meta.whitelist") && parts[i] == "T" {
					isControl = true
				}
			}
			if isControl {
				control++
				continue
			}
			key := parts[1] + "|" + strings.ToLower(parts[0])
			if seen[key] {
				dups++
			}
			seen[key] = true
		}
		fh.Close()
		rel, _ := filepath.Rel(dir, f)
		if sum.Rejected != control || sum.Duplicates != dups || sum.Imported+sum.Duplicates+sum.Rejected != data {
			t.Errorf("%s: %s; scan found %d data lines, %d control, %d duplicates (%v)", rel, sum, data, control, dups, sum.Errors)
		}
		for _, r := range recs {
			total[r.Type]++
		}
		t.Logf("%-70s %s", rel, sum)
	}
	t.Logf("per type: %v", total)
	// The certs test names a certificate by its SHA-1, as Zeek hashes it.
	recs, _ := read(t, filepath.Join(dir, "scripts.policy.frameworks.intel.seen.certs", "input", "intel.dat"))
	found := false
	for _, r := range recs {
		if r.Type == indicator.CertSHA1 && r.Value == "2c322ae2b7fe91391345e070b63668978bb1c9da" {
			found = true
		}
	}
	if !found {
		t.Errorf("certs test: CERT_HASH not read as cert-sha1: %+v", recs)
	}
}

func FuzzRead(f *testing.F) {
	b, err := os.ReadFile("testdata/edge.dat")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("#fields\tindicator\tindicator_type\tmeta.source\n\\x\t\\xzz\t-\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		n := 0
		sum, _ := Read(bytes.NewReader(in), "fuzz.dat", Options{}, func(r indicator.Record) error {
			n++
			if v, err := indicator.Normalize(r.Type, r.Value); err != nil || v != r.Value {
				t.Fatalf("record %s %q is not normalised (%q, %v)", r.Type, r.Value, v, err)
			}
			return nil
		})
		if sum.Imported != n {
			t.Fatalf("summary %s, emitted %d", sum, n)
		}
	})
}
