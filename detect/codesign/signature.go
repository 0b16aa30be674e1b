package codesign

import (
	"bytes"
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/smallstep/pkcs7"
)

// Object identifiers Authenticode uses beyond the ones pkcs7 exports.
var (
	oidNestedSignature      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 4, 1}
	oidRFC3161Timestamp     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 3, 3, 1}
	oidCounterSignature     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 6}
	oidDigestMD5            = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
	oidRSAEncryption        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECPublicKey          = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidRSAWithMD5           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}
	oidRSAWithSHA1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidRSAWithSHA256        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidRSAWithSHA384        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidRSAWithSHA512        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECDSAWithSHA1        = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA256      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512      = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidDigestSHA1           = pkcs7.OIDDigestAlgorithmSHA1
	oidDigestSHA256         = pkcs7.OIDDigestAlgorithmSHA256
	oidDigestSHA384         = pkcs7.OIDDigestAlgorithmSHA384
	oidDigestSHA512         = pkcs7.OIDDigestAlgorithmSHA512
	oidAttributeDigest      = pkcs7.OIDAttributeMessageDigest
	oidAttributeSigningTime = pkcs7.OIDAttributeSigningTime
)

// hashByOID maps a digest AlgorithmIdentifier to a hash and its name.
func hashByOID(oid asn1.ObjectIdentifier) (crypto.Hash, string, error) {
	switch {
	case oid.Equal(oidDigestSHA1):
		return crypto.SHA1, "SHA1", nil
	case oid.Equal(oidDigestSHA256):
		return crypto.SHA256, "SHA256", nil
	case oid.Equal(oidDigestSHA384):
		return crypto.SHA384, "SHA384", nil
	case oid.Equal(oidDigestSHA512):
		return crypto.SHA512, "SHA512", nil
	case oid.Equal(oidDigestMD5):
		return crypto.MD5, "MD5", nil
	}
	return 0, "", fmt.Errorf("unsupported digest algorithm %s", oid)
}

func sum(h crypto.Hash, b []byte) []byte {
	switch h {
	case crypto.SHA1:
		s := sha1.Sum(b)
		return s[:]
	case crypto.SHA256:
		s := sha256.Sum256(b)
		return s[:]
	case crypto.SHA384:
		s := sha512.Sum384(b)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(b)
		return s[:]
	case crypto.MD5:
		s := md5.Sum(b)
		return s[:]
	}
	return nil
}

// signatureAlgorithm maps a SignerInfo's digestEncryptionAlgorithm and
// digestAlgorithm to the x509 algorithm CheckSignature expects. Signers
// write either the bare key algorithm (rsaEncryption) or the combined one
// (sha256WithRSAEncryption); both occur in the wild.
func signatureAlgorithm(enc, dig asn1.ObjectIdentifier) (x509.SignatureAlgorithm, error) {
	h, _, err := hashByOID(dig)
	if err != nil {
		return 0, err
	}
	switch {
	case enc.Equal(oidRSAEncryption):
		switch h {
		case crypto.MD5:
			return x509.MD5WithRSA, nil
		case crypto.SHA1:
			return x509.SHA1WithRSA, nil
		case crypto.SHA256:
			return x509.SHA256WithRSA, nil
		case crypto.SHA384:
			return x509.SHA384WithRSA, nil
		case crypto.SHA512:
			return x509.SHA512WithRSA, nil
		}
	case enc.Equal(oidECPublicKey):
		switch h {
		case crypto.SHA1:
			return x509.ECDSAWithSHA1, nil
		case crypto.SHA256:
			return x509.ECDSAWithSHA256, nil
		case crypto.SHA384:
			return x509.ECDSAWithSHA384, nil
		case crypto.SHA512:
			return x509.ECDSAWithSHA512, nil
		}
	case enc.Equal(oidRSAWithMD5):
		return x509.MD5WithRSA, nil
	case enc.Equal(oidRSAWithSHA1):
		return x509.SHA1WithRSA, nil
	case enc.Equal(oidRSAWithSHA256):
		return x509.SHA256WithRSA, nil
	case enc.Equal(oidRSAWithSHA384):
		return x509.SHA384WithRSA, nil
	case enc.Equal(oidRSAWithSHA512):
		return x509.SHA512WithRSA, nil
	case enc.Equal(oidECDSAWithSHA1):
		return x509.ECDSAWithSHA1, nil
	case enc.Equal(oidECDSAWithSHA256):
		return x509.ECDSAWithSHA256, nil
	case enc.Equal(oidECDSAWithSHA384):
		return x509.ECDSAWithSHA384, nil
	case enc.Equal(oidECDSAWithSHA512):
		return x509.ECDSAWithSHA512, nil
	}
	return 0, fmt.Errorf("unsupported signature algorithm %s with digest %s", enc, dig)
}

