package indicator

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ValueError says why a value is not a valid indicator of a type. Readers
// use Type and Reason to group rejected rows in a Summary.
type ValueError struct {
	Type   Type
	Value  string // as given, possibly truncated for display
	Reason string
}

func (e *ValueError) Error() string {
	if e.Type == Unknown {
		return fmt.Sprintf("%q: %s", e.Value, e.Reason)
	}
	return fmt.Sprintf("bad %s %q: %s", e.Type, e.Value, e.Reason)
}

// maxValueBytes bounds every indicator value: nothing legitimate is longer,
// and a hostile feed must not make us hold megabyte "domains".
const maxValueBytes = 8 << 10

// reasonOf is the reason of a *ValueError, or the error's text.
func reasonOf(err error) string {
	var ve *ValueError
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return err.Error()
}

func bad(t Type, v, reason string) error {
	if len(v) > 80 {
		v = v[:80] + "..."
	}
	return &ValueError{Type: t, Value: v, Reason: reason}
}

// Normalize returns the canonical spelling of v as an indicator of type t,
// the one spelling that the store, the matcher and exports agree on, or a
// *ValueError saying why v is not such a value. Surrounding white space is
// ignored; network values are refanged first (see Refang).
func Normalize(t Type, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", bad(t, v, "empty")
	}
	if len(v) > maxValueBytes {
		return "", bad(t, v, fmt.Sprintf("longer than %d bytes", maxValueBytes))
	}
	switch t {
	case IPv4, IPv6, CIDR, Domain, URL, Email:
		v = Refang(v)
	}
	switch t {
	case IPv4, IPv6:
		return normIP(t, v)
	case CIDR:
		return normCIDR(v)
	case Domain:
		return normDomain(v)
	case URL:
		return normURL(v)
	case Email:
		return normEmail(v)
	case Phone:
		return normPhone(v)
	case MD5:
		return normHex(t, v, 32)
	case JA3, JA3S:
		// An unhashed JA3 (5 fields) or JA3S (3 fields) string is reduced
		// to its MD5, which is what sensors log.
		if t == JA3 && isJA3String(v, 5) || t == JA3S && isJA3String(v, 3) {
			return md5Hex(v), nil
		}
		return normHex(t, v, 32)
	case SHA1:
		return normHex(t, v, 40)
	case SHA256:
		return normHex(t, v, 64)
	case SHA512:
		return normHex(t, v, 128)
	case CertSHA1:
		return normFingerprint(t, v, 40)
	case CertSHA256:
		return normFingerprint(t, v, 64)
	case CertSerial:
		return normSerial(v)
	case JA4:
		return normJA4(v)
	case Cookie:
		return normCookie(v)
	case UserAgent:
		return normUserAgent(v)
	case ASN:
		return normASN(v)
	case FileName:
		return normFileName(v)
	}
	return "", bad(t, v, "unknown indicator type")
}

// Coerce normalises v as type t, but lets the value decide between the
// sibling types that feeds lump under one word: "IP" for IPv4, IPv6 and
// prefixes, "hash" for MD5/SHA-1/SHA-256/SHA-512, "certificate hash" for
// the two fingerprint lengths. It returns the type the value turned out
// to be.
func Coerce(t Type, v string) (Type, string, error) {
	switch t {
	case IPv4, IPv6, CIDR:
		s := strings.TrimSpace(Refang(v))
		if strings.IndexByte(s, '/') >= 0 {
			n, err := normCIDR(s)
			return CIDR, n, err
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return t, "", bad(t, v, "not an IP address")
		}
		a = a.Unmap()
		if a.Is4() {
			return IPv4, a.String(), nil
		}
		return IPv6, a.String(), nil
	case MD5, SHA1, SHA256, SHA512:
		s := strings.TrimSpace(v)
		if ht, ok := hashTypeByLen(len(s)); ok && isHex(s) {
			return ht, strings.ToLower(s), nil
		}
	case CertSHA1, CertSHA256:
		s := stripSeparators(strings.TrimSpace(v))
		switch len(s) {
		case 40:
			n, err := normHex(CertSHA1, s, 40)
			return CertSHA1, n, err
		case 64:
			n, err := normHex(CertSHA256, s, 64)
			return CertSHA256, n, err
		}
	}
	n, err := Normalize(t, v)
	return t, n, err
}

func hashTypeByLen(n int) (Type, bool) {
	switch n {
	case 32:
		return MD5, true
	case 40:
		return SHA1, true
	case 64:
		return SHA256, true
	case 128:
		return SHA512, true
	}
	return Unknown, false
}

func normIP(t Type, v string) (string, error) {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return "", bad(t, v, "not an IP address")
	}
	if a.Zone() != "" {
		return "", bad(t, v, "has a zone")
	}
	// An IPv4-mapped IPv6 address is the IPv4 host on the wire.
	a = a.Unmap()
	if t == IPv4 && !a.Is4() {
		return "", bad(t, v, "is an IPv6 address")
	}
	if t == IPv6 && a.Is4() {
		return "", bad(t, v, "is an IPv4 address")
	}
	return a.String(), nil
}

