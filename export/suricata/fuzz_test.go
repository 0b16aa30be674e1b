package suricata

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// FuzzWrite feeds hostile user-agents and descriptions: the rules file
// must keep its rules intact and the dataset must hold the value exactly.
func FuzzWrite(f *testing.F) {
	f.Add("Mozilla/5.0", "desc")
	f.Add("a;\"b\"\n", `x"; sid:1; pcre:"/a/`)
	f.Fuzz(func(t *testing.T, value, desc string) {
		if value == "" {
			return
		}
		dir := t.TempDir()
		sum, err := Write(dir, slices.Values([]indicator.Indicator{{Type: indicator.UserAgent, Value: value}}), Options{Description: desc})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "umbra.rules"))
		if err != nil {
			t.Fatal(err)
		}
		rules := parseRules(t, data)
		if len(rules) != 1 || sum.Rules != 1 {
			t.Fatalf("%d rules from %q", len(rules), data)
		}
		if s, _ := rules[0].get("sid"); s != "1700000" {
			t.Fatalf("sid %q: description escaped its option in %s", s, data)
		}
		lst, _ := os.ReadFile(filepath.Join(dir, "umbra-user-agents.lst"))
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(lst)))
		if err != nil || string(b) != value {
			t.Fatalf("dataset holds %q, want %q", b, value)
		}
	})
}
