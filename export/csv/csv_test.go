package csv

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sample() []indicator.Indicator {
	return []indicator.Indicator{
		{Type: indicator.IPv4, Value: "221.216.5.6", Sources: []string{"misp", "401trg"}, Actors: []indicator.Actor{{Name: "APT17", Confidence: 70}}},
		{Type: indicator.Domain, Value: "update.example.com", Actors: []indicator.Actor{{Name: "Winnti", Confidence: 85}, {Name: "APT41", Confidence: 50}}},
		{Type: indicator.UserAgent, Value: `Mozilla/4.0 (compatible; "MSIE" 8.0, Win32)`, Sources: []string{"a,b"}},
		{Type: indicator.FileName, Value: "=HYPERLINK(\"http://x\")"},
		{Type: indicator.URL, Value: "http://c2.example.net/gate.php?a=1&b=2"},
	}
}

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	n, err := Write(&buf, slices.Values(sample()), Options{Description: "Burning Umbrella\nexport"})
	if err != nil || n != 5 {
		t.Fatal(n, err)
	}
	golden := filepath.Join("testdata", "small.csv")
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("output differs from %s (run with -update to accept):\n%s", golden, buf.Bytes())
	}
}

// Any CSV reader gets back exactly the values, including commas, quotes
// and line breaks.
func TestStructure(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Write(&buf, slices.Values(sample()), Options{Description: "multi\nline, \"quoted\"", Raw: true}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], []string{"indicator", "type", "sources", "actors", "description"}) {
		t.Fatalf("header %q", rows[0])
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, ind := range sample() {
		r := rows[i+1]
		if r[0] != ind.Value || indicator.ParseType(r[1]) != ind.Type || r[4] != "multi\nline, \"quoted\"" {
			t.Errorf("row %d = %q", i+1, r)
		}
	}
	if rows[1][2] != "401trg;misp" || rows[2][3] != "APT41 (50);Winnti (85)" || rows[3][2] != "a,b" {
		t.Errorf("sources/actors columns: %q %q %q", rows[1][2], rows[2][3], rows[3][2])
	}
}

func TestFormulaGuard(t *testing.T) {
	var buf bytes.Buffer
	Write(&buf, slices.Values(sample()), Options{})
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("cell %q would run as a formula", c)
			}
		}
	}
	if rows[4][0] != `'=HYPERLINK("http://x")` {
		t.Errorf("guarded cell %q", rows[4][0])
	}
}

func BenchmarkWrite(b *testing.B) {
	inds := slices.Repeat(sample(), 2000)
	for b.Loop() {
		Write(&bytes.Buffer{}, slices.Values(inds), Options{Description: "bench"})
	}
}
