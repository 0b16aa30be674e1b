package simulate

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// The PE files the scenario writes to pe/: one signed by the studio's own
// code-signing certificate (what codesign01 produces), one unsigned
// in-house tool, and the implant, signed with a certificate stolen from
// another game company — the Winnti umbrella's habit the report describes.
const (
	peLegitName    = "LanternPeakLauncher.exe"
	peUnsignedName = "AssetPackTool.exe"
	peImplantName  = "SteamworksPatch.exe"
)

// codeSigning is the throwaway PKI: a CA and two code-signing leaves.
type codeSigning struct {
	caCert, studioCert, stolenCert *x509.Certificate
	studioKey, stolenKey           *rsa.PrivateKey
}

// signingEpoch is when the certificates and signatures claim to be made:
// fixed, so that the same scenario is byte-identical however often it is
// generated.
var signingEpoch = time.Date(2017, 11, 2, 9, 0, 0, 0, time.UTC)

// StolenSerial is the serial number (uppercase hex, as Zeek and the
// Burning Umbrella lists print it) of the code-signing certificate the
// implant is signed with; the intel lists it as stolen.
const StolenSerial = "4D3A91F27C0E55B1"

var (
	pkiOnce sync.Once
	pki     codeSigning
	pkiErr  error
)

// loadPKI makes the certificates once per process: the keys come from a
// fixed-seed generator (Go's crypto/rsa no longer accepts a deterministic
// reader), so every run gets the same keys and certificates.
func loadPKI() (codeSigning, error) {
	pkiOnce.Do(func() { pki, pkiErr = newPKI() })
	return pki, pkiErr
}

