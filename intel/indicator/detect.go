package indicator

import (
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Detect works out the type of a bare value, as found in plain IOC lists,
// and returns it normalised. It refangs first.
//
// Some values are ambiguous and Detect picks the common reading: 32 hex
// digits are an MD5 (never a JA3), a name whose last label is a real
// top-level domain is a domain (so "invoice.zip" is a domain; ".zip" is
// a TLD), and anything else with a short extension is a file name.
// Cookie names and user-agents cannot be told from other text and are
// never detected: give their type explicitly.
func Detect(v string) (Type, string, error) {
	s := strings.TrimSpace(v)
	if s == "" {
		return Unknown, "", bad(Unknown, v, "empty")
	}
	if len(s) > maxValueBytes {
		return Unknown, "", bad(Unknown, s, "too long")
	}
	s = Refang(s)
	if strings.Contains(s, "://") {
		return detected(URL, s)
	}
	if mayBeIP(s) {
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			a = a.Unmap()
			if a.Is4() {
				return IPv4, a.String(), nil
			}
			return IPv6, a.String(), nil
		}
	}
	if strings.IndexByte(s, '/') > 0 {
		if _, err := netip.ParsePrefix(s); err == nil {
			return detected(CIDR, s)
		}
	}
	switch {
	case s[0] == '+':
		return detected(Phone, s)
	case strings.IndexByte(s, '@') > 0 && strings.IndexByte(s, '/') < 0:
		return detected(Email, s)
	case looksLikeASN(s):
		return detected(ASN, s)
	}
	if isHex(s) {
		if t, ok := hashTypeByLen(len(s)); ok {
			return t, strings.ToLower(s), nil
		}
	}
	if strings.IndexByte(s, ':') > 0 && isColonHex(s) {
		switch len(s) {
		case 59: // 20 bytes
			return detected(CertSHA1, s)
		case 95: // 32 bytes
			return detected(CertSHA256, s)
		}
	}
	if len(s) == 36 && s[10] == '_' && s[23] == '_' {
		if n, err := normJA4(s); err == nil {
			return JA4, n, nil
		}
	}
	if isJA3String(s, 5) {
		return JA3, md5Hex(s), nil
	}
	if i := strings.IndexByte(s, '/'); i > 0 {
		// "evil.com/gate.php" or "1.2.3.4:8080/x": a URL without scheme.
		host, _, _ := splitHostPort(s[:i])
		if isHostLike(host) {
			return detected(URL, s)
		}
	}
	if d, err := normDomain(s); err == nil && knownSuffix(d) {
		return Domain, d, nil
	}
	if looksLikeFileName(s) {
		return detected(FileName, s)
	}
	return Unknown, "", bad(Unknown, s, "cannot tell what kind of indicator this is")
}

func detected(t Type, s string) (Type, string, error) {
	n, err := Normalize(t, s)
	if err != nil {
		return Unknown, "", err
	}
	return t, n, nil
}

func looksLikeASN(s string) bool {
	if len(s) < 3 || s[0]|0x20 != 'a' || s[1]|0x20 != 's' {
		return false
	}
	rest := s[2:]
	if rest[0]|0x20 == 'n' {
		rest = rest[1:]
	}
	rest = strings.TrimLeft(rest, " ")
	if rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if (rest[i] < '0' || rest[i] > '9') && rest[i] != '.' {
			return false
		}
	}
	return true
}

func isColonHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if i%3 == 2 {
			if s[i] != ':' {
				return false
			}
		} else if _, ok := unhex(s[i]); !ok {
			return false
		}
	}
	return true
}

func isHostLike(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	d, err := normDomain(h)
	return err == nil && knownSuffix(d)
}

// knownSuffix reports whether d ends in a suffix on the public suffix
// list. Unlisted "TLDs" are almost always file extensions ("putty.exe").
func knownSuffix(d string) bool {
	suffix, icann := publicsuffix.PublicSuffix(d)
	return icann || strings.IndexByte(suffix, '.') >= 0
}

func looksLikeFileName(s string) bool {
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 || dot == len(s)-1 || len(s)-dot > 9 || strings.ContainsAny(s, "/\\ \t") {
		return false
	}
	letter := false
	for i := dot + 1; i < len(s); i++ {
		c := s[i] | 0x20
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case s[i] >= '0' && s[i] <= '9':
		default:
			return false
		}
	}
	return letter
}
