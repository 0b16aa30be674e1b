package codesign

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/umbra-cti/umbra/internal/corpus"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// TestGolden pins the text and JSON output users and tools read, for the
// signed and unsigned authenticode-rs files and a generated PE with version
// info. The clock is fixed so "expired" and its explanation are stable.
func TestGolden(t *testing.T) {
	dir := corpus.Path(t, "authenticode-pe", "authenticode-rs", "authenticode", "tests", "testdata")
	inputs := map[string][]byte{"company.exe": testPE{company: "Acme Games Co., Ltd."}.build()}
	for _, name := range []string{"tiny32.signed.efi", "tiny64.efi"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		inputs[name] = b
	}
	s := Scanner{Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	for name, b := range inputs {
		res, err := s.ScanBytes(name, b)
		if err != nil {
			t.Fatal(err)
		}
		var text, js bytes.Buffer
		if err := res.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		enc := json.NewEncoder(&js)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			t.Fatal(err)
		}
		for ext, got := range map[string][]byte{".txt": text.Bytes(), ".json": js.Bytes()} {
			path := filepath.Join("testdata", "golden", name+ext)
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs:\n got: %s\nwant: %s", path, got, want)
			}
		}
	}
}