// attribute mirrors the pkcs7 package's unexported attribute so signed
// attributes can be re-encoded for signature checks and so
// countersignatures, which pkcs7 does not decode, can be parsed.
type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

// signerInfo mirrors PKCS#7 SignerInfo for the countersignature attribute.
type signerInfo struct {
	Version                   int `asn1:"default:1"`
	IssuerAndSerialNumber     issuerAndSerial
	DigestAlgorithm           pkix.AlgorithmIdentifier
	AuthenticatedAttributes   []attribute `asn1:"optional,omitempty,tag:0"`
	DigestEncryptionAlgorithm pkix.AlgorithmIdentifier
	EncryptedDigest           []byte
	UnauthenticatedAttributes []attribute `asn1:"optional,omitempty,tag:1"`
}

type issuerAndSerial struct {
	IssuerName   asn1.RawValue
	SerialNumber *big.Int
}

// digestInfo is the DigestInfo inside SpcIndirectDataContent: the
// Authenticode image hash the publisher signed.
type digestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

// tstInfoHead is the head of an RFC 3161 TSTInfo; the optional fields
// after genTime are not needed and are left unparsed.
type tstInfoHead struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint digestInfo
	SerialNumber   *big.Int
	GenTime        time.Time `asn1:"generalized"`
}

// parseTSTInfo reads the TSTInfo fields in order from its SEQUENCE, so the
// optional tail (accuracy, ordering, nonce, tsa, extensions) may be
// anything.
func parseTSTInfo(der []byte) (tstInfoHead, error) {
	var t tstInfoHead
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		return t, err
	}
	if seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence {
		return t, fmt.Errorf("TSTInfo is not a SEQUENCE (tag %d)", seq.Tag)
	}
	rest := seq.Bytes
	var err error
	for _, f := range []func() error{
		func() (e error) { rest, e = asn1.Unmarshal(rest, &t.Version); return },
		func() (e error) { rest, e = asn1.Unmarshal(rest, &t.Policy); return },
		func() (e error) { rest, e = asn1.Unmarshal(rest, &t.MessageImprint); return },
		func() (e error) { rest, e = asn1.Unmarshal(rest, &t.SerialNumber); return },
		func() (e error) { rest, e = asn1.UnmarshalWithParams(rest, &t.GenTime, "generalized"); return },
	} {
		if err = f(); err != nil {
			return t, err
		}
	}
	return t, nil
}

// parsedSigner is one PKCS#7 SignerInfo with the fields this package needs,
// taken either from a pkcs7.PKCS7 or from a countersignature.
type parsedSigner struct {
	issuer    []byte
	serial    *big.Int
	digestAlg asn1.ObjectIdentifier
	encAlg    asn1.ObjectIdentifier
	signed    []attribute
	unsigned  []attribute
	signature []byte
}

func fromPKCS7(p7 *pkcs7.PKCS7, i int) parsedSigner {
	s := p7.Signers[i]
	ps := parsedSigner{
		issuer:    s.IssuerAndSerialNumber.IssuerName.FullBytes,
		serial:    s.IssuerAndSerialNumber.SerialNumber,
		digestAlg: s.DigestAlgorithm.Algorithm,
		encAlg:    s.DigestEncryptionAlgorithm.Algorithm,
		signature: s.EncryptedDigest,
	}
	for _, a := range s.AuthenticatedAttributes {
		ps.signed = append(ps.signed, attribute{Type: a.Type, Value: a.Value})
	}
	for _, a := range s.UnauthenticatedAttributes {
		ps.unsigned = append(ps.unsigned, attribute{Type: a.Type, Value: a.Value})
	}
	return ps
}

