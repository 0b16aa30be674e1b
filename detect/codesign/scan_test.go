package codesign

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// pki is the throwaway hierarchy the signing tests share.
type pki struct {
	dir    string
	root   *testCert
	signer *testCert // "CN=Acme Games,O=Acme Games Ltd", valid now
}

func newPKI(t testing.TB) pki {
	t.Helper()
	needTool(t, "osslsigncode")
	dir := t.TempDir()
	root := mint(t, dir, "root", certSpec{subject: pkix.Name{CommonName: "Umbra Test Root", Organization: []string{"Throwaway"}}, ca: true}, nil)
	signer := mint(t, dir, "acme", certSpec{
		subject: pkix.Name{CommonName: "Acme Games", Organization: []string{"Acme Games Ltd"}},
		usage:   x509.ExtKeyUsageCodeSigning,
	}, root)
	return pki{dir: dir, root: root, signer: signer}
}

// scanSigned scans b after writing it to disk, and checks parity with
// osslsigncode verify on the same file: same computed digest, same signed
// digest, same signer subject and serial.
func scanSigned(t *testing.T, p pki, b []byte, stolen *StolenSet) Result {
	t.Helper()
	path := filepath.Join(p.dir, "scan-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".exe")
	writeFile(t, path, b)
	sc := Scanner{Stolen: stolen}
	res, err := sc.Scan(path, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(res.Signers) == 0 {
		t.Fatalf("no signers: %+v", res)
	}
	v := runOsslVerify(t, path, p.root.certPath)
	if !strings.EqualFold(v.calculated, res.Digest) {
		t.Errorf("digest %s, osslsigncode calculated %s", res.Digest, v.calculated)
	}
	if !strings.EqualFold(v.current, res.Signers[0].SignedDigest) {
		t.Errorf("signed digest %s, osslsigncode current %s", res.Signers[0].SignedDigest, v.current)
	}
	if v.subject == "" && res.DigestMatches {
		t.Errorf("osslsigncode printed no signer for a file whose digest matches")
	}
	if v.subject != "" {
		if got, want := res.Signers[0].Subject, opensslName(v.subject); got != want {
			t.Errorf("subject %q, osslsigncode %q", got, want)
		}
		if got := res.Signers[0].Serial; got != v.serial {
			t.Errorf("serial %q, osslsigncode %q", got, v.serial)
		}
	}
	return res
}

func wantVerdicts(t *testing.T, res Result, want ...Verdict) {
	t.Helper()
	if !slices.Equal(res.Verdicts, want) {
		t.Fatalf("verdicts %v, want %v; signer problems %v; problems %v", res.Verdicts, want, signerProblems(res), res.Problems)
	}
	if res.Verdict != want[0] {
		t.Fatalf("primary verdict %s, want %s", res.Verdict, want[0])
	}
}

func signerProblems(res Result) []string {
	var out []string
	for _, s := range res.Signers {
		out = append(out, s.Problems...)
	}
	return out
}

func TestScanValid(t *testing.T) {
	p := newPKI(t)
	img := testPE{company: "Acme Games Co., Ltd."}.build()
	res := scanSigned(t, p, osslsign(t, p.dir, img, p.signer), nil)
	wantVerdicts(t, res, Valid)
	s := res.Signers[0]
	if !res.DigestMatches || !s.SignatureVerified {
		t.Errorf("digest_matches=%v signature_verified=%v", res.DigestMatches, s.SignatureVerified)
	}
	if s.Serial != fmt.Sprintf("%X", p.signer.cert.SerialNumber.Bytes()) {
		t.Errorf("serial %s, certificate has %X", s.Serial, p.signer.cert.SerialNumber.Bytes())
	}
	if th := sha1.Sum(p.signer.cert.Raw); s.SHA1 != hex.EncodeToString(th[:]) {
		t.Errorf("sha1 thumbprint %s, want %x", s.SHA1, th)
	}
	if !s.NotAfter.Equal(p.signer.cert.NotAfter) || !s.NotBefore.Equal(p.signer.cert.NotBefore) {
		t.Errorf("validity %s..%s, want %s..%s", s.NotBefore, s.NotAfter, p.signer.cert.NotBefore, p.signer.cert.NotAfter)
	}
	if len(s.Chain) != 1 || s.Chain[0].Subject != "CN=Umbra Test Root,O=Throwaway" {
		t.Errorf("chain %+v, want the test root", s.Chain)
	}
	if s.SigningTime != nil {
		t.Errorf("signing_time %v without a timestamp", s.SigningTime)
	}
	if res.CompanyName != "Acme Games Co., Ltd." {
		t.Errorf("company name %q", res.CompanyName)
	}
	// The signature removes nothing from the image: the unsigned and the
	// signed file have the same Authenticode digest.
	d, err := ImageDigest(img, crypto.SHA256)
	if err != nil || hex.EncodeToString(d) != res.Digest {
		t.Errorf("unsigned image digest %x (%v), signed %s", d, err, res.Digest)
	}
}

func TestScanTampered(t *testing.T) {
	p := newPKI(t)
	signed := osslsign(t, p.dir, testPE{}.build(), p.signer)
	signed[testTextOff+0x40] ^= 0xff // one byte of code
	res := scanSigned(t, p, signed, nil)
	wantVerdicts(t, res, Tampered)
	if res.DigestMatches {
		t.Error("digest_matches after flipping a code byte")
	}
	if !res.Signers[0].SignatureVerified {
		t.Error("the PKCS#7 signature itself is intact and should verify")
	}
}

func TestScanBrokenSignature(t *testing.T) {
	p := newPKI(t)
	signed := osslsign(t, p.dir, testPE{}.build(), p.signer)
	// Flip a byte of the RSA signature value: the EncryptedDigest is the
	// last 256-byte OCTET STRING of the signer's key size in the blob.
	i := bytes.LastIndex(signed, []byte{0x04, 0x82, 0x01, 0x00})
	if i < 0 {
		t.Fatal("no 256-byte OCTET STRING in the signature")
	}
	signed[i+4+100] ^= 0x01
	res, err := (&Scanner{}).ScanBytes("broken", signed)
	if err != nil {
		t.Fatal(err)
	}
	wantVerdicts(t, res, Tampered)
	if !res.DigestMatches || res.Signers[0].SignatureVerified {
		t.Errorf("digest_matches=%v signature_verified=%v, want true/false", res.DigestMatches, res.Signers[0].SignatureVerified)
	}
}

var (
	past2015 = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	past2016 = time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	mid2015  = time.Date(2015, 6, 15, 12, 0, 0, 0, time.UTC)
)

func expiredSigner(t *testing.T, p pki) *testCert {
	return mint(t, p.dir, "expired", certSpec{
		subject:   pkix.Name{CommonName: "Acme Games", Organization: []string{"Acme Games Ltd"}},
		notBefore: past2015, notAfter: past2016,
		usage: x509.ExtKeyUsageCodeSigning,
	}, p.root)
}

func TestScanExpiredWithoutTimestamp(t *testing.T) {
	p := newPKI(t)
	old := expiredSigner(t, p)
	// -time sets the signer's own signingTime attribute inside the
	// validity; it proves nothing and must not rescue the signature.
	signed := osslsign(t, p.dir, testPE{}.build(), old, "-time", strconv.FormatInt(mid2015.Unix(), 10))
	res := scanSigned(t, p, signed, nil)
	wantVerdicts(t, res, Expired)
	s := res.Signers[0]
	if s.ClaimedSigningTime == nil || !s.ClaimedSigningTime.Equal(mid2015) {
		t.Errorf("claimed signing time %v, want %v", s.ClaimedSigningTime, mid2015)
	}
	if s.SigningTime != nil {
		t.Errorf("signing_time %v without a timestamp", s.SigningTime)
	}
}

func TestScanExpiredRescuedByRFC3161Timestamp(t *testing.T) {
	p := newPKI(t)
	old := expiredSigner(t, p)
	tsa := mint(t, p.dir, "tsa", certSpec{subject: pkix.Name{CommonName: "Umbra Test TSA"},
		notBefore: past2015, notAfter: time.Now().Add(24 * time.Hour), usage: x509.ExtKeyUsageTimeStamping}, p.root)
	signed := osslsign(t, p.dir, testPE{}.build(), old,
		"-TSA-certs", tsa.certPath, "-TSA-key", tsa.keyPath, "-TSA-time", strconv.FormatInt(mid2015.Unix(), 10))
	res := scanSigned(t, p, signed, nil)
	wantVerdicts(t, res, Valid)
	s := res.Signers[0]
	if len(s.Timestamps) != 1 || s.Timestamps[0].Kind != TimestampRFC3161 || !s.Timestamps[0].Verified {
		t.Fatalf("timestamps %+v, want one verified RFC 3161 token", s.Timestamps)
	}
	if s.SigningTime == nil || !s.SigningTime.Equal(mid2015) {
		t.Errorf("signing_time %v, want %v", s.SigningTime, mid2015)
	}
	if s.Timestamps[0].Signer == nil || s.Timestamps[0].Signer.Subject != "CN=Umbra Test TSA" {
		t.Errorf("timestamp signer %+v", s.Timestamps[0].Signer)
	}

	// A timestamp after the certificate expired does not rescue it.
	late := osslsign(t, p.dir, testPE{}.build(), old,
		"-TSA-certs", tsa.certPath, "-TSA-key", tsa.keyPath, "-TSA-time", strconv.FormatInt(time.Now().Unix(), 10))
	wantVerdicts(t, scanSigned(t, p, late, nil), Expired)
}

func TestScanLegacyCountersignature(t *testing.T) {
	p := newPKI(t)
	old := expiredSigner(t, p)
	tsa := mint(t, p.dir, "tsa", certSpec{subject: pkix.Name{CommonName: "Umbra Test Legacy TSA"},
		notBefore: past2015, notAfter: time.Now().Add(24 * time.Hour), usage: x509.ExtKeyUsageTimeStamping}, p.root)
	for name, style := range map[string]tsaStyle{
		"DER":                          {},
		"VeriSign unsorted attributes": {unsorted: true},
		"Symantec bare hash":           {bareHash: true},
	} {
		t.Run(name, func(t *testing.T) {
			signed := osslsign(t, p.dir, testPE{}.build(), old, "-t", legacyTSA(t, tsa, mid2015, style))
			res := scanSigned(t, p, signed, nil)
			wantVerdicts(t, res, Valid)
			s := res.Signers[0]
			if len(s.Timestamps) != 1 || s.Timestamps[0].Kind != TimestampPKCS9 || !s.Timestamps[0].Verified {
				t.Fatalf("timestamps %+v, want one verified PKCS#9 countersignature", s.Timestamps)
			}
			if s.SigningTime == nil || !s.SigningTime.Equal(mid2015) {
				t.Errorf("signing_time %v, want %v", s.SigningTime, mid2015)
			}
		})
	}
}

// TestParsePKCS7AttributeCertificate: Microsoft's timestamp tokens carry
// an attribute certificate that pkcs7.Parse rejects; parsePKCS7 drops it
// and keeps the X.509 certificates.
func TestParsePKCS7AttributeCertificate(t *testing.T) {
	dir := t.TempDir()
	tsa := mint(t, dir, "tsa", certSpec{subject: pkix.Name{CommonName: "Umbra Test TSA"}, usage: x509.ExtKeyUsageTimeStamping}, nil)
	der, err := countersign(tsa, []byte("outer signature"), mid2015, tsaStyle{attrCert: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pkcs7.Parse(der); err == nil {
		t.Fatal("pkcs7.Parse accepted the attribute certificate; the workaround may be unnecessary")
	}
	p7, err := parsePKCS7(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(p7.Certificates) != 1 || !bytes.Equal(p7.Certificates[0].Raw, tsa.cert.Raw) {
		t.Errorf("kept %d certificates, want the TSA's", len(p7.Certificates))
	}
	if len(p7.Signers) != 1 || !bytes.Equal(p7.Content, []byte("outer signature")) {
		t.Errorf("signers %d content %q", len(p7.Signers), p7.Content)
	}
}

func TestScanSelfSigned(t *testing.T) {
	needTool(t, "openssl")
	p := newPKI(t)
	key, crt := filepath.Join(p.dir, "self.key"), filepath.Join(p.dir, "self.crt")
	cmd := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
		"-days", "30", "-subj", "/CN=Acme Games/O=Acme Games Ltd", "-addext", "extendedKeyUsage=codeSigning")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, b)
	}
	self := &testCert{certPath: crt, keyPath: key}
	res := scanSigned(t, p, osslsign(t, p.dir, testPE{company: "Acme Games"}.build(), self), nil)
	wantVerdicts(t, res, SelfSigned)
	if s := res.Signers[0]; s.Subject != s.Issuer || len(s.Chain) != 0 {
		t.Errorf("subject %q issuer %q chain %d", s.Subject, s.Issuer, len(s.Chain))
	}
}

func TestScanPublisherMismatch(t *testing.T) {
	p := newPKI(t)
	signed := osslsign(t, p.dir, testPE{company: "Microsoft Corporation"}.build(), p.signer)
	wantVerdicts(t, scanSigned(t, p, signed, nil), PublisherMismatch, Valid)
}

func TestScanStolenFixture(t *testing.T) {
	var stolen StolenSet
	f, err := os.Open("testdata/stolen.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st := stolen.Load(f, "testdata/stolen.txt")
	if st.Added != 3 || len(st.Errors) != 2 {
		t.Fatalf("load: added %d, errors %v; want 3 added and 2 errors", st.Added, st.Errors)
	}
	for i, line := range []string{"stolen.txt:6:", "stolen.txt:7:"} {
		if !strings.Contains(st.Errors[i].Error(), line) {
			t.Errorf("error %q does not name %s", st.Errors[i], line)
		}
	}
	p := newPKI(t) // the loader checks above run without osslsigncode
	// The fixture lists this serial with colons and lower case.
	serial, _ := new(big.Int).SetString("0F66842B4F9C458B72136F0AE96924B7", 16)
	thief := mint(t, p.dir, "thief", certSpec{subject: pkix.Name{CommonName: "Acme Games", Organization: []string{"Acme Games Ltd"}},
		serial: serial, usage: x509.ExtKeyUsageCodeSigning}, p.root)
	res := scanSigned(t, p, osslsign(t, p.dir, testPE{company: "Acme Games"}.build(), thief), &stolen)
	wantVerdicts(t, res, StolenCertificate, Valid)
	if m := res.Signers[0].Stolen; len(m) != 1 || m[0].Kind != MatchSerial || m[0].Source != "stolen.txt" {
		t.Errorf("stolen matches %+v", m)
	}
	// The legitimate signer is not in the list.
	clean := scanSigned(t, p, osslsign(t, p.dir, testPE{company: "Acme Games"}.build(), p.signer), &stolen)
	wantVerdicts(t, clean, Valid)
}

// TestScanStolenBurningUmbrella signs with a serial published in the
// Burning Umbrella report's Area 6 (PassCV stolen certificates) and loads
// that CSV as the stolen set.
func TestScanStolenBurningUmbrella(t *testing.T) {
	csvPath := corpus.Path(t, "401trg-burning-umbrella", "20180503_Burning_Umbrella_Area_6_indicators.csv")
	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	var serials []string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Split(line, ","); len(f) > 1 && f[1] == "CODE SIGN CERT SERIAL" {
			serials = append(serials, f[0])
		}
	}
	var stolen StolenSet
	st := stolen.Load(bytes.NewReader(raw), csvPath)
	if len(st.Errors) > 0 || st.Added != len(serials) || st.Ignored == 0 {
		t.Fatalf("load: %+v, want %d serials and the domain rows ignored", st, len(serials))
	}
	p := newPKI(t)
	last := serials[len(serials)-1]
	n, ok := new(big.Int).SetString(last, 16)
	if !ok {
		t.Fatalf("serial %q", last)
	}
	thief := mint(t, p.dir, "passcv", certSpec{subject: pkix.Name{CommonName: "Acme Games", Organization: []string{"Acme Games Ltd"}},
		serial: n, usage: x509.ExtKeyUsageCodeSigning}, p.root)
	res := scanSigned(t, p, osslsign(t, p.dir, testPE{company: "Microsoft Corporation"}.build(), thief), &stolen)
	wantVerdicts(t, res, StolenCertificate, PublisherMismatch, Valid)
	m := res.Signers[0].Stolen
	if len(m) != 1 || m[0].Value != last || !strings.Contains(m[0].Source, "Area_6") || m[0].Reference == "" {
		t.Errorf("stolen matches %+v, want serial %s from Area 6", m, last)
	}
}

func TestScanSHA1AndNested(t *testing.T) {
	p := newPKI(t)
	sha1Signed := osslsign(t, p.dir, testPE{pe32plus: true}.build(), p.signer, "-h", "sha1")
	res := scanSigned(t, p, sha1Signed, nil)
	wantVerdicts(t, res, Valid)
	if res.DigestAlgorithm != "SHA1" || len(res.Digest) != 40 || res.Format != "PE32+" {
		t.Errorf("algorithm %s digest %s format %s", res.DigestAlgorithm, res.Digest, res.Format)
	}
	dual := osslsign(t, p.dir, sha1Signed, p.signer, "-nest", "-h", "sha256")
	res = scanSigned(t, p, dual, nil)
	wantVerdicts(t, res, Valid)
	if len(res.Signers) != 2 || !res.Signers[1].Nested || res.Signers[1].DigestAlgorithm != "SHA256" || !res.Signers[1].DigestMatches {
		t.Fatalf("signers %+v, want a matching nested SHA256 signature", res.Signers)
	}
}

// TestScanOsslsigncodeCorpus signs osslsigncode's own unsigned.exe, whose
// length is not a multiple of 8 so the signer pads it before appending the
// signature.
func TestScanOsslsigncodeCorpus(t *testing.T) {
	path := corpus.Path(t, "authenticode-pe", "osslsigncode", "tests", "files", "unsigned.exe")
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&Scanner{}).ScanBytes(path, img)
	if err != nil {
		t.Fatal(err)
	}
	wantVerdicts(t, res, Unsigned)
	p := newPKI(t)
	signed := scanSigned(t, p, osslsign(t, p.dir, img, p.signer), nil)
	wantVerdicts(t, signed, Valid)
	// 96150 bytes is not a multiple of 8: the signer padded it, and the
	// padding is part of the signed digest.
	if len(img)%8 == 0 {
		t.Fatalf("unsigned.exe is %d bytes; this test needs an unaligned file", len(img))
	}
	padded := append(append([]byte(nil), img...), make([]byte, 8-len(img)%8)...)
	d, err := ImageDigest(padded, crypto.SHA256)
	if err != nil || hex.EncodeToString(d) != signed.Digest || res.Digest == signed.Digest {
		t.Errorf("unsigned %s, zero-padded %x (%v), signed %s", res.Digest, d, err, signed.Digest)
	}
}

// TestScanECDSA signs with a P-256 key, the other key type code-signing CAs
// issue, so the signer's digestEncryptionAlgorithm is ecPublicKey or
// ecdsa-with-SHA256 rather than RSA.
func TestScanECDSA(t *testing.T) {
	p := newPKI(t)
	ec := mint(t, p.dir, "ec", certSpec{subject: pkix.Name{CommonName: "Acme Games EC", Organization: []string{"Acme Games Ltd"}},
		usage: x509.ExtKeyUsageCodeSigning, ecdsa: true}, p.root)
	res := scanSigned(t, p, osslsign(t, p.dir, testPE{company: "Acme Games"}.build(), ec), nil)
	wantVerdicts(t, res, Valid)
	if !res.Signers[0].SignatureVerified {
		t.Errorf("ECDSA signature not verified: %v", res.Signers[0].Problems)
	}
}
