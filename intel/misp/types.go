package misp

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Value is one indicator value an attribute carries; composite attributes
// such as filename|md5 or domain|ip carry two.
type Value struct {
	Type  indicator.Type
	Value string
}

// single maps MISP attribute types whose whole value is one indicator.
var single = map[string]indicator.Type{
	"domain": indicator.Domain, "hostname": indicator.Domain,
	"url":   indicator.URL,
	"email": indicator.Email, "email-src": indicator.Email, "email-dst": indicator.Email,
	"email-reply-to": indicator.Email, "whois-registrant-email": indicator.Email, "target-email": indicator.Email,
	"whois-registrant-phone": indicator.Phone, "phone-number": indicator.Phone,
	"md5": indicator.MD5, "sha1": indicator.SHA1, "sha256": indicator.SHA256, "sha512": indicator.SHA512,
	"x509-fingerprint-sha1": indicator.CertSHA1, "x509-fingerprint-sha256": indicator.CertSHA256,
	"ja3-fingerprint-md5": indicator.JA3, "ja3s-fingerprint-md5": indicator.JA3S, "ja4-fingerprint": indicator.JA4,
	"user-agent": indicator.UserAgent, "cookie": indicator.Cookie, "AS": indicator.ASN,
	"filename": indicator.FileName,
}

// hashPart maps the hash half of filename|<hash> types.
var hashPart = map[string]indicator.Type{
	"md5": indicator.MD5, "sha1": indicator.SHA1, "sha256": indicator.SHA256, "sha512": indicator.SHA512,
}

// Values returns the indicator values of an attribute. objectName is the
// name of the MISP object holding it ("" for a top-level attribute); it
// lets an x509 object's serial-number become a certificate serial.
// Attribute types umbra does not match on (text, link, ssdeep, jarm,
// x509-fingerprint-md5, ...) give nothing.
func (a *Attribute) Values(objectName string) []Value {
	return values(a.Type, string(a.ObjectRelation), objectName, strings.TrimSpace(a.Value))
}

func values(typ, relation, objectName, v string) []Value {
	if v == "" {
		return nil
	}
	if t, ok := single[typ]; ok {
		return one(t, v)
	}
	switch typ {
	case "ip-src", "ip-dst":
		return ipValue(v)
	case "ip-src|port", "ip-dst|port":
		if i := strings.LastIndexByte(v, '|'); i > 0 {
			return ipValue(v[:i])
		}
		return ipValue(v)
	case "domain|ip":
		d, ip, ok := strings.Cut(v, "|")
		if !ok {
			return one(indicator.Domain, v)
		}
		return append(one(indicator.Domain, d), ipValue(ip)...)
	case "hostname|port":
		h, _, _ := strings.Cut(v, "|")
		return one(indicator.Domain, h)
	case "uri":
		// MISP's uri is usually a path; only a full URL is matchable on its own.
		if strings.Contains(v, "://") {
			return one(indicator.URL, v)
		}
		return nil
	case "malware-sample":
		return values("filename|md5", relation, objectName, v)
	case "text":
		if objectName == "x509" && relation == "serial-number" {
			return one(indicator.CertSerial, v)
		}
		return nil
	}
	if h, ok := strings.CutPrefix(typ, "filename|"); ok {
		name, hash, found := strings.Cut(v, "|")
		out := one(indicator.FileName, name)
		if t, ok := hashPart[h]; ok && found {
			out = append(out, one(t, hash)...)
		}
		return out
	}
	return nil
}

func one(t indicator.Type, v string) []Value {
	v = normalize(t, v)
	if v == "" {
		return nil
	}
	return []Value{{t, v}}
}

func ipValue(s string) []Value {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil
		}
		p = p.Masked()
		if p.Bits() == p.Addr().BitLen() {
			return ipValue(p.Addr().String())
		}
		return []Value{{indicator.CIDR, p.String()}}
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	if a.Is4() {
		return []Value{{indicator.IPv4, a.String()}}
	}
	return []Value{{indicator.IPv6, a.WithZone("").String()}}
}

// normalize is the minimal canonical spelling umbra needs to merge
// duplicates: case-insensitive values lowercased, a domain's root dot
// dropped, an ASN reduced to its number. Values that cannot be right for
// their type give "".
func normalize(t indicator.Type, v string) string {
	v = strings.TrimSpace(v)
	switch t {
	case indicator.Domain:
		v = strings.TrimSuffix(strings.ToLower(v), ".")
		if v == "" || strings.ContainsAny(v, " /\t\r\n") {
			return ""
		}
	case indicator.Email:
		v = strings.ToLower(v)
		if !strings.Contains(v, "@") {
			return ""
		}
	case indicator.MD5, indicator.SHA1, indicator.SHA256, indicator.SHA512, indicator.CertSHA1,
		indicator.CertSHA256, indicator.JA3, indicator.JA3S:
		v = strings.ToLower(strings.ReplaceAll(v, ":", ""))
		if !isHex(v) || len(v) != hexLen[t] {
			return ""
		}
	case indicator.CertSerial:
		v = strings.ToLower(strings.ReplaceAll(v, ":", ""))
	case indicator.ASN:
		n := strings.TrimPrefix(strings.ToUpper(v), "AS")
		if _, err := strconv.ParseUint(n, 10, 32); err != nil {
			return ""
		}
		v = n
	case indicator.JA4:
		v = strings.ToLower(v)
	}
	return v
}

var hexLen = map[indicator.Type]int{
	indicator.MD5: 32, indicator.SHA1: 40, indicator.SHA256: 64, indicator.SHA512: 128,
	indicator.CertSHA1: 40, indicator.CertSHA256: 64, indicator.JA3: 32, indicator.JA3S: 32,
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// AttributeType returns the MISP attribute type and category that carry an
// indicator type when umbra exports to MISP. ok is false for Unknown.
func AttributeType(t indicator.Type) (typ, category string, ok bool) {
	switch t {
	case indicator.IPv4, indicator.IPv6, indicator.CIDR:
		return "ip-dst", "Network activity", true
	case indicator.Domain:
		return "domain", "Network activity", true
	case indicator.URL:
		return "url", "Network activity", true
	case indicator.Email:
		return "email-src", "Payload delivery", true
	case indicator.Phone:
		return "whois-registrant-phone", "Attribution", true
	case indicator.MD5:
		return "md5", "Payload delivery", true
	case indicator.SHA1:
		return "sha1", "Payload delivery", true
	case indicator.SHA256:
		return "sha256", "Payload delivery", true
	case indicator.SHA512:
		return "sha512", "Payload delivery", true
	case indicator.CertSHA1:
		return "x509-fingerprint-sha1", "Network activity", true
	case indicator.CertSHA256:
		return "x509-fingerprint-sha256", "Network activity", true
	case indicator.CertSerial:
		// MISP has no attribute type for a serial outside an x509 object.
		return "text", "Network activity", true
	case indicator.JA3:
		return "ja3-fingerprint-md5", "Network activity", true
	case indicator.JA3S:
		return "ja3s-fingerprint-md5", "Network activity", true
	case indicator.JA4:
		return "ja4-fingerprint", "Network activity", true
	case indicator.Cookie:
		return "cookie", "Network activity", true
	case indicator.UserAgent:
		return "user-agent", "Network activity", true
	case indicator.ASN:
		return "AS", "Network activity", true
	case indicator.FileName:
		return "filename", "Payload delivery", true
	}
	return "", "", false
}