func fromSignerInfo(si signerInfo) parsedSigner {
	return parsedSigner{
		issuer:    si.IssuerAndSerialNumber.IssuerName.FullBytes,
		serial:    si.IssuerAndSerialNumber.SerialNumber,
		digestAlg: si.DigestAlgorithm.Algorithm,
		encAlg:    si.DigestEncryptionAlgorithm.Algorithm,
		signed:    si.AuthenticatedAttributes,
		unsigned:  si.UnauthenticatedAttributes,
		signature: si.EncryptedDigest,
	}
}

// findCert returns the certificate a SignerInfo names by issuer and serial.
func findCert(certs []*x509.Certificate, issuer []byte, serial *big.Int) *x509.Certificate {
	if serial == nil {
		return nil
	}
	for _, c := range certs {
		if c.SerialNumber != nil && c.SerialNumber.Cmp(serial) == 0 && bytes.Equal(c.RawIssuer, issuer) {
			return c
		}
	}
	return nil
}

// attrValues returns the raw values (the members of the attribute's SET)
// of every attribute of type oid.
func attrValues(attrs []attribute, oid asn1.ObjectIdentifier) [][]byte {
	var out [][]byte
	for _, a := range attrs {
		if !a.Type.Equal(oid) {
			continue
		}
		rest := a.Value.Bytes
		for len(rest) > 0 {
			var v asn1.RawValue
			r, err := asn1.Unmarshal(rest, &v)
			if err != nil {
				break
			}
			out = append(out, v.FullBytes)
			rest = r
		}
	}
	return out
}

// errInsecureAlgorithm marks a signature that cannot be checked because Go
// refuses its algorithm (MD5): not evidence of tampering.
var errInsecureAlgorithm = errors.New("signature algorithm too weak to verify")

// verifySigner checks that the signed attributes carry the digest of
// content and that the signer's key signed those attributes (or content
// itself when there are no signed attributes).
func verifySigner(s parsedSigner, cert *x509.Certificate, content []byte) error {
	h, name, err := hashByOID(s.digestAlg)
	if err != nil {
		return err
	}
	signed := content
	if len(s.signed) > 0 {
		vals := attrValues(s.signed, oidAttributeDigest)
		if len(vals) != 1 {
			return fmt.Errorf("signed attributes carry %d message digests, want 1", len(vals))
		}
		var want []byte
		if _, err := asn1.Unmarshal(vals[0], &want); err != nil {
			return fmt.Errorf("message digest attribute: %v", err)
		}
		if got := sum(h, content); subtle.ConstantTimeCompare(got, want) != 1 {
			return fmt.Errorf("%s message digest mismatch: signed %X, content hashes to %X", name, want, got)
		}
		// The signature covers the attributes as a SET OF rather than
		// the implicit [0] they are stored under, in the order the signer
		// wrote them: re-sorting them into DER order, as encoding/asn1
		// (and so pkcs7.Verify) does, breaks the legacy VeriSign and
		// Symantec countersignatures that did not sort.
		var body []byte
		for _, a := range s.signed {
			enc, err := asn1.Marshal(a)
			if err != nil {
				return fmt.Errorf("re-encoding signed attributes: %v", err)
			}
			body = append(body, enc...)
		}
		enc, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: body})
		if err != nil {
			return fmt.Errorf("re-encoding signed attributes: %v", err)
		}
		signed = enc
	}
	alg, err := signatureAlgorithm(s.encAlg, s.digestAlg)
	if err != nil {
		return err
	}
	if err := cert.CheckSignature(alg, signed, s.signature); err != nil {
		// Legacy VeriSign/Symantec timestamp servers signed the bare hash
		// without the PKCS#1 DigestInfo wrapper; Windows accepts that, so
		// try it before calling the signature bad.
		if pub, ok := cert.PublicKey.(*rsa.PublicKey); ok && h != crypto.MD5 {
			if rsa.VerifyPKCS1v15(pub, 0, sum(h, signed), s.signature) == nil {
				return nil
			}
		}
		var ia x509.InsecureAlgorithmError
		if errors.As(err, &ia) {
			return fmt.Errorf("%w: %v", errInsecureAlgorithm, err)
		}
		return fmt.Errorf("signature does not verify with the signer certificate: %v", err)
	}
	return nil
}

