package csv

import (
	"bufio"
	"bytes"
	stdcsv "encoding/csv"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/intel/indicator/readbench"
	"github.com/umbra-cti/umbra/internal/corpus"
	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/stix"
)

func readFile(t *testing.T, path string, opts Options) ([]indicator.Record, indicator.Summary) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []indicator.Record
	sum, err := Read(f, filepath.Base(path), opts, func(r indicator.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs, sum
}

func TestMixedFixture(t *testing.T) {
	recs, sum := readFile(t, "testdata/mixed.csv", Options{Tags: []string{"imported"}})
	if sum.Imported != 6 || sum.Duplicates != 2 || sum.Rejected != 3 {
		t.Errorf("summary = %s; want imported 6, duplicates 2, rejected 3", sum)
	}
	var lines []int
	for _, e := range sum.Errors {
		lines = append(lines, e.Line)
		if !strings.HasPrefix(e.Error(), fmt.Sprintf("mixed.csv:%d: ", e.Line)) {
			t.Errorf("error %q does not start with file:line", e)
		}
	}
	if !reflect.DeepEqual(lines, []int{6, 7, 8}) {
		t.Errorf("rejected lines %v, want [6 7 8]; errors: %v", lines, sum.Errors)
	}
	for _, reason := range []string{"bad domain", "unknown type", "no value"} {
		if sum.Reasons[reason] != 1 {
			t.Errorf("reason %q counted %d times, want 1 (%v)", reason, sum.Reasons[reason], sum.Reasons)
		}
	}
	first := recs[0]
	want := indicator.Record{Type: indicator.Domain, Value: "evil.example.com", Description: "C2 server",
		Source: "vendor-a", Tags: []string{"winnti", "apt41", "imported"}, File: "mixed.csv", Line: 2}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first record\n got  %+v\n want %+v", first, want)
	}
	got := map[string]indicator.Type{}
	for _, r := range recs {
		got[r.Value] = r.Type
	}
	wantTypes := map[string]indicator.Type{
		"evil.example.com": indicator.Domain, "1.2.3.4": indicator.IPv4, "2001:db8::1": indicator.IPv6,
		"d41d8cd98f00b204e9800998ecf8427e": indicator.MD5, "https://evil.example.com/login": indicator.URL,
		"1A2B": indicator.CertSerial,
	}
	if !reflect.DeepEqual(got, wantTypes) {
		t.Errorf("records %v\nwant %v", got, wantTypes)
	}
	if recs[1].Description != "phish; kit" {
		t.Errorf("quoted description = %q", recs[1].Description)
	}
}

func TestTypedColumns(t *testing.T) {
	recs, sum := readFile(t, "testdata/typed.csv", Options{})
	if sum.Imported != 4 || sum.Rejected != 2 {
		t.Errorf("summary = %s; want imported 4, rejected 2", sum)
	}
	types := map[indicator.Type]int{}
	for _, r := range recs {
		types[r.Type]++
	}
	want := map[indicator.Type]int{indicator.MD5: 1, indicator.SHA256: 1, indicator.FileName: 2}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("types %v, want %v", types, want)
	}
}

func TestNoHeader(t *testing.T) {
	recs, sum := readFile(t, "testdata/noheader.tsv", Options{})
	if sum.Imported != 3 || sum.Rejected != 0 {
		t.Fatalf("summary = %s; want 3 imported", sum)
	}
	if recs[0].Type != indicator.CIDR || recs[1].Type != indicator.Domain || recs[2].Type != indicator.URL {
		t.Errorf("records %+v", recs)
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, in         string
		imported, reject int
	}{
		{"unclosed quote", "indicator,type\n1.2.3.4,ip\n\"5.6.7.8,ip\n9.9.9.9,ip\n", 1, 1},
		{"bare quote", "indicator,type\n1.2.3.4,ip\n5.6\"7.8,ip\n9.9.9.9,ip\n", 2, 1},
		{"quote then junk", "indicator,type\n\"1.2.3.4\nx\"y,ip\n9.9.9.9,ip\n", 1, 1},
		{"binary", "indicator\n\x00\x01\x02\xff\n1.2.3.4\n", 1, 1},
		{"empty", "", 0, 0},
		{"header only", "Indicator,Type,Description,Reference\r\n", 0, 0},
		{"short rows", "indicator,type,description\n1.2.3.4\nevil.example.com,domain\n", 2, 0},
	}
	for _, c := range cases {
		sum, err := Read(strings.NewReader(c.in), c.name, Options{}, nil)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if sum.Imported != c.imported || sum.Rejected != c.reject {
			t.Errorf("%s: %s (%v); want imported %d rejected %d", c.name, sum, sum.Errors, c.imported, c.reject)
		}
	}
}

