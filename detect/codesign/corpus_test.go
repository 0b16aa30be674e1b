package codesign

import (
	"bufio"
	"crypto"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// authenticodeRS is one line of authenticode-rs's EXPECTED.txt.
type authenticodeRS struct {
	file, format, sha1, sha256 string
}

var expectedLine = regexp.MustCompile(`^(\S+) \((PE32\+?)\): authenticode sha1=([0-9a-f]{40}) sha256=([0-9a-f]{64})`)
var expectedSerial = regexp.MustCompile(`serial ((?:[0-9A-F]{2}:)*[0-9A-F]{2})`)

// readExpected parses EXPECTED.txt: the per-file digests, and the signer
// serial stated once for both signed files.
func readExpected(t *testing.T, dir string) ([]authenticodeRS, string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "EXPECTED.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []authenticodeRS
	serial := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := expectedLine.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, authenticodeRS{m[1], m[2], m[3], m[4]})
		}
		if m := expectedSerial.FindStringSubmatch(sc.Text()); m != nil {
			serial = strings.ReplaceAll(m[1], ":", "")
		}
	}
	if len(out) == 0 || serial == "" {
		t.Fatalf("EXPECTED.txt: found %d digest lines and serial %q", len(out), serial)
	}
	return out, serial
}

func TestAuthenticodeRSCorpus(t *testing.T) {
	dir := corpus.Path(t, "authenticode-pe", "authenticode-rs")
	files := filepath.Join(dir, "authenticode", "tests", "testdata")
	expected, serial := readExpected(t, dir)
	for _, e := range expected {
		t.Run(e.file, func(t *testing.T) {
			signed, err := os.ReadFile(filepath.Join(files, e.file))
			if err != nil {
				t.Fatal(err)
			}
			unsigned, err := os.ReadFile(filepath.Join(files, strings.Replace(e.file, ".signed", "", 1)))
			if err != nil {
				t.Fatal(err)
			}
			// The signed file and its unsigned counterpart have the same
			// Authenticode digest: that is the point of the exclusions.
			for name, img := range map[string][]byte{"signed": signed, "unsigned": unsigned} {
				for h, want := range map[crypto.Hash]string{crypto.SHA1: e.sha1, crypto.SHA256: e.sha256} {
					got, err := ImageDigest(img, h)
					if err != nil || hex.EncodeToString(got) != want {
						t.Errorf("%s %v digest %x (%v), want %s", name, h, got, err, want)
					}
				}
			}
			res, err := (&Scanner{}).ScanBytes(e.file, signed)
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != e.format {
				t.Errorf("format %s, want %s", res.Format, e.format)
			}
			if res.DigestAlgorithm != "SHA256" || res.Digest != e.sha256 || !res.DigestMatches {
				t.Errorf("digest %s %s matches=%v, want SHA256 %s matching", res.DigestAlgorithm, res.Digest, res.DigestMatches, e.sha256)
			}
			s := res.Signers[0]
			if s.SignedDigest != e.sha256 || !s.SignatureVerified {
				t.Errorf("signed digest %s verified=%v", s.SignedDigest, s.SignatureVerified)
			}
			if s.Serial != serial || s.Subject != "CN=TestKey" || s.Issuer != "CN=TestKey" {
				t.Errorf("signer %s / %s / %s, want CN=TestKey serial %s", s.Subject, s.Issuer, s.Serial, serial)
			}
			if !res.Has(SelfSigned) || res.Has(Tampered) {
				t.Errorf("verdicts %v, want self-signed and not tampered", res.Verdicts)
			}
			ures, err := (&Scanner{}).ScanBytes(e.file, unsigned)
			if err != nil || ures.Verdict != Unsigned || ures.Digest != e.sha256 {
				t.Errorf("unsigned counterpart: %s %s (%v)", ures.Verdict, ures.Digest, err)
			}
		})
	}
}

// TestDamagedCertificateTable builds the error cases authenticode-rs tests
// by patching tiny64.signed.efi: a certificate table out of bounds, and
// WIN_CERTIFICATE lengths that are invalid, too small or too big. Each must
// be a tampered verdict, never an error or a panic.
func TestDamagedCertificateTable(t *testing.T) {
	path := corpus.Path(t, "authenticode-pe", "authenticode-rs", "authenticode", "tests", "testdata", "tiny64.signed.efi")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := parseLayout(orig)
	if err != nil || l.certTableSizeBytes == 0 {
		t.Fatalf("layout %+v, %v", l, err)
	}
	le := binary.LittleEndian
	cases := map[string]func(b []byte){
		"table out of bounds":  func(b []byte) { le.PutUint32(b[l.certDirOffset+4:], uint32(len(b))) },
		"table inside headers": func(b []byte) { le.PutUint32(b[l.certDirOffset:], 0x40) },
		"invalid length":       func(b []byte) { le.PutUint32(b[l.certTableOffset:], 0) },
		"length too small":     func(b []byte) { le.PutUint32(b[l.certTableOffset:], 9) },
		"length too big":       func(b []byte) { le.PutUint32(b[l.certTableOffset:], uint32(l.certTableSizeBytes)+8) },
		"wrong type":           func(b []byte) { le.PutUint16(b[l.certTableOffset+6:], 1) },
		"garbage PKCS#7":       func(b []byte) { copy(b[l.certTableOffset+8:], "not DER at all") },
	}
	for name, patch := range cases {
		t.Run(name, func(t *testing.T) {
			b := append([]byte(nil), orig...)
			patch(b)
			res, err := (&Scanner{}).ScanBytes(name, b)
			if err != nil {
				t.Fatalf("error %v, want a tampered verdict", err)
			}
			if res.Verdict != Tampered || len(res.Problems)+len(signerProblems(res)) == 0 {
				t.Errorf("verdict %s problems %v, want tampered with a reason", res.Verdict, res.Problems)
			}
		})
	}
}
