package zeekintel

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// FuzzWrite feeds hostile values and descriptions: every row written must
// still be exactly four tab-separated, non-empty columns.
func FuzzWrite(f *testing.F) {
	f.Add("evil.example", "desc", "src", uint8(indicator.Domain))
	f.Add("a\tb", "x\ny", "", uint8(indicator.FileName))
	f.Add("http://h/\n#x", "", "\t", uint8(indicator.URL))
	f.Fuzz(func(t *testing.T, value, desc, source string, typ uint8) {
		ind := indicator.Indicator{Type: indicator.Type(typ), Value: value, Sources: []string{source},
			Actors: []indicator.Actor{{Name: desc, Confidence: 1}}}
		var buf bytes.Buffer
		sum, err := Write(&buf, slices.Values([]indicator.Indicator{ind}), Meta{Source: source, Description: desc})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if lines[0] != Header || len(lines)-1 != sum.Written || sum.Written+len(sum.Skipped) != 1 {
			t.Fatalf("summary %+v for output %q", sum, buf.String())
		}
		for _, l := range lines[1:] {
			cols := strings.Split(l, "\t")
			if len(cols) != 4 || l[0] == '#' {
				t.Fatalf("malformed row %q", l)
			}
			for _, c := range cols {
				if c == "" {
					t.Fatalf("empty column in %q", l)
				}
			}
		}
	})
}
