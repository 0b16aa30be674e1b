// Package event is the one normalised telemetry record that every decoder
// (Zeek, Suricata EVE, pcap, cloud sign-in logs) produces and that the
// matcher and the network memory consume.
//
// An Event is a plain value designed to be reused: a decoder fills the same
// Event for every record and calls Reset between records, so that the slices
// keep their capacity and the hot path does not allocate.
package event

import (
	"net/netip"
	"time"
)

// Kind says which log or protocol an event came from. It decides the
// "where" label of an alert (dns.query, tls.sni, ...).
type Kind uint8

const (
	KindUnknown Kind = iota
	KindConn
	KindDNS
	KindHTTP
	KindTLS
	KindX509
	KindFile
	KindSMTP
	KindNotice
	KindWeird
	KindSignIn
	KindAlert
	KindGeneric
)

var kindNames = [...]string{"unknown", "conn", "dns", "http", "tls", "x509", "files", "smtp", "notice", "weird", "signin", "alert", "generic"}

// String returns the short log name of the kind, as used in "where" labels.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind is the inverse of String; unknown names give KindUnknown.
func ParseKind(s string) Kind {
	for i, n := range kindNames {
		if n == s {
			return Kind(i)
		}
	}
	return KindUnknown
}

// Event is one normalised telemetry record. Empty strings and invalid
// addresses mean "not present".
type Event struct {
	Time   time.Time
	Sensor string // "zeek", "suricata", "pcap", "entra", "google", or a sensor name
	UID    string // Zeek uid, EVE flow_id, or a decoder-made id
	Kind   Kind

	// The flow.
	Proto       uint8 // IANA protocol number: 6 TCP, 17 UDP, 1 ICMP; 0 unknown
	SrcIP       netip.Addr
	DstIP       netip.Addr
	SrcPort     uint16
	DstPort     uint16
	CommunityID string

	// Observables.
	Domain      string       // DNS query name
	Answers     []netip.Addr // DNS A/AAAA answers
	URL         string       // full URL when known (http://host/uri)
	Host        string       // HTTP Host header
	URI         string       // HTTP request target
	SNI         string       // TLS server name
	ALPN        []string
	CertSHA1    string // lowercase hex
	CertSHA256  string // lowercase hex
	CertSerial  string // uppercase hex, no leading zeros, as Zeek prints it
	CertSubject string
	CertIssuer  string
	CertNames   []string // subject alternative DNS names
	JA3         string
	JA3S        string
	JA4         string
	MD5         string
	SHA1        string
	SHA256      string
	FileName    string
	Emails      []string
	User        string
	UserAgent   string
	Cookies     []string // cookie names only

	// Sign-in events.
	App    string // application signed in to
	Result string // "success", "failure", or the provider's code

	// Bytes and packets of the flow when the log carries them.
	OrigBytes uint64
	RespBytes uint64
}

// Reset clears e for reuse, keeping the capacity of its slices.
func (e *Event) Reset() {
	answers, alpn, names, emails, cookies := e.Answers[:0], e.ALPN[:0], e.CertNames[:0], e.Emails[:0], e.Cookies[:0]
	*e = Event{}
	e.Answers, e.ALPN, e.CertNames, e.Emails, e.Cookies = answers, alpn, names, emails, cookies
}

// Clone returns a deep copy of e that does not share slices with it, for
// callers that keep an event beyond the decoder's next record.
func (e *Event) Clone() Event {
	c := *e
	c.Answers = append([]netip.Addr(nil), e.Answers...)
	c.ALPN = append([]string(nil), e.ALPN...)
	c.CertNames = append([]string(nil), e.CertNames...)
	c.Emails = append([]string(nil), e.Emails...)
	c.Cookies = append([]string(nil), e.Cookies...)
	return c
}

// OurSide names our side of the event, the host or account an incident is
// about: the account of a cloud sign-in, else the internal (private)
// address — the source of an outbound session, the destination of an
// inbound one — else the source; "" when the event has no address.
func (e *Event) OurSide() string {
	switch {
	case e.Kind == KindSignIn && e.User != "":
		return e.User
	case e.SrcIP.IsValid() && e.SrcIP.IsPrivate():
		return e.SrcIP.String()
	case e.DstIP.IsValid() && e.DstIP.IsPrivate():
		return e.DstIP.String()
	case e.SrcIP.IsValid():
		return e.SrcIP.String()
	}
	return ""
}
