package match

import "strings"

// The canonical forms below are applied both when a snapshot is built and
// when an event is matched, so that a value matches whether or not the
// importer or the decoder already normalised it. Each appends to dst, which
// on the hot path is a stack buffer large enough for the value; callers
// check the length first so that append never reallocates.

const (
	maxDomainLen = 253 // RFC 1035 limit on a presentation name without the root dot
	maxURLLen    = 2048
	maxEmailLen  = 320
	maxSerialLen = 128
)

// appendDomain appends the lowercase form of name without a trailing dot.
// It reports false for names that cannot be a DNS name: empty, too long, or
// with an empty label.
func appendDomain(dst []byte, name string) ([]byte, bool) {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > maxDomainLen || name[0] == '.' || name[len(name)-1] == '.' {
		return dst, false
	}
	prevDot := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '.' {
			if prevDot {
				return dst, false
			}
			prevDot = true
		} else {
			prevDot = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// appendLower appends s with its ASCII capitals lowered.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendEmail appends the lowercase address without surrounding spaces or
// angle brackets (SMTP "MAIL FROM:<a@b>" spelling).
func appendEmail(dst []byte, s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	s = strings.TrimSuffix(s, ">")
	if len(s) < 3 || len(s) > maxEmailLen || strings.IndexByte(s, '@') <= 0 {
		return dst, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// appendSerial appends a certificate serial as Zeek prints it: uppercase
// hex without leading zeros. Colons and spaces (OpenSSL's and Windows'
// spellings) are dropped.
func appendSerial(dst []byte, s string) ([]byte, bool) {
	start := len(dst)
	lead := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':' || c == ' ':
			continue
		case '0' <= c && c <= '9', 'A' <= c && c <= 'F':
		case 'a' <= c && c <= 'f':
			c -= 'a' - 'A'
		default:
			return dst[:start], false
		}
		if lead && c == '0' {
			continue
		}
		lead = false
		if len(dst)-start >= maxSerialLen {
			return dst[:start], false
		}
		dst = append(dst, c)
	}
	if len(dst) == start {
		if len(s) == 0 {
			return dst, false
		}
		dst = append(dst, '0') // an all-zero serial
	}
	return dst, true
}

// appendURL appends the canonical form of a URL: lowercase scheme and host,
// the default port of http and https dropped, no fragment, and "/" for an
// empty path. Anything after the host is kept byte for byte, because paths
// and queries are case sensitive.
func appendURL(dst []byte, u string) ([]byte, bool) {
	u = strings.TrimSpace(u)
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	sep := strings.Index(u, "://")
	if sep <= 0 || len(u) > maxURLLen {
		return dst, false
	}
	scheme := u[:sep]
	dst = append(appendLower(dst, scheme), "://"...)
	rest := u[sep+3:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	host := rest[:end]
	if host == "" {
		return dst, false
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && strings.IndexByte(host[i:], ']') < 0 {
		port := host[i+1:]
		if port == "" || (port == "80" && strings.EqualFold(scheme, "http")) || (port == "443" && strings.EqualFold(scheme, "https")) {
			host = host[:i]
		}
	}
	dst = appendLower(dst, host)
	if end == len(rest) || rest[end] == '?' {
		dst = append(dst, '/')
	}
	return append(dst, rest[end:]...), true
}

// decodeHex decodes a hex digest of exactly len(dst) bytes, either case.
// Each digit is one load from hexValue: the branches of unhex made this
// over half of matching a TLS event (JA3, JA3S and certificate hashes).
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	bad := byte(0)
	for i := range dst {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo
	}
	return bad < 16
}

// hexValue is unhex for every byte: 0-15 for a hex digit, 0xff otherwise.
var hexValue = func() (t [256]byte) {
	for c := range t {
		t[c] = unhex(byte(c))
	}
	return t
}()

func unhex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c - 'A' + 10
	}
	return unhexLower(c)
}