// burningWords is this test's own mapping of the Burning Umbrella Type
// column, written from the report's MANIFEST, not from the code.
var burningWords = map[string]indicator.Type{
	"CERT SHA1": indicator.CertSHA1, "CODE SIGN CERT SERIAL": indicator.CertSerial, "COOKIE": indicator.Cookie,
	"DOMAIN": indicator.Domain, "EMAIL": indicator.Email, "FILE MD5": indicator.MD5, "IP": indicator.IPv4,
	"PHONE": indicator.Phone, "URL": indicator.URL,
}

// TestBurningUmbrella imports the five real CSVs and checks the counts per
// type against a plain line scan that splits on commas and removes
// duplicate (type, lower-cased value) pairs per file.
func TestBurningUmbrella(t *testing.T) {
	dir := corpus.Path(t, "401trg-burning-umbrella")
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	if len(files) != 5 {
		t.Fatalf("found %d CSVs in %s, want 5", len(files), dir)
	}
	total := map[indicator.Type]int{}
	scanned := map[indicator.Type]int{}
	dups := 0
	for _, f := range files {
		_, sum := readFile(t, f, Options{Source: "401trg"})
		if sum.Rejected != 0 {
			t.Errorf("%s: %s: %v", filepath.Base(f), sum, sum.Errors)
		}
		for ty, n := range sum.ByType {
			total[ty] += n
		}
		dups += sum.Duplicates

		// The independent scan.
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		sc := bufio.NewScanner(fh)
		first := true
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			if first {
				first = false
				continue
			}
			parts := strings.Split(line, ",")
			if len(parts) < 2 {
				continue
			}
			ty, ok := burningWords[strings.TrimSpace(parts[1])]
			if !ok {
				t.Fatalf("%s: type word %q not in the test's table", f, parts[1])
			}
			key := parts[1] + "|" + strings.ToLower(strings.TrimSpace(parts[0]))
			if !seen[key] {
				seen[key] = true
				scanned[ty]++
			}
		}
		fh.Close()
	}
	var names []string
	for ty := range scanned {
		names = append(names, ty.String())
	}
	sort.Strings(names)
	for _, n := range names {
		ty := indicator.ParseType(n)
		t.Logf("%-12s imported %4d  scanned %4d", n, total[ty], scanned[ty])
	}
	t.Logf("duplicates dropped: %d", dups)
	if !reflect.DeepEqual(total, scanned) {
		t.Errorf("per-type counts differ:\n imported %v\n scanned  %v", total, scanned)
	}
}

func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/mixed.csv", "testdata/typed.csv", "testdata/noheader.tsv"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("indicator\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		n := 0
		sum, err := Read(bytes.NewReader(in), "fuzz.csv", Options{}, func(r indicator.Record) error {
			n++
			if v, err := indicator.Normalize(r.Type, r.Value); err != nil || v != r.Value {
				t.Fatalf("record %s %q is not normalised (%q, %v)", r.Type, r.Value, v, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("error on in-memory input: %v", err)
		}
		if sum.Imported != n {
			t.Fatalf("summary says %d imported, emit saw %d", sum.Imported, n)
		}
	})
}

// synthetic writes n rows of mixed indicator types in the Burning Umbrella
// layout.
func synthetic(n int) []byte {
	rng := rand.New(rand.NewSource(1))
	var b bytes.Buffer
	b.WriteString("Indicator,Type,Description,Reference\r\n")
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "%d.%d.%d.%d,IP,,http://example.org/report\r\n", 1+rng.Intn(223), rng.Intn(256), rng.Intn(256), rng.Intn(256))
		case 1:
			fmt.Fprintf(&b, "host%d.Example%d.com,DOMAIN,c2,http://example.org/report\r\n", rng.Intn(1e6), i)
		case 2:
			fmt.Fprintf(&b, "%032x,FILE MD5,,http://example.org/report\r\n", rng.Uint64())
		case 3:
			fmt.Fprintf(&b, "http://evil%d.example.net/gate.php?id=%d,URL,,http://example.org/report\r\n", i, rng.Intn(1000))
		}
	}
	return b.Bytes()
}