// claimedSigningTime returns the PKCS#9 signingTime signed attribute. The
// signer sets it to any value it likes, so it never decides expiry.
func claimedSigningTime(s parsedSigner) (time.Time, bool) {
	vals := attrValues(s.signed, oidAttributeSigningTime)
	if len(vals) == 0 {
		return time.Time{}, false
	}
	var t time.Time
	if _, err := asn1.Unmarshal(vals[0], &t); err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// timestamps reads both countersignature forms from a signer's unsigned
// attributes: the legacy PKCS#9 countersignature (a SignerInfo whose signed
// attributes hash the outer signature) and the RFC 3161 token Microsoft
// stores under 1.3.6.1.4.1.311.3.3.1 (a SignedData over a TSTInfo whose
// message imprint hashes the outer signature).
func timestamps(s parsedSigner, certs []*x509.Certificate) []Timestamp {
	var out []Timestamp
	for _, raw := range attrValues(s.unsigned, oidCounterSignature) {
		out = append(out, legacyTimestamp(raw, s.signature, certs))
	}
	for _, raw := range attrValues(s.unsigned, oidRFC3161Timestamp) {
		out = append(out, rfc3161Timestamp(raw, s.signature))
	}
	return out
}

func legacyTimestamp(raw, outerSignature []byte, certs []*x509.Certificate) Timestamp {
	ts := Timestamp{Kind: TimestampPKCS9}
	var si signerInfo
	if _, err := asn1.Unmarshal(raw, &si); err != nil {
		ts.Problem = fmt.Sprintf("countersignature: %v", err)
		return ts
	}
	cs := fromSignerInfo(si)
	t, ok := claimedSigningTime(cs)
	if !ok {
		ts.Problem = "countersignature has no signing time"
		return ts
	}
	ts.Time = t
	cert := findCert(certs, cs.issuer, cs.serial)
	if cert == nil {
		ts.Problem = "countersigner certificate is not in the signature"
		return ts
	}
	c := describe(cert)
	ts.Signer = &c
	if err := verifySigner(cs, cert, outerSignature); err != nil {
		ts.Problem = "countersignature: " + err.Error()
		return ts
	}
	if p := validAt(cert, ts.Time); p != "" {
		ts.Problem = "countersigner " + p
		return ts
	}
	ts.Verified = true
	return ts
}

func rfc3161Timestamp(raw, outerSignature []byte) (ts Timestamp) {
	ts.Kind = TimestampRFC3161
	tok, err := parsePKCS7(raw)
	if err != nil {
		ts.Problem = fmt.Sprintf("timestamp token: %v", err)
		return ts
	}
	info, err := parseTSTInfo(tok.Content)
	if err != nil {
		ts.Problem = fmt.Sprintf("timestamp token TSTInfo: %v", err)
		return ts
	}
	ts.Time = info.GenTime.UTC()
	if len(tok.Signers) != 1 {
		ts.Problem = fmt.Sprintf("timestamp token has %d signers, want 1", len(tok.Signers))
		return ts
	}
	tsa := fromPKCS7(tok, 0)
	cert := findCert(tok.Certificates, tsa.issuer, tsa.serial)
	if cert == nil {
		ts.Problem = "timestamp authority certificate is not in the token"
		return ts
	}
	c := describe(cert)
	ts.Signer = &c
	h, _, err := hashByOID(info.MessageImprint.Algorithm.Algorithm)
	if err != nil {
		ts.Problem = "timestamp message imprint: " + err.Error()
		return ts
	}
	if !bytes.Equal(sum(h, outerSignature), info.MessageImprint.Digest) {
		ts.Problem = "timestamp message imprint does not match the signature it countersigns"
		return ts
	}
	if err := verifySigner(tsa, cert, tok.Content); err != nil {
		ts.Problem = "timestamp token: " + err.Error()
		return ts
	}
	if p := validAt(cert, ts.Time); p != "" {
		ts.Problem = "timestamp authority " + p
		return ts
	}
	ts.Verified = true
	return ts
}

// validAt returns "" when t is within c's validity, else why not. A
// timestamp from a certificate that was not valid at the time it claims
// proves nothing.
func validAt(c *x509.Certificate, t time.Time) string {
	if t.Before(c.NotBefore) || t.After(c.NotAfter) {
		return fmt.Sprintf("certificate valid %s to %s, not at %s",
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339))
	}
	return ""
}