func normCIDR(v string) (string, error) {
	if strings.IndexByte(v, '/') < 0 {
		// A bare address is the single-host prefix.
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return "", bad(CIDR, v, "not an IP prefix")
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()).String(), nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return "", bad(CIDR, v, "not an IP prefix")
	}
	// 10.1.2.3/8 names the network 10.0.0.0/8.
	return p.Masked().String(), nil
}

// idnaProfile converts internationalised names to punycode. It is the
// lookup profile without STD3 and hyphen rules: real hostile hostnames
// use underscores and "r3---sn" style labels, and checkDomain enforces the
// ASCII rules we do want.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false),
	idna.StrictDomainName(false), idna.CheckHyphens(false))

var punyCheck = idna.New(idna.StrictDomainName(false), idna.CheckHyphens(false))

func normDomain(v string) (string, error) {
	d, err := canonicalHost(v)
	if err != nil {
		return "", err
	}
	if strings.IndexByte(d, '.') < 0 {
		return "", bad(Domain, v, "a single label is not a domain")
	}
	if mayBeIP(d) {
		if _, err := netip.ParseAddr(d); err == nil {
			return "", bad(Domain, v, "is an IP address")
		}
	}
	return d, nil
}

// mayBeIP is a cheap pre-check that spares netip its error allocation on
// the common case, a host name: an IP literal has a ':' or ends in a digit.
func mayBeIP(s string) bool {
	return s != "" && (s[len(s)-1] >= '0' && s[len(s)-1] <= '9' || strings.IndexByte(s, ':') >= 0)
}

// canonicalHost lowercases a DNS name, drops the trailing root dot,
// converts Unicode to punycode and checks the result.
func canonicalHost(v string) (string, error) {
	d := strings.TrimSuffix(v, ".")
	ascii := true
	for i := 0; i < len(d); i++ {
		if d[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		d = strings.ToLower(d)
	} else {
		if !utf8.ValidString(d) {
			return "", bad(Domain, v, "not UTF-8")
		}
		p, err := idnaProfile.ToASCII(d)
		if err != nil {
			return "", bad(Domain, v, "not a valid internationalised name")
		}
		d = strings.ToLower(strings.TrimSuffix(p, "."))
	}
	if reason := checkDomain(d); reason != "" {
		return "", bad(Domain, v, reason)
	}
	return d, nil
}

// checkDomain returns why an ASCII lower-case name is not a hostname, or "".
func checkDomain(d string) string {
	if d == "" {
		return "empty"
	}
	if len(d) > 253 {
		return "longer than 253 bytes"
	}
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			c := d[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Sprintf("character %q not allowed in a hostname", c)
			}
			continue
		}
		label := d[start:i]
		switch {
		case label == "":
			return "empty label"
		case len(label) > 63:
			return "label longer than 63 bytes"
		case label[0] == '-' || label[len(label)-1] == '-':
			return "label starts or ends with a hyphen"
		case strings.HasPrefix(label, "xn--"):
			if _, err := punyCheck.ToUnicode(label); err != nil {
				return "invalid punycode label"
			}
		}
		start = i + 1
	}
	return ""
}

func normEmail(v string) (string, error) {
	v = strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">"), "mailto:")
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return "", bad(Email, v, "not local@domain")
	}
	local, host := v[:at], v[at+1:]
	if len(local) > 64 {
		return "", bad(Email, v, "local part longer than 64 bytes")
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c == 0x7f || c == '@' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' {
			return "", bad(Email, v, fmt.Sprintf("character %q not allowed in the local part", c))
		}
	}
	d, err := normDomain(host)
	if err != nil {
		return "", bad(Email, v, "domain: "+reasonOf(err))
	}
	// Local parts are case-sensitive on paper; every large provider folds
	// case, and a missed match costs more than a spurious one.
	return strings.ToLower(local) + "@" + d, nil
}

func normPhone(v string) (string, error) {
	s := strings.TrimPrefix(strings.ToLower(v), "tel:")
	digits := make([]byte, 0, len(s))
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == '+' && len(digits) == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return "", bad(Phone, v, fmt.Sprintf("character %q in a phone number", c))
		}
	}
	if !plus && len(digits) > 2 && digits[0] == '0' && digits[1] == '0' {
		digits = digits[2:] // 00 is the international prefix, i.e. "+"
	}
	// WHOIS and feeds write the country code; we assume it is there even
	// without "+". E.164 allows at most 15 digits; fewer than 7 is not a
	// reachable number.
	if len(digits) < 7 || len(digits) > 15 {
		return "", bad(Phone, v, fmt.Sprintf("%d digits; a phone number has 7 to 15", len(digits)))
	}
	return "+" + string(digits), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func normHex(t Type, v string, n int) (string, error) {
	if len(v) != n {
		return "", bad(t, v, fmt.Sprintf("%d characters, want %d hex digits", len(v), n))
	}
	if !isHex(v) {
		return "", bad(t, v, "not hexadecimal")
	}
	return strings.ToLower(v), nil
}

