package codesign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file signs test PEs at test time with osslsigncode (and openssl
// for the self-signed case), using throwaway CAs written to t.TempDir().
// Certificates are minted with crypto/x509 because their validity periods
// must lie in the past, which openssl x509 -req cannot express.

// needTool skips the test when a signing tool is not installed.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install -y %s)", name, name)
	}
	return p
}

// testKeys hands out RSA keys; generating them dominates test time, so a
// few are made once and reused across certificates.
var testKeys struct {
	once sync.Once
	keys []*rsa.PrivateKey
	next int
	mu   sync.Mutex
}

func testKey(t testing.TB) *rsa.PrivateKey {
	testKeys.once.Do(func() {
		for i := 0; i < 4; i++ {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys.keys = append(testKeys.keys, k)
		}
	})
	testKeys.mu.Lock()
	defer testKeys.mu.Unlock()
	k := testKeys.keys[testKeys.next%len(testKeys.keys)]
	testKeys.next++
	return k
}

// testCert is a certificate with its key, written as PEM files.
type testCert struct {
	cert     *x509.Certificate
	key      crypto.Signer
	certPath string // the certificate followed by its issuers
	keyPath  string
}

type certSpec struct {
	subject   pkix.Name
	serial    *big.Int
	notBefore time.Time
	notAfter  time.Time
	ca        bool
	usage     x509.ExtKeyUsage
	ecdsa     bool // a P-256 key instead of RSA 2048
}

// mint issues spec under parent (nil for a self-signed root).
func mint(t testing.TB, dir, name string, spec certSpec, parent *testCert) *testCert {
	t.Helper()
	var key crypto.Signer = testKey(t)
	if spec.ecdsa {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	if spec.serial == nil {
		spec.serial = big.NewInt(time.Now().UnixNano())
	}
	if spec.notBefore.IsZero() {
		spec.notBefore = time.Now().Add(-24 * time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          spec.serial,
		Subject:               spec.subject,
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  spec.ca,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	switch {
	case spec.ca:
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	case spec.usage == x509.ExtKeyUsageTimeStamping:
		// RFC 3161 requires the timeStamping EKU to be critical and
		// osslsigncode enforces it; crypto/x509 only writes it
		// non-critical, so the extension is spelled out.
		v, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: v}}
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{spec.usage}
	}
	issuer, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCert{cert: cert, key: key,
		certPath: filepath.Join(dir, name+".crt"), keyPath: filepath.Join(dir, name+".key")}
	var chain bytes.Buffer
	pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	if parent != nil { // test hierarchies are one level deep
		pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: parent.cert.Raw})
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, tc.certPath, chain.Bytes())
	writeFile(t, tc.keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
	return tc
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// osslsign signs img with osslsigncode and returns the signed image.
func osslsign(t testing.TB, dir string, img []byte, signer *testCert, extra ...string) []byte {
	t.Helper()
	tool := needTool(t, "osslsigncode")
	in := filepath.Join(dir, "in-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".exe")
	out := in + ".signed"
	writeFile(t, in, img)
	args := append([]string{"sign", "-certs", signer.certPath, "-key", signer.keyPath, "-n", "umbra test"}, extra...)
	args = append(args, "-in", in, "-out", out)
	cmd := exec.Command(tool, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("osslsigncode %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// legacyTSA serves the pre-RFC 3161 Authenticode timestamp protocol on
// loopback, so osslsigncode -t can add a PKCS#9 countersignature: the
// request is base64 DER of SEQUENCE { OID, SEQUENCE { OID, [0] OCTET
// STRING signature } } and the response is base64 DER of a SignedData whose
// SignerInfo becomes the countersignature.
func legacyTSA(t testing.TB, tsa *testCert, at time.Time, style tsaStyle) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		der, err := base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, string(body)))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var req struct {
			Type asn1.ObjectIdentifier
			Blob struct {
				Type      asn1.ObjectIdentifier
				Signature []byte `asn1:"explicit,tag:0"`
			}
		}
		if _, err := asn1.Unmarshal(der, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		resp, err := countersign(tsa, req.Blob.Signature, at, style)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		io.WriteString(w, base64.StdEncoding.EncodeToString(resp))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// tsaStyle selects the quirks of real timestamp servers a test TSA copies.
type tsaStyle struct {
	// unsorted writes the signed attributes out of DER order, as old
	// VeriSign servers did.
	unsorted bool
	// bareHash signs the hash without the PKCS#1 DigestInfo, as
	// Symantec's legacy timestamp service did.
	bareHash bool
	// attrCert adds an attribute certificate ([1]) to the certificates,
	// as Microsoft's TSA does.
	attrCert bool
}

// countersign builds the legacy timestamp response: a SignedData by tsa
// whose signed attributes hash signature and claim signing time at.
func countersign(tsa *testCert, signature []byte, at time.Time, style tsaStyle) ([]byte, error) {
	d := sha256.Sum256(signature)
	mk := func(oid asn1.ObjectIdentifier, v any) attribute {
		b, err := asn1.Marshal(v)
		if err != nil {
			panic(err)
		}
		return attribute{Type: oid, Value: asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: b}}
	}
	attrs := []attribute{
		mk(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}),
		mk(oidAttributeSigningTime, at.UTC()),
		mk(oidAttributeDigest, d[:]),
	}
	if style.unsorted {
		// The longest first: DER would put it last.
		attrs[0], attrs[2] = attrs[2], attrs[0]
	}
	var body []byte
	for _, a := range attrs {
		b, err := asn1.Marshal(a)
		if err != nil {
			return nil, err
		}
		body = append(body, b...)
	}
	setDER, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSet, IsCompound: true, Bytes: body})
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(setDER)
	var sig []byte
	if style.bareHash {
		sig, err = rsa.SignPKCS1v15(rand.Reader, tsa.key.(*rsa.PrivateKey), 0, h[:])
	} else {
		sig, err = rsa.SignPKCS1v15(rand.Reader, tsa.key.(*rsa.PrivateKey), crypto.SHA256, h[:])
	}
	if err != nil {
		return nil, err
	}
	si := signerInfo{
		Version:                   1,
		IssuerAndSerialNumber:     issuerAndSerial{IssuerName: asn1.RawValue{FullBytes: tsa.cert.RawIssuer}, SerialNumber: tsa.cert.SerialNumber},
		DigestAlgorithm:           pkix.AlgorithmIdentifier{Algorithm: oidDigestSHA256, Parameters: asn1.NullRawValue},
		AuthenticatedAttributes:   attrs,
		DigestEncryptionAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1.NullRawValue},
		EncryptedDigest:           sig,
	}
	content, _ := asn1.Marshal(signature)
	// encoding/asn1 writes a RawValue verbatim and ignores "explicit", so
	// every [0] wrapper below is built by hand.
	explicit0 := func(b []byte) asn1.RawValue {
		return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: b}
	}
	sd := struct {
		Version          int
		DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
		ContentInfo      struct {
			ContentType asn1.ObjectIdentifier
			Content     asn1.RawValue
		}
		Certificates asn1.RawValue
		SignerInfos  []signerInfo `asn1:"set"`
	}{Version: 1, DigestAlgorithms: []pkix.AlgorithmIdentifier{si.DigestAlgorithm}, SignerInfos: []signerInfo{si}}
	sd.ContentInfo.ContentType = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	sd.ContentInfo.Content = explicit0(content)
	certs := tsa.cert.Raw
	if style.attrCert {
		// Any [1] element: x509.ParseCertificates rejects it either way.
		ac, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: []byte{0x02, 0x01, 0x01}})
		certs = append(append([]byte(nil), certs...), ac...)
	}
	sd.Certificates = explicit0(certs)
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue
	}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}, explicit0(sdDER)})
}

