package codesign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// FuzzScan feeds arbitrary bytes through the whole PE and PKCS#7 path.
// Panics inside third-party parsers are recovered and reported by design;
// a panic in this package, or a result that breaks the Result contract, is
// a bug.
func FuzzScan(f *testing.F) {
	f.Add(testPE{}.build())
	f.Add(testPE{company: "Acme Games", pe32plus: true}.build())
	f.Add([]byte("MZ"))
	f.Add([]byte("<html></html>"))
	if root := corpus.Root(); root != "" {
		dir := filepath.Join(root, "authenticode-pe", "authenticode-rs", "authenticode", "tests", "testdata")
		for _, name := range []string{"tiny32.signed.efi", "tiny64.signed.efi"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Scanner
		res, err := s.ScanBytes("fuzz.exe", data)
		if res.Verdict == "" || len(res.Verdicts) == 0 || res.Verdicts[0] != res.Verdict {
			t.Fatalf("verdict %q, verdicts %v", res.Verdict, res.Verdicts)
		}
		if (err != nil) != (res.Verdict == Failed) {
			t.Fatalf("error %v with verdict %s", err, res.Verdict)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.exe: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			if strings.Contains(err.Error(), "internal panic") {
				t.Fatal(err)
			}
			return
		}
		if res.Verdict != Skipped && res.Digest == "" {
			t.Fatalf("%s without a digest", res.Verdict)
		}
		for _, sg := range res.Signers {
			for _, p := range sg.Problems {
				if strings.Contains(p, "internal panic") {
					t.Fatal(p)
				}
			}
		}
	})
}