func newPKI() (codeSigning, error) {
	r := rand.New(rand.NewChaCha8([32]byte{'u', 'm', 'b', 'r', 'a', '-', 's', 'i', 'm', 'u', 'l', 'a', 't', 'e'}))
	caKey, err := deterministicRSA(r, 2048)
	if err != nil {
		return codeSigning{}, err
	}
	studioKey, err := deterministicRSA(r, 2048)
	if err != nil {
		return codeSigning{}, err
	}
	stolenKey, err := deterministicRSA(r, 2048)
	if err != nil {
		return codeSigning{}, err
	}
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(0x5151),
		Subject:               pkix.Name{CommonName: "umbra simulate Code Signing CA", Organization: []string{"umbra simulation (not a real CA)"}},
		NotBefore:             signingEpoch.AddDate(-3, 0, 0),
		NotAfter:              signingEpoch.AddDate(7, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(nil, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return codeSigning{}, fmt.Errorf("simulate: CA certificate: %v", err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(serial *big.Int, org, country string, key *rsa.PrivateKey) (*x509.Certificate, error) {
		t := &x509.Certificate{
			SerialNumber: serial,
			Subject:      pkix.Name{CommonName: org, Organization: []string{org}, Country: []string{country}},
			NotBefore:    signingEpoch.AddDate(-1, 0, 0),
			NotAfter:     signingEpoch.AddDate(2, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		}
		der, err := x509.CreateCertificate(nil, t, caCert, &key.PublicKey, caKey)
		if err != nil {
			return nil, fmt.Errorf("simulate: certificate for %s: %v", org, err)
		}
		return x509.ParseCertificate(der)
	}
	studio, err := leaf(big.NewInt(0x1c0ffee5), "Lantern Peak Games", "US", studioKey)
	if err != nil {
		return codeSigning{}, err
	}
	serial, _ := new(big.Int).SetString(StolenSerial, 16)
	stolen, err := leaf(serial, "Moonfall Interactive Co. Ltd", "KR", stolenKey)
	if err != nil {
		return codeSigning{}, err
	}
	return codeSigning{caCert: caCert, studioCert: studio, stolenCert: stolen, studioKey: studioKey, stolenKey: stolenKey}, nil
}

// deterministicRSA builds an RSA key from primes drawn from r.
func deterministicRSA(r *rand.Rand, bits int) (*rsa.PrivateKey, error) {
	e := big.NewInt(65537)
	one := big.NewInt(1)
	prime := func() *big.Int {
		buf := make([]byte, bits/16)
		for {
			for i := range buf {
				buf[i] = byte(r.Uint32())
			}
			buf[0] |= 0xc0 // top two bits: the product has exactly bits bits
			buf[len(buf)-1] |= 1
			p := new(big.Int).SetBytes(buf)
			if !p.ProbablyPrime(20) {
				continue
			}
			if new(big.Int).GCD(nil, nil, e, new(big.Int).Sub(p, one)).Cmp(one) == 0 {
				return p
			}
		}
	}
	p, q := prime(), prime()
	for p.Cmp(q) == 0 {
		q = prime()
	}
	n := new(big.Int).Mul(p, q)
	phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
	d := new(big.Int).ModInverse(e, phi)
	if d == nil {
		return nil, fmt.Errorf("simulate: no RSA private exponent")
	}
	k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
	k.Precompute()
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("simulate: RSA key: %v", err)
	}
	return k, nil
}

// PE32 layout of the images buildPE writes.
const (
	peFileAlign   = 0x200
	peTextRVA     = 0x1000
	peOptOffset   = 0x58 // DOS header 0x40, "PE\0\0", COFF header
	peChecksum    = peOptOffset + 64
	peSecurityDir = peOptOffset + 96 + 4*8 // data directory 4
)

// buildPE writes a minimal valid PE32 GUI executable whose .text holds a
// "ret" and payload (so every file has its own hashes).
func buildPE(payload string, timestamp uint32) []byte {
	le := binary.LittleEndian
	text := make([]byte, peFileAlign*((len(payload)+16+peFileAlign-1)/peFileAlign))
	text[0], text[1], text[2] = 0x31, 0xc0, 0xc3 // xor eax,eax; ret
	copy(text[16:], payload)
	img := make([]byte, peFileAlign+len(text))
	copy(img, "MZ")
	le.PutUint32(img[0x3c:], 0x40)
	copy(img[0x40:], "PE\x00\x00")
	coff := img[0x44:]
	le.PutUint16(coff[0:], 0x14c) // i386
	le.PutUint16(coff[2:], 1)     // sections
	le.PutUint32(coff[4:], timestamp)
	le.PutUint16(coff[16:], 224)    // optional header size
	le.PutUint16(coff[18:], 0x0102) // executable, 32-bit
	opt := img[peOptOffset:]
	sizeOfImage := uint32(peTextRVA + (len(text)+0xfff)/0x1000*0x1000)
	le.PutUint16(opt[0:], 0x10b)
	opt[2] = 14
	le.PutUint32(opt[4:], uint32(len(text))) // SizeOfCode
	le.PutUint32(opt[16:], peTextRVA)        // AddressOfEntryPoint
	le.PutUint32(opt[20:], peTextRVA)        // BaseOfCode
	le.PutUint32(opt[24:], peTextRVA)        // BaseOfData
	le.PutUint32(opt[28:], 0x400000)         // ImageBase
	le.PutUint32(opt[32:], 0x1000)           // SectionAlignment
	le.PutUint32(opt[36:], peFileAlign)
	le.PutUint16(opt[40:], 6) // OS version
	le.PutUint16(opt[48:], 6) // subsystem version
	le.PutUint32(opt[56:], sizeOfImage)
	le.PutUint32(opt[60:], peFileAlign) // SizeOfHeaders
	le.PutUint16(opt[68:], 2)           // GUI
	le.PutUint16(opt[70:], 0x8140)      // NX, dynamic base, terminal-server aware
	le.PutUint32(opt[72:], 0x100000)
	le.PutUint32(opt[76:], 0x1000)
	le.PutUint32(opt[80:], 0x100000)
	le.PutUint32(opt[84:], 0x1000)
	le.PutUint32(opt[92:], 16) // NumberOfRvaAndSizes
	sec := img[peOptOffset+224:]
	copy(sec, ".text")
	le.PutUint32(sec[8:], uint32(len(payload)+16)) // VirtualSize
	le.PutUint32(sec[12:], peTextRVA)
	le.PutUint32(sec[16:], uint32(len(text)))
	le.PutUint32(sec[20:], peFileAlign)
	le.PutUint32(sec[36:], 0x60000020) // code, execute, read
	copy(img[peFileAlign:], text)
	return img
}

// imageDigest is the Authenticode hash of an unsigned image from buildPE:
// everything but the checksum and the security directory entry.
func imageDigest(img []byte) []byte {
	h := sha256.New()
	h.Write(img[:peChecksum])
	h.Write(img[peChecksum+4 : peSecurityDir])
	h.Write(img[peSecurityDir+8:])
	return h.Sum(nil)
}

// OIDs of Authenticode and PKCS #7 / #9, as DER content bytes.
var (
	oidSignedData     = []int{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256         = []int{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption  = []int{1, 2, 840, 113549, 1, 1, 1}
	oidSpcIndirect    = []int{1, 3, 6, 1, 4, 1, 311, 2, 1, 4}
	oidSpcPEImageData = []int{1, 3, 6, 1, 4, 1, 311, 2, 1, 15}
	oidSpcOpusInfo    = []int{1, 3, 6, 1, 4, 1, 311, 2, 1, 12}
	oidContentType    = []int{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest  = []int{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime    = []int{1, 2, 840, 113549, 1, 9, 5}
)

// signPE appends an Authenticode signature by cert/key (chain: ca) to img.
// The PKCS #7 SignedData is encoded here rather than with a PKCS #7
// library because those stamp the signing time with the wall clock, and
// the scenario must be byte-identical for a seed.
func signPE(img []byte, cert, ca *x509.Certificate, key *rsa.PrivateKey, at time.Time) ([]byte, error) {
	digest := imageDigest(img)
	// SpcIndirectDataContent: SpcPeImageData with the "<<<Obsolete>>>"
	// file link every signer writes, then the image DigestInfo.
	obsolete := []byte{}
	for _, c := range "<<<Obsolete>>>" {
		obsolete = append(obsolete, 0, byte(c))
	}
	peImageData := seq(tlv(0x03, []byte{0}), tlv(0xa0, tlv(0xa2, tlv(0x80, obsolete))))
	indirect := seq(
		seq(oid(oidSpcPEImageData), peImageData),
		seq(seq(oid(oidSHA256), tlv(0x05, nil)), tlv(0x04, digest)),
	)
	// The message digest covers the content of the SEQUENCE, not its
	// tag and length (Authenticode's rule).
	_, body := splitTLV(indirect)
	contentDigest := sha256.Sum256(body)
	attrs := [][]byte{
		seq(oid(oidContentType), set(oid(oidSpcIndirect))),
		seq(oid(oidSigningTime), set(tlv(0x17, []byte(at.UTC().Format("060102150405Z"))))),
		seq(oid(oidSpcOpusInfo), set(seq())),
		seq(oid(oidMessageDigest), set(tlv(0x04, contentDigest[:]))),
	}
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 }) // DER SET OF order
	signedAttrs := set(attrs...)
	attrDigest := sha256.Sum256(signedAttrs)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, attrDigest[:])
	if err != nil {
		return nil, fmt.Errorf("simulate: signing: %v", err)
	}
	_, attrBody := splitTLV(signedAttrs)
	signer := seq(
		tlv(0x02, []byte{1}),
		seq(cert.RawIssuer, derInt(cert.SerialNumber.Bytes())),
		seq(oid(oidSHA256), tlv(0x05, nil)),
		tlv(0xa0, attrBody),
		seq(oid(oidRSAEncryption), tlv(0x05, nil)),
		tlv(0x04, sig),
	)
	signedData := seq(
		tlv(0x02, []byte{1}),
		set(seq(oid(oidSHA256), tlv(0x05, nil))),
		seq(oid(oidSpcIndirect), tlv(0xa0, indirect)),
		tlv(0xa0, append(append([]byte{}, cert.Raw...), ca.Raw...)),
		set(signer),
	)
	p7 := seq(oid(oidSignedData), tlv(0xa0, signedData))
	// WIN_CERTIFICATE, padded to 8 bytes, at the end of the file.
	n := 8 + len(p7)
	padded := (n + 7) &^ 7
	out := make([]byte, len(img), len(img)+padded)
	copy(out, img)
	wc := make([]byte, padded)
	binary.LittleEndian.PutUint32(wc[0:], uint32(n))
	binary.LittleEndian.PutUint16(wc[4:], 0x0200) // WIN_CERT_REVISION_2_0
	binary.LittleEndian.PutUint16(wc[6:], 0x0002) // WIN_CERT_TYPE_PKCS_SIGNED_DATA
	copy(wc[8:], p7)
	binary.LittleEndian.PutUint32(out[peSecurityDir:], uint32(len(img)))
	binary.LittleEndian.PutUint32(out[peSecurityDir+4:], uint32(padded))
	out = append(out, wc...)
	setChecksum(out)
	return out, nil
}

// setChecksum writes the optional header's CheckSum, computed as
// imagehlp's CheckSumMappedFile does: a folded 16-bit one's-complement
// style sum of the file (checksum field as zero) plus its length.
// Authenticode leaves the field out of the digest, so it is set last.
func setChecksum(img []byte) {
	binary.LittleEndian.PutUint32(img[peChecksum:], 0)
	var sum uint64
	for i := 0; i+1 < len(img); i += 2 {
		sum += uint64(binary.LittleEndian.Uint16(img[i:]))
		sum = (sum & 0xffff) + (sum >> 16)
	}
	if len(img)%2 == 1 {
		sum += uint64(img[len(img)-1])
		sum = (sum & 0xffff) + (sum >> 16)
	}
	sum = (sum & 0xffff) + (sum >> 16)
	binary.LittleEndian.PutUint32(img[peChecksum:], uint32(sum)+uint32(len(img)))
}

// Minimal DER building: enough for the fixed shapes above.

func tlv(tag byte, content []byte) []byte {
	out := []byte{tag}
	switch n := len(content); {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, content...)
}

// derInt encodes a non-negative big-endian magnitude as an INTEGER, with
// the leading zero byte DER needs when the top bit is set.
func derInt(mag []byte) []byte {
	if len(mag) == 0 || mag[0]&0x80 != 0 {
		mag = append([]byte{0}, mag...)
	}
	return tlv(0x02, mag)
}

func seq(parts ...[]byte) []byte { return tlv(0x30, bytes.Join(parts, nil)) }
func set(parts ...[]byte) []byte { return tlv(0x31, bytes.Join(parts, nil)) }

func oid(arcs []int) []byte {
	body := []byte{byte(arcs[0]*40 + arcs[1])}
	for _, a := range arcs[2:] {
		var enc []byte
		for {
			enc = append([]byte{byte(a & 0x7f)}, enc...)
			a >>= 7
			if a == 0 {
				break
			}
		}
		for i := 0; i < len(enc)-1; i++ {
			enc[i] |= 0x80
		}
		body = append(body, enc...)
	}
	return tlv(0x06, body)
}

// splitTLV returns the header and content of one DER element built by tlv.
func splitTLV(b []byte) (header, content []byte) {
	h := 2
	if b[1]&0x80 != 0 {
		h += int(b[1] & 0x7f)
	}
	return b[:h], b[h:]
}

// peFile is one generated PE with its hashes, for files.log and intel.
type peFile struct {
	name               string
	data               []byte
	md5, sha1, sha256  string
	signed, stolenCert bool
}

// buildPEs makes the scenario's three PE files.
func buildPEs() ([]peFile, error) {
	p, err := loadPKI()
	if err != nil {
		return nil, err
	}
	ts := uint32(signingEpoch.Unix())
	legit, err := signPE(buildPE("Lantern Peak launcher 2.4.1", ts), p.studioCert, p.caCert, p.studioKey, signingEpoch.AddDate(0, 3, 0))
	if err != nil {
		return nil, err
	}
	implant, err := signPE(buildPE("SteamworksPatch updater; cfg=lpg", ts+86400*90), p.stolenCert, p.caCert, p.stolenKey, signingEpoch.AddDate(0, 3, 10))
	if err != nil {
		return nil, err
	}
	unsigned := buildPE("asset pack tool 0.9 (internal build)", ts+86400*30)
	setChecksum(unsigned)
	files := []peFile{
		{name: peLegitName, data: legit, signed: true},
		{name: peUnsignedName, data: unsigned},
		{name: peImplantName, data: implant, signed: true, stolenCert: true},
	}
	for i := range files {
		files[i].md5, files[i].sha1, files[i].sha256 = hashes(files[i].data)
	}
	return files, nil
}
