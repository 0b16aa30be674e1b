package indicator

import "strings"

// typeWords maps the type names feeds write (after foldWord) to a Type.
// Words that cover several types ("ip", "hash") map to one of them and are
// meant to go through Coerce, which lets the value pick the sibling.
var typeWords = map[string]Type{
	// addresses
	"ip": IPv4, "ips": IPv4, "ip address": IPv4, "ipaddress": IPv4, "ip addr": IPv4, "addr": IPv4, "address": IPv4,
	"ipv4": IPv4, "ipv4 addr": IPv4, "ipv4 address": IPv4, "ip dst": IPv4, "ip src": IPv4,
	"ipv6": IPv6, "ipv6 addr": IPv6, "ipv6 address": IPv6,
	"cidr": CIDR, "subnet": CIDR, "netblock": CIDR, "network": CIDR, "ip range": CIDR, "prefix": CIDR,
	// names
	"domain": Domain, "domains": Domain, "domain name": Domain, "hostname": Domain, "host": Domain, "fqdn": Domain, "dns": Domain,
	"url": URL, "uri": URL, "urls": URL, "link": URL,
	"email": Email, "e mail": Email, "email address": Email, "email addr": Email, "email src": Email, "email dst": Email,
	"whois registrant email": Email, "registrant email": Email, "mail": Email,
	"phone": Phone, "phone number": Phone, "telephone": Phone, "whois registrant phone": Phone, "registrant phone": Phone,
	// file hashes
	"md5": MD5, "file md5": MD5, "md5 hash": MD5, "hash md5": MD5, "filehash md5": MD5, "md5sum": MD5,
	"sha1": SHA1, "sha 1": SHA1, "file sha1": SHA1, "sha1 hash": SHA1, "hash sha1": SHA1, "filehash sha1": SHA1, "sha1sum": SHA1,
	"sha256": SHA256, "sha 256": SHA256, "file sha256": SHA256, "sha256 hash": SHA256, "hash sha256": SHA256, "filehash sha256": SHA256, "sha256sum": SHA256,
	"sha512": SHA512, "sha 512": SHA512, "file sha512": SHA512, "sha512 hash": SHA512, "hash sha512": SHA512,
	"hash": MD5, "file hash": MD5, "filehash": MD5,
	// certificates
	"cert sha1": CertSHA1, "certificate sha1": CertSHA1, "cert hash": CertSHA1, "certificate hash": CertSHA1,
	"ssl cert sha1": CertSHA1, "tls cert sha1": CertSHA1, "x509 fingerprint sha1": CertSHA1, "cert fingerprint": CertSHA1,
	"cert sha256": CertSHA256, "certificate sha256": CertSHA256, "x509 fingerprint sha256": CertSHA256,
	"ssl cert sha256": CertSHA256, "tls cert sha256": CertSHA256,
	"cert serial": CertSerial, "certificate serial": CertSerial, "code sign cert serial": CertSerial,
	"code signing cert serial": CertSerial, "serial": CertSerial, "serial number": CertSerial, "x509 serial": CertSerial,
	// TLS fingerprints
	"ja3": JA3, "ja3 fingerprint": JA3, "ja3 fingerprint md5": JA3, "ja3 hash": JA3,
	"ja3s": JA3S, "ja3s fingerprint": JA3S, "ja3s fingerprint md5": JA3S, "ja3s hash": JA3S,
	"ja4": JA4, "ja4 fingerprint": JA4,
	// HTTP and the rest
	"cookie": Cookie, "cookie name": Cookie,
	"user agent": UserAgent, "useragent": UserAgent, "ua": UserAgent, "http user agent": UserAgent, "software": UserAgent,
	"asn": ASN, "as": ASN, "as number": ASN, "autonomous system": ASN,
	"filename": FileName, "file name": FileName, "file": FileName,
}

// ParseTypeWord maps a type name as feeds write it ("IP", "FILE MD5",
// "CODE SIGN CERT SERIAL", "ip-dst", "Domain", our own names such as
// "cert-sha1") to a Type. Matching ignores case and treats space, '-',
// '_' and ':' alike. Words for a family ("IP", "hash") return one member;
// pass the result to Coerce so the value picks the exact type.
func ParseTypeWord(word string) (Type, bool) {
	w := foldWord(word)
	if t, ok := typeWords[w]; ok {
		return t, true
	}
	if t := ParseType(strings.ReplaceAll(w, " ", "-")); t != Unknown {
		return t, true
	}
	return Unknown, false
}

func foldWord(s string) string {
	s = strings.TrimSpace(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '-' || c == '_' || c == ':' || c == '\t' || c == '.' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}
