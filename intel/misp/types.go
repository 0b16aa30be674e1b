package misp

import (
	"fmt"
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
//
// A value that is not valid for its type (a "domain" with a space, an md5
// of 31 digits) gives an error naming the attribute type and the value;
// the attribute's other values are still returned.
func (a *Attribute) Values(objectName string) ([]Value, error) {
	var vs values
	vs.add(a.Type, string(a.ObjectRelation), objectName, strings.TrimSpace(a.Value))
	return vs.out, vs.err
}

// values accumulates an attribute's indicator values and its first bad one.
type values struct {
	out []Value
	err error
}

func (vs *values) add(typ, relation, objectName, v string) {
	if v == "" {
		return
	}
	if t, ok := single[typ]; ok {
		vs.one(typ, t, v)
		return
	}
	switch typ {
	case "ip-src", "ip-dst":
		vs.ip(typ, v)
		return
	case "ip-src|port", "ip-dst|port":
		if i := strings.LastIndexByte(v, '|'); i > 0 {
			v = v[:i]
		}
		vs.ip(typ, v)
		return
	case "domain|ip":
		d, ip, ok := strings.Cut(v, "|")
		vs.one(typ, indicator.Domain, d)
		if ok {
			vs.ip(typ, ip)
		}
		return
	case "hostname|port":
		h, _, _ := strings.Cut(v, "|")
		vs.one(typ, indicator.Domain, h)
		return
	case "uri":
		// MISP's uri is usually a path; only a full URL is matchable on its own.
		if strings.Contains(v, "://") {
			vs.one(typ, indicator.URL, v)
		}
		return
	case "malware-sample":
		vs.add("filename|md5", relation, objectName, v)
		return
	case "text":
		if objectName == "x509" && relation == "serial-number" {
			vs.one(typ, indicator.CertSerial, v)
		}
		return
	}
	if h, ok := strings.CutPrefix(typ, "filename|"); ok {
		name, hash, found := strings.Cut(v, "|")
		vs.one(typ, indicator.FileName, name)
		if t, ok := hashPart[h]; ok && found {
			vs.one(typ, t, hash)
		}
	}
}

// one normalises v with indicator.Normalize, the spelling every umbra
// component agrees on.
func (vs *values) one(mispType string, t indicator.Type, v string) {
	n, err := indicator.Normalize(t, v)
	if err != nil {
		if vs.err == nil {
			vs.err = fmt.Errorf("%s attribute: %w", mispType, err)
		}
		return
	}
	vs.out = append(vs.out, Value{t, n})
}

// ip lets the value decide between IPv4, IPv6 and a prefix.
func (vs *values) ip(mispType, v string) {
	t, n, err := indicator.Coerce(indicator.IPv4, v)
	if err != nil {
		if vs.err == nil {
			vs.err = fmt.Errorf("%s attribute: %w", mispType, err)
		}
		return
	}
	vs.out = append(vs.out, Value{t, n})
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
		// MISP has no attribute type for a serial: it is a text attribute
		// whose meaning comes from its place, serial-number of an x509
		// object (see X509Object). A bare text attribute reads back as
		// nothing.
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

// The x509 object template of misp-objects (objects/x509/definition.json).
const (
	x509TemplateUUID    = "d1ab756a-26b5-4349-9f43-765630f0911c"
	x509TemplateVersion = "4"
	x509Relation        = "serial-number"
)

// X509Object wraps a code-signing certificate serial's attribute a in the
// x509 object MISP reads serials from, as its serial-number; objUUID
// identifies the object. Exported alone, a "text" attribute would come
// back as no indicator at all.
func X509Object(a Attribute, objUUID string) Object {
	a.ObjectRelation = x509Relation
	return Object{UUID: objUUID, Name: "x509", MetaCategory: "network", Description: "x509 object describing a X.509 certificate",
		TemplateUUID: x509TemplateUUID, TemplateVersion: x509TemplateVersion, Comment: a.Comment,
		Timestamp: a.Timestamp, Attributes: []Attribute{a}}
}
