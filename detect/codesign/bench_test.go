package codesign

import (
	"crypto"
	"os"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// signedCorpusExe signs osslsigncode's 96 KB unsigned.exe with a throwaway
// CA, a realistic size for the droppers and loaders the scan targets.
func signedCorpusExe(b *testing.B) []byte {
	path := corpus.Path(b, "authenticode-pe", "osslsigncode", "tests", "files", "unsigned.exe")
	img, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	p := newPKI(b)
	return osslsign(b, p.dir, img, p.signer)
}

// BenchmarkScanSigned is the whole per-file path: layout, version info,
// digest, PKCS#7 parse, signature, chain and stolen-set checks.
func BenchmarkScanSigned(b *testing.B) {
	signed := signedCorpusExe(b)
	var stolen StolenSet
	stolen.Add(MatchSerial, "0F66842B4F9C458B72136F0AE96924B7", "bench", "")
	s := Scanner{Stolen: &stolen}
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.ScanBytes("bench.exe", signed)
		if err != nil || res.Verdict != Valid {
			b.Fatalf("%s %v", res.Verdict, err)
		}
	}
}

// BenchmarkImageDigest isolates the Authenticode hash, which dominates
// large files.
func BenchmarkImageDigest(b *testing.B) {
	signed := signedCorpusExe(b)
	b.SetBytes(int64(len(signed)))
	for b.Loop() {
		if _, err := ImageDigest(signed, crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}
