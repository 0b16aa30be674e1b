package csv

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// FuzzWrite checks that any value and description come back unchanged
// through a standard CSV reader when the formula guard is off.
func FuzzWrite(f *testing.F) {
	f.Add("evil.example", "desc", "src")
	f.Add("a,\"b\"\nc", "=cmd", "x;y")
	f.Fuzz(func(t *testing.T, value, desc, source string) {
		ind := indicator.Indicator{Type: indicator.Domain, Value: value, Sources: []string{source}}
		var buf bytes.Buffer
		if _, err := Write(&buf, slices.Values([]indicator.Indicator{ind}), Options{Description: desc, Raw: true}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("own output unreadable: %v", err)
		}
		// encoding/csv turns \r\n inside quoted fields into \n.
		norm := func(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte("\r\n"), []byte("\n"))) }
		if len(rows) != 2 || rows[1][0] != norm(value) || rows[1][2] != norm(source) || rows[1][4] != norm(desc) {
			t.Fatalf("rows %q for value %q desc %q", rows, value, desc)
		}
	})
}