// BenchmarkImport measures reading, normalising and converting to STIX.
func BenchmarkImport(b *testing.B) {
	const rows = 200000
	readbench.Serial(b, rows, synthetic(rows), benchRead)
}

// BenchmarkStdlibFloor reads the same bytes with encoding/csv alone: the
// floor no CSV importer can beat.
func BenchmarkStdlibFloor(b *testing.B) {
	const rows = 200000
	data := synthetic(rows)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := cputime.Self()
	for i := 0; i < b.N; i++ {
		cr := stdcsv.NewReader(bytes.NewReader(data))
		cr.ReuseRecord = true
		for {
			if _, err := cr.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	cputime.Rate(b, float64(rows)*float64(b.N), "indicators", cpu0)
}

// TestBurningUmbrellaSTIX converts every Burning Umbrella indicator to
// STIX: ids must be one per distinct (type, value) across the five Areas
// (the source is the same), and one object of each type must pass the
// OASIS schemas (validating all 688 takes minutes on a loaded machine).
func TestBurningUmbrellaSTIX(t *testing.T) {
	dir := corpus.Path(t, "401trg-burning-umbrella")
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	ids := map[string]bool{}
	values := map[string]bool{}
	sample := map[indicator.Type]stix.Object{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Read(fh, filepath.Base(f), Options{Source: "401trg"}, func(r indicator.Record) error {
			o, err := indicator.ToSTIX(r, indicator.STIXOptions{})
			if err != nil {
				return err
			}
			ids[o.ID] = true
			values[r.Type.String()+"|"+r.Value] = true
			if _, ok := sample[r.Type]; !ok {
				sample[r.Type] = o
			}
			return nil
		})
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(ids) != len(values) {
		t.Errorf("%d distinct ids for %d distinct values", len(ids), len(values))
	}
	t.Logf("%d distinct indicators", len(ids))

	tool := filepath.Join(dir, "..", "..", "tools", "validate-stix")
	if _, err := os.Stat(tool); err != nil {
		t.Skip("validate-stix is not present")
	}
	if err := exec.Command("python3", "-c", "import jsonschema, referencing").Run(); err != nil {
		t.Skip("python3 with jsonschema is not installed")
	}
	var buf bytes.Buffer
	w := stix.NewWriter(&buf)
	for _, o := range sample {
		if err := w.Write(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "burning-umbrella.json")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command("python3", tool, out).CombinedOutput()
	if err != nil {
		t.Fatalf("validate-stix: %v\n%s", err, res)
	}
	t.Logf("%s", bytes.TrimSpace(res))
}

// BenchmarkImportPipelined is BenchmarkImport with the two stages an
// importer naturally runs on two cores: this package's reader (read,
// normalise, de-duplicate) in one goroutine, ToSTIX in another, handing
// records over in batches so the channel costs little.
func BenchmarkImportPipelined(b *testing.B) {
	const rows = 200000
	readbench.Pipelined(b, rows, synthetic(rows), benchRead)
}

// benchRead is this package's reader as readbench runs it.
func benchRead(r io.Reader, emit func(indicator.Record) error) error {
	_, err := Read(r, "bench.csv", Options{}, emit)
	return err
}

func TestMISPComposites(t *testing.T) {
	recs, sum := readFile(t, "testdata/misp-export.csv", Options{})
	type tvt struct {
		t    indicator.Type
		v    string
		tags string
	}
	var got []tvt
	for _, r := range recs {
		got = append(got, tvt{r.Type, r.Value, strings.Join(r.Tags, " ")})
	}
	want := []tvt{
		{indicator.Domain, "evil.example.com", ""},
		{indicator.IPv4, "203.0.113.5", ""},
		{indicator.IPv4, "198.51.100.9", "port:8443"},
		{indicator.FileName, "loader.dll", ""},
		{indicator.MD5, "d41d8cd98f00b204e9800998ecf8427e", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n got  %v\n want %v", got, want)
	}
	if sum.Rejected != 1 || sum.Errors[0].Line != 5 || sum.Errors[0].Reason != "bad composite" || sum.Duplicates != 1 {
		t.Errorf("summary %s %v", sum, sum.Errors)
	}
}
