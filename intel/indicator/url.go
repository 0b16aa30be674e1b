package indicator

import (
	"net/netip"
	"strconv"
	"strings"
)

// defaultPorts are dropped from URLs: http://x:80/ is http://x/.
var defaultPorts = map[string]string{"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}

// normURL canonicalises an absolute URL so that the spellings a feed and
// a sensor might use for one resource compare equal:
//
//   - a missing scheme means http ("evil.com/gate.php" as in maltrail and
//     Zeek intel, which write URLs without one);
//   - scheme and host are lower-cased, the host's trailing dot is removed,
//     Unicode hosts become punycode and IP hosts take their canonical form;
//   - the scheme's default port is dropped;
//   - percent-escapes of unreserved characters are decoded, the rest are
//     upper-cased, and bytes that cannot appear on the wire (controls,
//     space, non-ASCII, quotes, angle brackets) are escaped;
//   - an empty path becomes "/" and an empty query is dropped;
//   - the fragment is dropped: it never leaves the client, so no sensor
//     can ever see it.
//
// Path and query are otherwise kept byte for byte ("/a/../b" is not
// resolved): a malicious URL's exact path is evidence.
func normURL(v string) (string, error) {
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok {
		scheme, rest = "http", v
	}
	if !validScheme(scheme) {
		return "", bad(URL, v, "bad scheme")
	}
	scheme = strings.ToLower(scheme)

	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if i := strings.IndexByte(tail, '#'); i >= 0 {
		tail = tail[:i]
	}
	path, query, hasQuery := strings.Cut(tail, "?")

	var userinfo string
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo, authority = authority[:i], authority[i+1:]
	}
	host, port, err := splitHostPort(authority)
	if err != nil {
		return "", bad(URL, v, err.Error())
	}
	if host == "" {
		return "", bad(URL, v, "no host")
	}
	if host[0] == '[' {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", bad(URL, v, "bad IPv6 host")
		}
		if a.Is4In6() {
			host = a.Unmap().String()
		} else {
			host = "[" + a.String() + "]"
		}
	} else if ip, ok := ipv4Host(host); ok {
		host = ip
	} else {
		h, err := canonicalHost(host)
		if err != nil {
			return "", bad(URL, v, "host: "+reasonOf(err))
		}
		host = h
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return "", bad(URL, v, "bad port")
		}
		port = strconv.FormatUint(n, 10)
		if defaultPorts[scheme] == port {
			port = ""
		}
	}

	var b strings.Builder
	b.Grow(len(v) + 8)
	b.WriteString(scheme)
	b.WriteString("://")
	if userinfo != "" {
		escapeURLPart(&b, userinfo)
		b.WriteByte('@')
	}
	b.WriteString(host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	if path == "" {
		b.WriteByte('/')
	} else {
		escapeURLPart(&b, path)
	}
	if hasQuery && query != "" {
		b.WriteByte('?')
		escapeURLPart(&b, query)
	}
	return b.String(), nil
}

func validScheme(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c >= 'a' && c <= 'z' {
			continue
		}
		if i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.') {
			continue
		}
		return false
	}
	return true
}

type urlError string

func (e urlError) Error() string { return string(e) }

func splitHostPort(a string) (host, port string, err error) {
	if strings.HasPrefix(a, "[") {
		i := strings.IndexByte(a, ']')
		if i < 0 {
			return "", "", urlError("unclosed [ in host")
		}
		host, rest := a[:i+1], a[i+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' {
			return "", "", urlError("junk after ]")
		}
		return host, rest[1:], nil
	}
	if i := strings.LastIndexByte(a, ':'); i >= 0 {
		return a[:i], a[i+1:], nil
	}
	return a, "", nil
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

const upperHex = "0123456789ABCDEF"

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// escapeURLPart writes s with percent-encoding normalised (see normURL).
func escapeURLPart(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				d := hi<<4 | lo
				if isUnreserved(d) {
					b.WriteByte(d)
				} else {
					b.WriteByte('%')
					b.WriteByte(upperHex[hi])
					b.WriteByte(upperHex[lo])
				}
				i += 2
				continue
			}
		}
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
			continue
		}
		b.WriteByte(c)
	}
}

func ipv4Host(h string) (string, bool) {
	if !mayBeIP(h) {
		return "", false
	}
	a, err := netip.ParseAddr(h)
	if err != nil || !a.Is4() {
		return "", false
	}
	return a.String(), true
}