// osslVerify is what `osslsigncode verify` printed about a file.
type osslVerify struct {
	current, calculated string // message digests, uppercase hex
	subject, serial     string // of "Signer #0" under "Signer's certificate:"; "" after a digest mismatch
}

// runOsslVerify runs osslsigncode verify and parses its report. The exit
// status is ignored: chain verification may fail (untrusted or expired
// chains), but the digest and signer lines are printed first.
// caFile names a small trust file: without one osslsigncode loads the
// system bundle twice per call, which costs ~0.4 s.
func runOsslVerify(t testing.TB, path, caFile string) osslVerify {
	t.Helper()
	tool := needTool(t, "osslsigncode")
	out, _ := exec.Command(tool, "verify", "-CAfile", caFile, "-TSA-CAfile", caFile, "-in", path).CombinedOutput()
	var v osslVerify
	inSigner := false
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		key, val, _ := strings.Cut(line, ":")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if f := strings.Fields(val); len(f) > 0 && strings.HasSuffix(key, "message digest") {
			val = f[0] // a mismatch appends "MISMATCH!!!"
		}
		switch {
		case key == "Current message digest" && v.current == "":
			v.current = val
		case key == "Calculated message digest" && v.calculated == "":
			v.calculated = val
		case line == "Signer's certificate:":
			inSigner = true
		case inSigner && key == "Subject" && v.subject == "":
			v.subject = val
		case inSigner && key == "Serial" && v.serial == "":
			v.serial = val
			inSigner = false
		}
	}
	if v.calculated == "" {
		t.Fatalf("osslsigncode verify %s printed no digest:\n%s", path, out)
	}
	return v
}

// opensslName turns osslsigncode's "/CN=a/O=b" into RFC 4514 "CN=a,O=b"
// order. Good enough for test subjects, which contain no '/' or ','.
func opensslName(s string) string {
	parts := strings.Split(strings.TrimPrefix(s, "/"), "/")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ",")
}