// stripSeparators removes the colons and spaces that certificate tools put
// between bytes.
func stripSeparators(v string) string {
	if strings.IndexAny(v, ": -") < 0 {
		return v
	}
	return strings.Map(func(r rune) rune {
		if r == ':' || r == ' ' || r == '-' {
			return -1
		}
		return r
	}, v)
}

func normFingerprint(t Type, v string, n int) (string, error) {
	s := stripSeparators(v)
	if len(s) != n || !isHex(s) {
		return "", bad(t, v, fmt.Sprintf("want %d hex digits, optionally colon-separated", n))
	}
	return strings.ToLower(s), nil
}

// normSerial canonicalises a certificate serial number as upper-case hex
// without separators or leading zeros.
//
// Leading zeros are dropped because a serial is an integer and tools
// disagree on its padding: DER prepends a 00 byte when the top bit is set
// (so the number is not read as negative), openssl prints that byte
// ("00:1a:2b"), Windows and many reports do not ("1A2B"), and some print
// odd-length hex. Comparing the integer value is the only spelling on
// which they all agree.
func normSerial(v string) (string, error) {
	s := stripSeparators(v)
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	if s == "" || !isHex(s) {
		return "", bad(CertSerial, v, "not a hexadecimal serial number")
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		s = "0"
	}
	// RFC 5280 caps serials at 20 octets; real certificates exceed it, so
	// allow some slack before calling it garbage.
	if len(s) > 64 {
		return "", bad(CertSerial, v, "longer than 32 bytes")
	}
	return strings.ToUpper(s), nil
}

// isJA3String reports whether v looks like an unhashed JA3 (5 fields) or
// JA3S (3 fields) string: comma-separated fields of dash-separated numbers.
func isJA3String(v string, fields int) bool {
	if strings.Count(v, ",") != fields-1 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '0' && c <= '9' || c == ',' || c == '-') {
			return false
		}
	}
	return true
}

func md5Hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// normJA4 checks the JA4 a_b_c layout: a is protocol (t, q or d), TLS
// version (2 chars), SNI flag (d or i), cipher and extension counts (2
// digits each) and the ALPN tag (2 alphanumerics); b and c are 12 hex
// digits each (truncated SHA-256).
func normJA4(v string) (string, error) {
	s := strings.ToLower(v)
	a, rest, ok1 := strings.Cut(s, "_")
	b, c, ok2 := strings.Cut(rest, "_")
	if !ok1 || !ok2 || len(a) != 10 || len(b) != 12 || len(c) != 12 || !isHex(b) || !isHex(c) {
		return "", bad(JA4, v, "not a_b_c with a 10-character a and 12-hex-digit b and c")
	}
	if a[0] != 't' && a[0] != 'q' && a[0] != 'd' {
		return "", bad(JA4, v, "protocol must be t, q or d")
	}
	if a[3] != 'd' && a[3] != 'i' {
		return "", bad(JA4, v, "SNI flag must be d or i")
	}
	for _, i := range []int{4, 5, 6, 7} {
		if a[i] < '0' || a[i] > '9' {
			return "", bad(JA4, v, "cipher and extension counts must be digits")
		}
	}
	for _, i := range []int{1, 2, 8, 9} {
		if !isWordByte(a[i]) || a[i] == '_' {
			return "", bad(JA4, v, "version and ALPN must be alphanumeric")
		}
	}
	return s, nil
}

// normCookie checks an RFC 6265 cookie name (a token); it keeps case
// because cookie names are case-sensitive.
func normCookie(v string) (string, error) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return "", bad(Cookie, v, fmt.Sprintf("character %q not allowed in a cookie name", c))
		}
	}
	return v, nil
}

func normUserAgent(v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", bad(UserAgent, v, "not UTF-8")
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return "", bad(UserAgent, v, "control character")
		}
	}
	return v, nil
}

// normASN accepts AS4808, as4808, ASN 4808, 4808 and asdot 1.10, and
// writes AS followed by the decimal number.
func normASN(v string) (string, error) {
	s := strings.ToUpper(v)
	s = strings.TrimPrefix(s, "ASN")
	s = strings.TrimPrefix(s, "AS")
	s = strings.TrimSpace(s)
	var n uint64
	if hi, lo, ok := strings.Cut(s, "."); ok {
		h, err1 := strconv.ParseUint(hi, 10, 16)
		l, err2 := strconv.ParseUint(lo, 10, 16)
		if err1 != nil || err2 != nil {
			return "", bad(ASN, v, "not an AS number")
		}
		n = h<<16 | l
	} else {
		var err error
		if n, err = strconv.ParseUint(s, 10, 32); err != nil || s[0] == '+' {
			return "", bad(ASN, v, "not an AS number")
		}
	}
	return "AS" + strconv.FormatUint(n, 10), nil
}

// normFileName keeps the name as written (case included: Windows folds
// case, other systems do not) but rejects paths and control characters.
func normFileName(v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", bad(FileName, v, "not UTF-8")
	}
	if len(v) > 255 {
		return "", bad(FileName, v, "longer than 255 bytes")
	}
	if strings.ContainsAny(v, "/\\") {
		return "", bad(FileName, v, "a path, not a file name")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] == 0x7f {
			return "", bad(FileName, v, "control character")
		}
	}
	return v, nil
}
