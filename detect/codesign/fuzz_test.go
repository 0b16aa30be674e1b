package codesign

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"os/exec"
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
	if _, err := exec.LookPath("osslsigncode"); err == nil {
		// Seeds that reach deep into the PKCS#7 path: a nested dual
		// signature with an RFC 3161 timestamp.
		p := newPKI(f)
		tsa := mint(f, p.dir, "tsa", certSpec{subject: pkix.Name{CommonName: "Fuzz TSA"}, usage: x509.ExtKeyUsageTimeStamping}, p.root)
		ts := []string{"-TSA-certs", tsa.certPath, "-TSA-key", tsa.keyPath, "-TSA-time", "1500000000"}
		one := osslsign(f, p.dir, testPE{company: "Acme"}.build(), p.signer, append(ts, "-h", "sha1")...)
		f.Add(one)
		f.Add(osslsign(f, p.dir, one, p.signer, append(ts, "-nest")...))
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

// FuzzStolenLoad feeds arbitrary text to the stolen-certificate list
// loader: it must not panic, every error must name the file, and whatever
// it accepted must be matchable.
func FuzzStolenLoad(f *testing.F) {
	f.Add([]byte("0F:66:84:2B\nsha1:" + strings.Repeat("ab", 20) + "\n# c\nbad!\n"))
	f.Add([]byte("Indicator,Type,Description,Reference\r\n0453F5E1437937,CODE SIGN CERT SERIAL,,http://x\r\nx.example,DOMAIN,,\r\n"))
	f.Add([]byte("Indicator,Type,\n\"unterminated,CODE SIGN CERT SERIAL\n"))
	if b, err := os.ReadFile("testdata/stolen.txt"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s StolenSet
		st := s.Load(bytes.NewReader(data), "list.txt")
		for _, err := range st.Errors {
			if !strings.HasPrefix(err.Error(), "list.txt") {
				t.Fatalf("error does not name the file: %v", err)
			}
		}
		if st.Added > 0 && s.Len() == 0 {
			t.Fatalf("added %d but the set is empty", st.Added)
		}
	})
}