// parsePKCS7 is pkcs7.Parse after dropping certificate entries that are
// not X.509 certificates. Microsoft's timestamp tokens carry an attribute
// certificate ([1] in CertificateChoices) beside the TSA chain, and pkcs7
// hands the whole set to x509.ParseCertificates, which rejects it. The
// certificates are not covered by any signature, so dropping one changes
// nothing that is verified.
func parsePKCS7(der []byte) (*pkcs7.PKCS7, error) {
	p7, err := pkcs7.Parse(der)
	if err == nil {
		return p7, nil
	}
	if cleaned, ok := x509Only(der); ok {
		if p7, err2 := pkcs7.Parse(cleaned); err2 == nil {
			return p7, nil
		}
	}
	return nil, err
}

// x509Only rewrites a DER ContentInfo(SignedData) keeping only the
// SEQUENCE entries of its certificates field. ok is false when there was
// nothing to drop or the input is not plain DER SignedData.
func x509Only(der []byte) ([]byte, bool) {
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) > 0 {
		return nil, false
	}
	var sd asn1.RawValue
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || sd.Tag != asn1.TagSequence {
		return nil, false
	}
	var body []byte
	dropped := false
	for rest := sd.Bytes; len(rest) > 0; {
		var f asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &f); err != nil {
			return nil, false
		}
		if f.Class == asn1.ClassContextSpecific && f.Tag == 0 && f.IsCompound {
			var kept []byte
			for certs := f.Bytes; len(certs) > 0; {
				var c asn1.RawValue
				if certs, err = asn1.Unmarshal(certs, &c); err != nil {
					return nil, false
				}
				if c.Class == asn1.ClassUniversal && c.Tag == asn1.TagSequence {
					kept = append(kept, c.FullBytes...)
				} else {
					dropped = true
				}
			}
			enc, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: kept})
			if err != nil {
				return nil, false
			}
			body = append(body, enc...)
			continue
		}
		body = append(body, f.FullBytes...)
	}
	if !dropped {
		return nil, false
	}
	sdEnc, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		return nil, false
	}
	out, err := asn1.Marshal(struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}{ci.Type, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdEnc}})
	return out, err == nil
}

// describe turns a certificate into its reported identity.
func describe(c *x509.Certificate) Certificate {
	s1 := sha1.Sum(c.Raw)
	s256 := sha256.Sum256(c.Raw)
	return Certificate{
		Subject:   rawName(c.RawSubject, c.Subject),
		Issuer:    rawName(c.RawIssuer, c.Issuer),
		Serial:    formatSerial(c.SerialNumber),
		SHA1:      hex.EncodeToString(s1[:]),
		SHA256:    hex.EncodeToString(s256[:]),
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
	}
}

// rawName formats a name in the order its attributes were encoded, which
// pkix.Name loses (ToRDNSequence re-sorts them), so it reads like the
// output of other tools.
func rawName(raw []byte, parsed pkix.Name) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) > 0 {
		return formatName(parsed.ToRDNSequence())
	}
	return formatName(rdns)
}

// formatSerial writes a serial the way signature tools and threat reports
// do: uppercase hex of the big-endian magnitude, an even number of digits.
func formatSerial(n *big.Int) string {
	if n == nil {
		return ""
	}
	b := n.Bytes()
	if len(b) == 0 {
		return "00"
	}
	s := fmt.Sprintf("%X", b)
	if n.Sign() < 0 {
		return "-" + s
	}
	return s
}

// chainOf walks from leaf up through the certificates embedded in the
// signature, nearest issuer first, checking each link's signature. It stops
// at a self-signed certificate, a missing issuer or a depth limit.
func chainOf(leaf *x509.Certificate, certs []*x509.Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	cur := leaf
	for depth := 0; depth < 8 && !selfIssued(cur); depth++ {
		var next *x509.Certificate
		for _, c := range certs {
			if c == cur || !bytes.Equal(c.RawSubject, cur.RawIssuer) {
				continue
			}
			// CheckSignature (unlike CheckSignatureFrom) accepts SHA-1,
			// which most code-signing chains of the Winnti era use.
			if c.CheckSignature(cur.SignatureAlgorithm, cur.RawTBSCertificate, cur.Signature) == nil {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}

func selfIssued(c *x509.Certificate) bool { return bytes.Equal(c.RawSubject, c.RawIssuer) }

// selfSigned reports whether c is its own issuer and its own key signed it.
func selfSigned(c *x509.Certificate) bool {
	return selfIssued(c) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
