package tlshello

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
)

// AppendJA3 appends the JA3 string of h to dst:
// "version,ciphers,extensions,groups,point formats", decimal values joined
// by "-", GREASE values left out (Salesforce's JA3 definition).
func (h *ClientHello) AppendJA3(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(h.Version), 10)
	dst = append(dst, ',')
	dst = appendDecimals(dst, h.CipherSuites)
	dst = append(dst, ',')
	dst = appendDecimals(dst, h.Extensions)
	dst = append(dst, ',')
	dst = appendDecimals(dst, h.SupportedGroups)
	dst = append(dst, ',')
	for i, f := range h.PointFormats {
		if i > 0 {
			dst = append(dst, '-')
		}
		dst = strconv.AppendUint(dst, uint64(f), 10)
	}
	return dst
}

// JA3 returns the JA3 string of h and its MD5 in lowercase hex, the form
// Zeek, Suricata and threat feeds publish.
func (h *ClientHello) JA3() (str, hash string) {
	var buf [512]byte
	b := h.AppendJA3(buf[:0])
	return string(b), md5Hex(b)
}

// JA3Hash returns only the MD5 of the JA3 string, without building the
// string as a Go string (the hot path of a packet reader needs only this).
func (h *ClientHello) JA3Hash() string {
	var buf [512]byte
	return md5Hex(h.AppendJA3(buf[:0]))
}

// AppendJA3S appends the JA3S string "version,cipher,extensions" of sh.
func (sh *ServerHello) AppendJA3S(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(sh.Version), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(sh.CipherSuite), 10)
	dst = append(dst, ',')
	return appendDecimals(dst, sh.Extensions)
}

// JA3S returns the JA3S string of sh and its MD5 in lowercase hex.
func (sh *ServerHello) JA3S() (str, hash string) {
	var buf [256]byte
	b := sh.AppendJA3S(buf[:0])
	return string(b), md5Hex(b)
}

// JA3SHash returns only the MD5 of the JA3S string.
func (sh *ServerHello) JA3SHash() string {
	var buf [256]byte
	return md5Hex(sh.AppendJA3S(buf[:0]))
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func appendDecimals(dst []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		if IsGREASE(v) {
			continue
		}
		if !first {
			dst = append(dst, '-')
		}
		first = false
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return dst
}

// Transport markers for the first character of JA4.
const (
	TransportTCP  = 't'
	TransportQUIC = 'q'
	TransportDTLS = 'd'
)

// JA4 returns the FoxIO JA4 fingerprint of h, e.g.
// "t13d1516h2_8daaf6152771_e5627efa2ab1". transport is TransportTCP,
// TransportQUIC or TransportDTLS.
func (h *ClientHello) JA4(transport byte) string {
	var out [36]byte
	b := out[:0]
	b = append(b, transport)
	b = append(b, ja4Version(h)...)
	if h.HasServerName {
		b = append(b, 'd')
	} else {
		b = append(b, 'i')
	}
	var sorted [128]uint16
	ciphers := appendNonGREASE(sorted[:0], h.CipherSuites)
	b = appendCount(b, len(ciphers))
	nExt := 0
	for _, e := range h.Extensions {
		if !IsGREASE(e) {
			nExt++
		}
	}
	b = appendCount(b, nExt)
	b = appendALPN(b, h.ALPN)
	b = append(b, '_')

	var text [2048]byte
	slices.Sort(ciphers)
	if len(ciphers) == 0 {
		b = append(b, "000000000000"...)
	} else {
		b = appendHash12(b, appendHexList(text[:0], ciphers))
	}
	b = append(b, '_')

	exts := sorted[:0]
	for _, e := range h.Extensions {
		if !IsGREASE(e) && e != extServerName && e != extALPN {
			exts = append(exts, e)
		}
	}
	if len(exts) == 0 {
		return string(append(b, "000000000000"...))
	}
	slices.Sort(exts)
	t := appendHexList(text[:0], exts)
	var algs [128]uint16
	sigs := appendNonGREASE(algs[:0], h.SignatureAlgorithms)
	if len(sigs) > 0 {
		t = append(t, '_')
		t = appendHexList(t, sigs)
	}
	return string(appendHash12(b, t))
}

func ja4Version(h *ClientHello) string {
	v := h.Version
	if len(h.SupportedVersions) > 0 {
		v = 0
		for _, sv := range h.SupportedVersions {
			if !IsGREASE(sv) && sv > v {
				v = sv
			}
		}
	}
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func appendNonGREASE(dst, vs []uint16) []uint16 {
	for _, v := range vs {
		if !IsGREASE(v) {
			dst = append(dst, v)
		}
	}
	return dst
}

func appendCount(b []byte, n int) []byte {
	if n > 99 {
		n = 99
	}
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// appendALPN appends the first and last character of the first ALPN value,
// or of its hex form when either end is not alphanumeric, or "00".
func appendALPN(b []byte, alpn []string) []byte {
	if len(alpn) == 0 || alpn[0] == "" {
		return append(b, "00"...)
	}
	p := alpn[0]
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return append(b, first, last)
	}
	const digits = "0123456789abcdef"
	return append(b, digits[first>>4], digits[last&0x0f])
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

func appendHexList(b []byte, vs []uint16) []byte {
	const digits = "0123456789abcdef"
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
	}
	return b
}

func appendHash12(b, text []byte) []byte {
	sum := sha256.Sum256(text)
	var h [64]byte
	hex.Encode(h[:], sum[:])
	return append(b, h[:12]...)
}
