// Package codesign checks the Authenticode signatures of PE files: it
// computes the image digest itself, verifies the PKCS#7 signature and its
// timestamps, describes the signer and its chain, and flags the signs of the
// Winnti umbrella's tradecraft — binaries signed with stolen code-signing
// certificates, often for a publisher the file does not claim to be.
package codesign

import (
	"crypto"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// Verdict is one conclusion about a file's signature.
type Verdict string

// Verdicts, listed from the most to the least urgent; Result.Verdict is the
// first that applies. A stolen certificate ranks first because it is
// attribution evidence whatever else is true of the file; a broken
// signature next because the file is not what its signer shipped.
const (
	// StolenCertificate: the signer or a chain certificate is in the
	// stolen-certificate set.
	StolenCertificate Verdict = "stolen-certificate"
	// Tampered: the image digest differs from the signed one, the
	// signature does not verify or the signature is malformed.
	Tampered Verdict = "tampered"
	// Expired: the signer certificate was outside its validity at the
	// timestamp, or now when there is no verified timestamp.
	Expired Verdict = "expired"
	// SelfSigned: the signer certificate is its own issuer.
	SelfSigned Verdict = "self-signed"
	// PublisherMismatch: the version-info CompanyName names someone other
	// than the signer's organisation or common name.
	PublisherMismatch Verdict = "publisher-mismatch"
	// Valid: intact, verifying signature from an in-date, CA-issued
	// certificate. It says nothing about whether that CA is trusted.
	Valid Verdict = "valid"
	// Unsigned: the file has no Authenticode signature.
	Unsigned Verdict = "unsigned"
	// Skipped: the input is not a PE file.
	Skipped Verdict = "skipped"
	// Failed: the file could not be analysed; Result.Error says why.
	Failed Verdict = "error"
)

// verdictOrder ranks verdicts for choosing Result.Verdict.
var verdictOrder = []Verdict{StolenCertificate, Tampered, Expired, SelfSigned, PublisherMismatch, Valid, Unsigned}

// Certificate is the identity of one X.509 certificate as analysts quote
// it: names in RFC 4514 order, serial in uppercase hex, thumbprints in
// lowercase hex.
type Certificate struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	SHA1      string    `json:"sha1"`
	SHA256    string    `json:"sha256"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
}

// TimestampKind is the countersignature format a timestamp came in.
type TimestampKind string

// The two countersignature formats Authenticode uses.
const (
	TimestampPKCS9   TimestampKind = "pkcs9-countersignature" // legacy, unsigned attribute 1.2.840.113549.1.9.6
	TimestampRFC3161 TimestampKind = "rfc3161"                // unsigned attribute 1.3.6.1.4.1.311.3.3.1
)

// Timestamp is a countersignature proving when the signature existed.
type Timestamp struct {
	Kind     TimestampKind `json:"kind"`
	Time     time.Time     `json:"time"`
	Verified bool          `json:"verified"` // the countersignature covers this signature and verifies
	Signer   *Certificate  `json:"signer,omitempty"`
	Problem  string        `json:"problem,omitempty"`
}

// Signer is one Authenticode signature: the primary one, or a nested one
// (unsigned attribute 1.3.6.1.4.1.311.2.4.1, used for dual SHA-1/SHA-256
// signing).
type Signer struct {
	Certificate
	Nested            bool   `json:"nested,omitempty"`
	DigestAlgorithm   string `json:"digest_algorithm"`
	SignedDigest      string `json:"signed_digest"` // from SpcIndirectDataContent
	Digest            string `json:"digest"`        // computed over the file with DigestAlgorithm
	DigestMatches     bool   `json:"digest_matches"`
	SignatureVerified bool   `json:"signature_verified"`
	// SigningTime is the time of the first verified timestamp, else of the
	// first timestamp at all; nil without one.
	SigningTime *time.Time `json:"signing_time"`
	// ClaimedSigningTime is the signer's own PKCS#9 signingTime attribute:
	// shown for context, never trusted.
	ClaimedSigningTime *time.Time    `json:"claimed_signing_time,omitempty"`
	Timestamps         []Timestamp   `json:"timestamps,omitempty"`
	Chain              []Certificate `json:"chain"` // issuers above the signer, nearest first
	Stolen             []StolenCert  `json:"stolen,omitempty"`
	Problems           []string      `json:"problems,omitempty"`

	selfSigned bool
	expired    bool
	tampered   bool
	companyFit bool
}

// Result is everything a scan found about one file.
type Result struct {
	Path       string    `json:"path"`
	Verdict    Verdict   `json:"verdict"`
	Verdicts   []Verdict `json:"verdicts"`
	SizeBytes  int64     `json:"size_bytes"`
	SkipReason string    `json:"skip_reason,omitempty"`
	Error      string    `json:"error,omitempty"`
	Format     string    `json:"format,omitempty"` // PE32 or PE32+
	// DigestAlgorithm and Digest are the Authenticode image hash with the
	// primary signature's algorithm (SHA256 for unsigned files), and
	// DigestMatches whether it equals the signed one.
	DigestAlgorithm string   `json:"digest_algorithm,omitempty"`
	Digest          string   `json:"digest,omitempty"`
	DigestMatches   bool     `json:"digest_matches"`
	CompanyName     string   `json:"company_name,omitempty"`
	Signers         []Signer `json:"signers"`
	Problems        []string `json:"problems,omitempty"`
}

// Has reports whether v is among the result's verdicts.
func (r Result) Has(v Verdict) bool {
	for _, x := range r.Verdicts {
		if x == v {
			return true
		}
	}
	return false
}

// DefaultMaxSizeBytes bounds the files Scan reads into memory; larger files
// are reported as errors rather than exhausting a sensor's memory.
const DefaultMaxSizeBytes = 256 << 20

// Scanner holds what a scan needs besides the file. The zero value scans
// with an empty stolen set, the wall clock and DefaultMaxSizeBytes.
type Scanner struct {
	Stolen       *StolenSet
	Now          func() time.Time // reference time for "expired" without a timestamp
	MaxSizeBytes int64
	Workers      int // files Walk scans at once; 0 means GOMAXPROCS
}

// Scan checks one file with a zero Scanner plus stolen. See Scanner.Scan.
func Scan(path string, r io.ReaderAt, size int64, stolen *StolenSet) (Result, error) {
	s := Scanner{Stolen: stolen}
	return s.Scan(path, r, size)
}

// Scan checks the file of size bytes in r, named path in the result and in
// errors. Non-PE input gives a Skipped result and no error. The error is
// non-nil only when the file could not be analysed (unreadable, malformed
// headers, a parser panic); the result then has Verdict Failed and says
// why. Findings — tampered, expired, stolen — are verdicts, not errors.
func (s *Scanner) Scan(path string, r io.ReaderAt, size int64) (res Result, err error) {
	res = Result{Path: path, SizeBytes: size, Signers: []Signer{}}
	fail := func(e error) (Result, error) {
		res.Verdict, res.Verdicts, res.Error = Failed, []Verdict{Failed}, e.Error()
		return res, e
	}
	defer func() {
		// Third-party parsers see hostile bytes; a panic in one of them
		// must cost one file, not the scan.
		if p := recover(); p != nil {
			res, err = fail(fmt.Errorf("%s: %s: %v", path, panicSite(), p))
		}
	}()
	var magic [2]byte
	if size < 2 {
		return s.skip(res, "not a PE file: too short"), nil
	}
	if n, err := r.ReadAt(magic[:], 0); n < len(magic) {
		return fail(fmt.Errorf("%s: reading the header: %v", path, err))
	}
	if magic != [2]byte{'M', 'Z'} {
		// Most of an extraction folder is HTML, scripts and images: decide
		// from two bytes instead of reading them whole.
		return s.skip(res, "not a PE file: no MZ header"), nil
	}
	limit := s.MaxSizeBytes
	if limit <= 0 {
		limit = DefaultMaxSizeBytes
	}
	if size > limit {
		return fail(fmt.Errorf("%s: %d bytes is over the %d-byte limit", path, size, limit))
	}
	data := make([]byte, size)
	if n, err := r.ReadAt(data, 0); n < len(data) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return fail(fmt.Errorf("%s: read %d of %d bytes: %v", path, n, size, err))
	}
	return s.scanBytes(res, data)
}

// panicSite names the function that panicked, for the error message and
// so fuzzing can tell a third-party parser's panic (reported, by design)
// from one in this package (a bug). Call it only from a deferred recover.
func panicSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			if strings.HasPrefix(f.Function, thisPackage) {
				return "internal panic in " + f.Function
			}
			return "parser panic in " + f.Function
		}
		if !more {
			return "panic"
		}
	}
}

const thisPackage = "github.com/umbra-cti/umbra/detect/codesign."

func (s *Scanner) skip(res Result, reason string) Result {
	res.Verdict, res.Verdicts, res.SkipReason = Skipped, []Verdict{Skipped}, reason
	return res
}

// ScanBytes checks a PE image already in memory.
func (s *Scanner) ScanBytes(path string, data []byte) (res Result, err error) {
	res = Result{Path: path, SizeBytes: int64(len(data)), Signers: []Signer{}}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %s: %v", path, panicSite(), p)
			res.Verdict, res.Verdicts, res.Error = Failed, []Verdict{Failed}, err.Error()
		}
	}()
	return s.scanBytes(res, data)
}

func (s *Scanner) scanBytes(res Result, data []byte) (Result, error) {
	l, err := parseLayout(data)
	var notPE errNotPE
	if errors.As(err, &notPE) {
		return s.skip(res, notPE.Error()), nil
	}
	if err != nil {
		err = fmt.Errorf("%s: %v", res.Path, err)
		res.Verdict, res.Verdicts, res.Error = Failed, []Verdict{Failed}, err.Error()
		return res, err
	}
	res.Format = "PE32"
	if l.is64 {
		res.Format = "PE32+"
	}
	if name, err := companyName(data); err != nil {
		res.Problems = append(res.Problems, "version info: "+err.Error())
	} else {
		res.CompanyName = name
	}
	// damaged collects why a certificate directory that is present cannot
	// be used.
	var damaged []string
	if l.certTableErr != nil {
		damaged = append(damaged, l.certTableErr.Error())
	}
	var signed []byte
	if l.certTableSizeBytes > 0 {
		certs, err := certificates(data, l)
		if err != nil {
			damaged = append(damaged, err.Error())
		}
		for _, c := range certs {
			if c.certType == winCertTypePKCSSignedData {
				signed = c.content
				break
			}
			damaged = append(damaged, fmt.Sprintf("offset 0x%x: WIN_CERTIFICATE type 0x%x is not PKCS#7 signed data", c.offset, c.certType))
		}
	}
	res.Problems = append(res.Problems, damaged...)
	if signed == nil {
		res.DigestAlgorithm = "SHA256"
		res.Digest = hex.EncodeToString(digest(data, l, crypto.SHA256))
		if len(damaged) > 0 {
			// A certificate directory that points at nothing usable is a
			// damaged signature, not an unsigned file.
			res.Verdicts = []Verdict{Tampered}
		} else {
			res.Verdicts = []Verdict{Unsigned}
		}
		res.Verdict = res.Verdicts[0]
		return res, nil
	}

	digests := map[crypto.Hash]string{}
	digestOf := func(h crypto.Hash) string {
		d, ok := digests[h]
		if !ok {
			d = hex.EncodeToString(digest(data, l, h))
			digests[h] = d
		}
		return d
	}
	signers, err := s.signatures(signed, digestOf, res.CompanyName, false, 0)
	res.Signers = append(res.Signers, signers...)
	if err != nil {
		res.Problems = append(res.Problems, "signature: "+err.Error())
		res.DigestAlgorithm = "SHA256"
		res.Digest = digestOf(crypto.SHA256)
		res.Verdicts = []Verdict{Tampered}
		res.Verdict = Tampered
		return res, nil
	}
	primary := res.Signers[0]
	res.DigestAlgorithm, res.Digest, res.DigestMatches = primary.DigestAlgorithm, primary.Digest, primary.DigestMatches
	res.Verdicts = verdicts(res)
	res.Verdict = res.Verdicts[0]
	return res, nil
}

// verdicts derives the applicable verdicts, most urgent first. The primary
// signature decides integrity and validity; any signature's certificates
// can match the stolen set.
func verdicts(res Result) []Verdict {
	p := res.Signers[0]
	set := map[Verdict]bool{}
	for _, sg := range res.Signers {
		if len(sg.Stolen) > 0 {
			set[StolenCertificate] = true
		}
	}
	switch {
	case p.tampered:
		set[Tampered] = true
	default:
		if p.expired {
			set[Expired] = true
		}
		if p.selfSigned {
			set[SelfSigned] = true
		}
		if !p.expired && !p.selfSigned {
			set[Valid] = true
		}
	}
	if res.CompanyName != "" && !p.companyFit && p.Subject != "" {
		set[PublisherMismatch] = true
	}
	var out []Verdict
	for _, v := range verdictOrder {
		if set[v] {
			out = append(out, v)
		}
	}
	return out
}

// maxNesting bounds nested signatures, which a hostile file could chain.
const maxNesting = 4

// signatures analyses one PKCS#7 Authenticode blob and, recursively, the
// signatures nested in its signer's unsigned attributes. A non-nil error
// means the blob itself is unusable.
func (s *Scanner) signatures(blob []byte, digestOf func(crypto.Hash) string, company string, nested bool, depth int) ([]Signer, error) {
	p7, err := parsePKCS7(blob)
	if err != nil {
		return nil, fmt.Errorf("PKCS#7: %v", err)
	}
	if len(p7.Signers) != 1 {
		return nil, fmt.Errorf("PKCS#7 has %d signers, Authenticode requires 1", len(p7.Signers))
	}
	var di digestInfo
	{
		// p7.Content is the body of SpcIndirectDataContent: the
		// SpcAttributeTypeAndOptionalValue, then the DigestInfo.
		var data asn1.RawValue
		rest, err := asn1.Unmarshal(p7.Content, &data)
		if err == nil {
			_, err = asn1.Unmarshal(rest, &di)
		}
		if err != nil {
			return nil, fmt.Errorf("SpcIndirectDataContent: %v", err)
		}
	}
	h, hname, err := hashByOID(di.Algorithm.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("SpcIndirectDataContent: %v", err)
	}
	ps := fromPKCS7(p7, 0)
	sg := Signer{
		Nested:          nested,
		DigestAlgorithm: hname,
		SignedDigest:    hex.EncodeToString(di.Digest),
		Digest:          digestOf(h),
		Chain:           []Certificate{},
	}
	sg.DigestMatches = sg.Digest == sg.SignedDigest
	if !sg.DigestMatches {
		sg.tampered = true
		sg.Problems = append(sg.Problems, fmt.Sprintf("image digest %s does not match the signed %s", sg.Digest, sg.SignedDigest))
	}
	if t, ok := claimedSigningTime(ps); ok {
		sg.ClaimedSigningTime = &t
	}
	leaf := findCert(p7.Certificates, ps.issuer, ps.serial)
	if leaf == nil {
		sg.tampered = true
		sg.Serial = formatSerial(ps.serial)
		sg.Problems = append(sg.Problems, fmt.Sprintf("signer certificate (serial %s) is not in the signature", sg.Serial))
		return []Signer{sg}, nil
	}
	sg.Certificate = describe(leaf)
	switch err := verifySigner(ps, leaf, p7.Content); {
	case err == nil:
		sg.SignatureVerified = true
	case errors.Is(err, errInsecureAlgorithm):
		sg.Problems = append(sg.Problems, err.Error())
	default:
		sg.tampered = true
		sg.Problems = append(sg.Problems, err.Error())
	}
	sg.Timestamps = timestamps(ps, p7.Certificates)
	for i := range sg.Timestamps {
		if sg.Timestamps[i].Verified {
			t := sg.Timestamps[i].Time
			sg.SigningTime = &t
			break
		}
	}
	if sg.SigningTime == nil && len(sg.Timestamps) > 0 {
		if t := sg.Timestamps[0].Time; !t.IsZero() {
			sg.SigningTime = &t
		}
		sg.Problems = append(sg.Problems, "timestamp does not verify: "+sg.Timestamps[0].Problem)
	}
	ref := time.Now()
	if s.Now != nil {
		ref = s.Now()
	}
	for _, ts := range sg.Timestamps {
		if ts.Verified {
			ref = ts.Time
			break
		}
	}
	if p := validAt(leaf, ref); p != "" {
		sg.expired = true
		sg.Problems = append(sg.Problems, "signer "+p)
	}
	sg.selfSigned = selfSigned(leaf)
	chain := chainOf(leaf, p7.Certificates)
	sg.companyFit = publisherFits(company, leaf) || signsForOthers(leaf, chain)
	sg.Stolen = s.Stolen.Match(sg.Certificate)
	for _, c := range chain {
		d := describe(c)
		sg.Chain = append(sg.Chain, d)
		sg.Stolen = append(sg.Stolen, s.Stolen.Match(d)...)
	}
	out := []Signer{sg}
	if depth >= maxNesting {
		return out, nil
	}
	for _, raw := range attrValues(ps.unsigned, oidNestedSignature) {
		inner, err := s.signatures(raw, digestOf, company, true, depth+1)
		if err != nil {
			out[0].Problems = append(out[0].Problems, "nested signature: "+err.Error())
			continue
		}
		out = append(out, inner...)
	}
	return out, nil
}
