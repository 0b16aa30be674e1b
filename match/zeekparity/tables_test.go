package zeekparity

import (
	"net/netip"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// umbraType translates a Zeek Intel::Type and the value it was given with
// into umbra's indicator type. Zeek has one type where umbra tells apart
// address families and digest algorithms, so the value's shape decides.
// ok is false for types umbra has no indicator for (USER_NAME, PUBKEY_HASH).
func umbraType(zeekType, value string) (indicator.Type, bool) {
	switch zeekType {
	case "Intel::ADDR":
		a, err := netip.ParseAddr(value)
		if err != nil {
			return indicator.Unknown, false
		}
		if a.Unmap().Is4() {
			return indicator.IPv4, true
		}
		return indicator.IPv6, true
	case "Intel::SUBNET":
		return indicator.CIDR, true
	case "Intel::DOMAIN":
		return indicator.Domain, true
	case "Intel::URL":
		return indicator.URL, true
	case "Intel::EMAIL":
		return indicator.Email, true
	case "Intel::SOFTWARE":
		return indicator.UserAgent, true
	case "Intel::FILE_NAME":
		return indicator.FileName, true
	case "Intel::CERT_HASH":
		switch len(value) {
		case 40:
			return indicator.CertSHA1, true
		case 64:
			return indicator.CertSHA256, true
		}
	case "Intel::FILE_HASH":
		switch len(value) {
		case 32:
			return indicator.MD5, true
		case 40:
			return indicator.SHA1, true
		case 64:
			return indicator.SHA256, true
		}
	}
	return indicator.Unknown, false
}

// whereKey is a Zeek seen.where value together with the Intel::Type seen
// there: Zeek uses one location (X509::IN_CERT) for several certificate
// fields, which umbra labels separately.
type whereKey struct {
	Where, Type string
}

// whereLabels maps the Zeek seen.where locations these btests use to the
// "<kind>.<field>" label umbra's matcher puts on the same observation. A
// location that is absent has no umbra equivalent: umbra does not decode the
// protocol (SMB), the field (SMTP header addresses) or the payload (HTTP
// bodies, where Zeek's file analysis finds names).
//
// SOMEWHERE and Intel::IN_ANYWHERE are what the btest scripts pass to
// Intel::seen by hand; the harness feeds those values to umbra as a
// KindGeneric event (see seenEvent), so they carry the generic labels.
var whereLabels = map[whereKey]string{
	{"DNS::IN_REQUEST", "Intel::DOMAIN"}:              "dns.query",
	{"HTTP::IN_HOST_HEADER", "Intel::DOMAIN"}:         "http.host",
	{"HTTP::IN_URL", "Intel::URL"}:                    "http.url",
	{"HTTP::IN_USER_AGENT_HEADER", "Intel::SOFTWARE"}: "http.user_agent",
	{"SSL::IN_SERVER_NAME", "Intel::DOMAIN"}:          "tls.sni",
	{"X509::IN_CERT", "Intel::DOMAIN"}:                "x509.san",
	{"X509::IN_CERT", "Intel::CERT_HASH"}:             "x509.fingerprint",
	{"Conn::IN_ORIG", "Intel::ADDR"}:                  "conn.id.orig_h",
	{"Conn::IN_RESP", "Intel::ADDR"}:                  "conn.id.resp_h",
	{"Files::IN_HASH", "Intel::FILE_HASH"}:            "files.sha1", // refined by digest length in umbraWhere
	{"Files::IN_NAME", "Intel::FILE_NAME"}:            "files.name",
	{"SMTP::IN_MAIL_FROM", "Intel::EMAIL"}:            "smtp.mailfrom",
	{"SMTP::IN_RCPT_TO", "Intel::EMAIL"}:              "smtp.rcptto",
	{"SOMEWHERE", "Intel::ADDR"}:                      "generic.id.orig_h",
	{"SOMEWHERE", "Intel::EMAIL"}:                     "generic.user",
	{"Intel::IN_ANYWHERE", "Intel::DOMAIN"}:           "generic.query",
}

// umbraWhere returns umbra's label for a Zeek location, and false when umbra
// has none.
func umbraWhere(where, zeekType, value string) (string, bool) {
	l, ok := whereLabels[whereKey{where, zeekType}]
	if ok && where == "Files::IN_HASH" {
		switch len(value) {
		case 32:
			l = "files.md5"
		case 64:
			l = "files.sha256"
		}
	}
	return l, ok
}
