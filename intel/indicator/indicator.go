// Package indicator defines the indicator value types umbra understands and
// how each is normalised, so that importers, the matcher and the
// correlation index agree on one canonical spelling per value.
package indicator

// Type is the kind of value an indicator holds.
type Type uint8

const (
	Unknown Type = iota
	IPv4
	IPv6
	CIDR // an IPv4 or IPv6 prefix
	Domain
	URL
	Email
	Phone // WHOIS registrant phone
	MD5
	SHA1
	SHA256
	SHA512
	CertSHA1   // TLS certificate fingerprint
	CertSHA256 // TLS certificate fingerprint
	CertSerial // code-signing or TLS certificate serial
	JA3
	JA3S
	JA4
	Cookie    // HTTP cookie name
	UserAgent // HTTP user-agent
	ASN
	FileName
)

var typeNames = [...]string{"unknown", "ipv4", "ipv6", "cidr", "domain", "url", "email", "phone", "md5", "sha1", "sha256", "sha512",
	"cert-sha1", "cert-sha256", "cert-serial", "ja3", "ja3s", "ja4", "cookie", "user-agent", "asn", "file-name"}

// String returns the stable name used in alerts, exports and the store.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType is the inverse of String; unknown names give Unknown.
func ParseType(s string) Type {
	for i, n := range typeNames {
		if n == s {
			return Type(i)
		}
	}
	return Unknown
}

// Types lists every known type except Unknown, in a stable order.
func Types() []Type {
	out := make([]Type, 0, len(typeNames)-1)
	for i := 1; i < len(typeNames); i++ {
		out = append(out, Type(i))
	}
	return out
}

// Actor is an attribution carried by an indicator: the actor, campaign or
// umbrella it points to and the confidence (0-100) of that link.
type Actor struct {
	Name       string `json:"name"`
	Confidence int    `json:"confidence"`
}

// Indicator is one active, normalised indicator value with its provenance,
// the unit the matcher compiles and the correlation index stores.
type Indicator struct {
	Type    Type
	Value   string   // normalised with Normalize
	IDs     []string // STIX indicator ids that carry the value
	Sources []string
	Actors  []Actor
	// Subdomains, for Domain indicators, also matches every name below Value.
	Subdomains bool
	// Score is the indicator's confidence decayed with the time since it
	// was last published or sighted (0-100; see intel.DecayScore).
	Score int
}
