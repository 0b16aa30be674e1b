package zeekparity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/intel/zeekintel"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// TestCasesTranscribed checks the hand transcription in cases against the
// corpus: every btest directory has a case, and every Intel::seen value,
// Intel::insert value and trace a case names appears in that btest's
// EXEC.txt (or, for inserted values, in its baseline).
func TestCasesTranscribed(t *testing.T) {
	dir := dataDir(t)
	entries, err := os.ReadDir(filepath.Join(dir, "cases"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]parityCase{}
	for _, c := range cases {
		byName[c.name] = c
	}
	for _, e := range entries {
		if e.IsDir() {
			if _, ok := byName[e.Name()]; !ok {
				t.Errorf("btest %s has no case", e.Name())
			}
		}
	}
	for _, c := range cases {
		caseDir := filepath.Join(dir, "cases", c.name)
		raw, err := os.ReadFile(filepath.Join(caseDir, "EXEC.txt"))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		// The excerpt wraps long calls over lines; compare with single spaces.
		exec := strings.Join(strings.Fields(string(raw)), " ")
		base, err := os.ReadFile(filepath.Join(caseDir, "baseline", c.baseline))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		for _, ph := range c.phases {
			for _, s := range ph.seen {
				want := "$host=" + s.host
				if s.host == "" {
					want = `$indicator="` + s.indicator + `", $indicator_type=` + s.zeekType
				}
				if !strings.Contains(exec, want) {
					t.Errorf("%s: EXEC.txt has no Intel::seen with %s", c.name, want)
				}
				if !strings.Contains(exec, "$where="+s.where) {
					t.Errorf("%s: EXEC.txt has no Intel::seen at %s", c.name, s.where)
				}
			}
			for _, it := range ph.inserts {
				if !strings.Contains(exec, `"`+it.value+`"`) {
					t.Errorf("%s: EXEC.txt does not insert %q", c.name, it.value)
				}
				if it.source != "" && strings.Contains(string(base), "\tsources\t") && !strings.Contains(string(base), it.source) {
					t.Errorf("%s: source %q of inserted %q is not in the baseline", c.name, it.source, it.value)
				}
			}
			for _, p := range ph.pcaps {
				if !strings.Contains(exec, "$TRACES/"+p) {
					t.Errorf("%s: EXEC.txt does not read %s", c.name, p)
				}
			}
			for _, f := range ph.intel {
				if _, err := os.Stat(filepath.Join(caseDir, "input", f)); err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
			}
		}
	}
}

// TestTypeTable checks the Intel::Type table against zeekintel, which must
// name the same Zeek type for each umbra type, and the where table against
// the event kinds the matcher labels.
func TestTypeTable(t *testing.T) {
	samples := map[string][]string{
		"Intel::ADDR":      {"1.2.3.4", "2001:db8::1"},
		"Intel::SUBNET":    {"10.0.0.0/8"},
		"Intel::DOMAIN":    {"example.com"},
		"Intel::URL":       {"example.com/a"},
		"Intel::EMAIL":     {"a@example.com"},
		"Intel::SOFTWARE":  {"curl/8"},
		"Intel::FILE_NAME": {"a.exe"},
		"Intel::CERT_HASH": {strings.Repeat("a", 40), strings.Repeat("a", 64)},
		"Intel::FILE_HASH": {strings.Repeat("a", 32), strings.Repeat("a", 40), strings.Repeat("a", 64)},
	}
	for zt, vals := range samples {
		for _, v := range vals {
			ut, ok := umbraType(zt, v)
			if !ok {
				t.Errorf("umbraType(%s, %q) has no umbra type", zt, v)
				continue
			}
			if back, ok := zeekintel.IntelType(ut); !ok || back != zt {
				t.Errorf("%s %q -> %s, which zeekintel names %q", zt, v, ut, back)
			}
		}
	}
	for _, zt := range []string{"Intel::USER_NAME", "Intel::PUBKEY_HASH"} {
		if ut, ok := umbraType(zt, "x"); ok {
			t.Errorf("umbraType(%s) = %s; umbra has no such type", zt, ut)
		}
	}
	for k, label := range whereLabels {
		kind, field, ok := strings.Cut(label, ".")
		if !ok || field == "" || event.ParseKind(kind) == event.KindUnknown {
			t.Errorf("%v -> %q is not a <kind>.<field> label", k, label)
		}
	}
}
