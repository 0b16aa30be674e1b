package alertlog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/umbra-cti/umbra/stix"
)

// FuzzLoad feeds arbitrary file contents to the reader: it must never
// panic, and whatever it accepts must be served as valid JSON objects.
func FuzzLoad(f *testing.F) {
	good := `{"ts":"2018-03-06T09:49:15.000Z","uid":"C1","sensor":"s","where":"dns.query","indicator":"a.example","indicator_type":"domain","matched":"a.example","indicator_ids":[],"sources":["x"],"actors":[{"name":"APT41","confidence":70}],"tlp":"amber","recorded":"2026-11-26T10:00:00.000Z"}`
	f.Add([]byte(good + "\n"))
	f.Add([]byte(good + "\n" + good[:50]))
	f.Add([]byte(good + "\n{\"ts\":1}\n\n\x00\n"))
	f.Add([]byte(`{"ts":"2018-03-06T09:49:15Z","indicator_type":"x","tlp":"purple"}` + "\n"))
	f.Add([]byte(`{"ts":"2018-03-06T09:49:15Z","indicator_type":"x","retro":true,"intel_added":null,"related":[{"ts":"2018-03-06T09:49:15Z"}]}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, Dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, Dir, "2026-11-26.jsonl"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := l.Query(Filter{Clearance: stix.TLPRed}, 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range pg.Alerts {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("served invalid JSON %q: %v", b, err)
			}
		}
		st := l.Stats()
		if st.Alerts != len(pg.Alerts) && len(pg.Alerts) < 1000 {
			t.Fatalf("stats %d, query %d", st.Alerts, len(pg.Alerts))
		}
		if _, err := l.Histogram(Filter{Clearance: stix.TLPRed}, 3600e9, "actor"); err != nil && st.Alerts > 0 {
			// A histogram over alerts spread across centuries is refused, not a failure.
			t.Log(err)
		}
	})
}
