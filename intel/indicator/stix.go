package indicator

import (
	"crypto/sha1"
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/umbra-cti/umbra/stix"
)

// patternPaths is the STIX object path each type is written under.
//
// Where STIX 2.1 has no standard property we use custom extensions on
// network-traffic, named with the x-umbra- prefix that STIX reserves for
// custom content:
//
//	JA3, JA3S, JA4   network-traffic:extensions.'x-umbra-tls'.ja3 / ja3s / ja4
//	cookie name      network-traffic:extensions.'x-umbra-http'.cookie_name
//	phone            x-umbra-phone:value  (WHOIS registrant phone; STIX has
//	                 no phone object)
//
// User-agents use the standard http-request-ext header; certificate
// fingerprints use x509-certificate:hashes, as STIX intends.
var patternPaths = [...]string{
	IPv4:       "ipv4-addr:value",
	IPv6:       "ipv6-addr:value",
	CIDR:       "", // ipv4-addr or ipv6-addr by family
	Domain:     "domain-name:value",
	URL:        "url:value",
	Email:      "email-addr:value",
	Phone:      "x-umbra-phone:value",
	MD5:        "file:hashes.'MD5'",
	SHA1:       "file:hashes.'SHA-1'",
	SHA256:     "file:hashes.'SHA-256'",
	SHA512:     "file:hashes.'SHA-512'",
	CertSHA1:   "x509-certificate:hashes.'SHA-1'",
	CertSHA256: "x509-certificate:hashes.'SHA-256'",
	CertSerial: "x509-certificate:serial_number",
	JA3:        "network-traffic:extensions.'x-umbra-tls'.ja3",
	JA3S:       "network-traffic:extensions.'x-umbra-tls'.ja3s",
	JA4:        "network-traffic:extensions.'x-umbra-tls'.ja4",
	Cookie:     "network-traffic:extensions.'x-umbra-http'.cookie_name",
	UserAgent:  "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'",
	ASN:        "autonomous-system:number",
	FileName:   "file:name",
}

// Pattern returns the STIX pattern that matches the normalised value v of
// type t: one equality comparison, e.g. [domain-name:value = 'evil.com'].
// It returns "" for Unknown.
func Pattern(t Type, v string) string {
	path := ""
	switch {
	case t == CIDR:
		path = "ipv4-addr:value"
		if strings.IndexByte(v, ':') >= 0 {
			path = "ipv6-addr:value"
		}
	case int(t) < len(patternPaths):
		path = patternPaths[t]
	}
	if path == "" {
		return ""
	}
	if t == ASN {
		if n, err := strconv.ParseUint(strings.TrimPrefix(v, "AS"), 10, 32); err == nil {
			return "[" + path + " = " + strconv.FormatUint(n, 10) + "]"
		}
	}
	var b strings.Builder
	b.Grow(len(path) + len(v) + 8)
	b.WriteByte('[')
	b.WriteString(path)
	b.WriteString(" = '")
	for i := 0; i < len(v); i++ {
		if v[i] == '\'' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteString("']")
	return b.String()
}

// STIXOptions are the properties ToSTIX takes from the import rather than
// from the record.
type STIXOptions struct {
	// Time is written as created, modified and valid_from; zero means now.
	Time time.Time
	// CreatedByRef is the identity of the producer, if known.
	CreatedByRef string
	// Confidence (0-100), when not nil.
	Confidence *int
	// IndicatorTypes defaults to ["malicious-activity"].
	IndicatorTypes []string
	// MarkingRefs are object_marking_refs, e.g. a TLP marking-definition id.
	MarkingRefs []string
}

// IndicatorID is the deterministic STIX id for a value from a source, so
// that importing the same list twice yields the same objects (a store sees
// a new version, not a new indicator). The source is part of the name
// because two feeds naming one value are two claims, each with its own
// description and references.
func IndicatorID(t Type, v, source string) string {
	return deterministicIndicatorID(t.String(), v, source)
}

// stixNamespace is the STIX 2.1 SCO namespace that stix.DeterministicID
// hashes under; TestIndicatorIDIsDeterministicID keeps the two in step.
var stixNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// deterministicIndicatorID computes stix.DeterministicID("indicator",
// "umbra-indicator|TYPE|VALUE|SOURCE") without its fmt and hash-object
// allocations: ids are minted once per imported row, and those
// allocations were a quarter of the import cost (BenchmarkToSTIX).
func deterministicIndicatorID(typ, v, source string) string {
	var stack [256]byte
	buf := append(stack[:0], stixNamespace[:]...)
	buf = append(buf, "umbra-indicator|"...)
	buf = append(buf, typ...)
	buf = append(buf, '|')
	buf = append(buf, v...)
	buf = append(buf, '|')
	buf = append(buf, source...)
	sum := sha1.Sum(buf)
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	const prefix = "indicator--"
	var out [len(prefix) + 36]byte
	copy(out[:], prefix)
	j := len(prefix)
	for i := 0; i < 16; i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = lowerHex[sum[i]>>4]
		out[j+1] = lowerHex[sum[i]&15]
		j += 2
	}
	return string(out[:])
}

const lowerHex = "0123456789abcdef"

// ToSTIX converts r into a STIX 2.1 indicator with pattern_type "stix", a
// deterministic id (IndicatorID), and the custom properties x_umbra_type
// and x_umbra_value carrying the normalised type and value, so that a store
// can index the indicator without parsing its pattern. Tags become labels,
// References become external_references, Source becomes x_umbra_sources.
//
// The JSON is written directly rather than through stix.Build: importing
// is a hot path (see BenchmarkToSTIX) and the object's shape is fixed.
func ToSTIX(r Record, opts STIXOptions) (stix.Object, error) {
	pattern := Pattern(r.Type, r.Value)
	if pattern == "" {
		return stix.Object{}, bad(r.Type, r.Value, "no STIX pattern for this type")
	}
	ts := opts.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	now := formatTime(ts)
	id := IndicatorID(r.Type, r.Value, r.Source)
	types := opts.IndicatorTypes
	if len(types) == 0 {
		types = defaultIndicatorTypes
	}

	o := stix.Object{Type: "indicator", ID: id, SpecVersion: stix.SpecVersion, Created: now, Modified: now}
	c := &o.Common
	c.Name = r.Value
	c.Description = r.Description
	c.Confidence = opts.Confidence
	c.CreatedByRef = opts.CreatedByRef
	c.Labels = r.Tags
	c.ObjectMarkingRefs = opts.MarkingRefs
	c.ValidFrom = now
	c.Pattern = pattern
	c.PatternType = "stix"
	if r.Source != "" {
		c.XSources = []string{r.Source}
	}
	c.XType, c.XValue = r.Type.String(), r.Value
	for _, ref := range r.References {
		c.ExternalRefs = append(c.ExternalRefs, externalRef(ref, r.Source))
	}

	// Size the buffer once: growing it copies the object and doubles the
	// garbage per indicator.
	size := 420 + 2*len(r.Value) + len(pattern) + len(r.Description) + 2*len(r.Source) + len(opts.CreatedByRef)
	for _, ref := range r.References {
		size += len(ref) + len(r.Source) + 48
	}
	for _, tag := range r.Tags {
		size += len(tag) + 3
	}
	for _, m := range opts.MarkingRefs {
		size += len(m) + 3
	}
	b := make([]byte, 0, size)
	b = append(b, `{"type":"indicator","spec_version":"2.1","id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"created":"`...)
	b = append(b, now...)
	b = append(b, `","modified":"`...)
	b = append(b, now...)
	b = append(b, '"')
	if c.CreatedByRef != "" {
		b = append(b, `,"created_by_ref":`...)
		b = appendJSONString(b, c.CreatedByRef)
	}
	b = append(b, `,"name":`...)
	b = appendJSONString(b, c.Name)
	if c.Description != "" {
		b = append(b, `,"description":`...)
		b = appendJSONString(b, c.Description)
	}
	b = append(b, `,"indicator_types":`...)
	b = appendJSONStrings(b, types)
	b = append(b, `,"pattern":`...)
	b = appendJSONString(b, pattern)
	b = append(b, `,"pattern_type":"stix","pattern_version":"2.1","valid_from":"`...)
	b = append(b, now...)
	b = append(b, '"')
	if len(c.Labels) > 0 {
		b = append(b, `,"labels":`...)
		b = appendJSONStrings(b, c.Labels)
	}
	if c.Confidence != nil {
		b = append(b, `,"confidence":`...)
		b = strconv.AppendInt(b, int64(*c.Confidence), 10)
	}
	if len(c.ObjectMarkingRefs) > 0 {
		b = append(b, `,"object_marking_refs":`...)
		b = appendJSONStrings(b, c.ObjectMarkingRefs)
	}
	if len(c.ExternalRefs) > 0 {
		b = append(b, `,"external_references":[`...)
		for i, e := range c.ExternalRefs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"source_name":`...)
			b = appendJSONString(b, e.SourceName)
			if e.Description != "" {
				b = append(b, `,"description":`...)
				b = appendJSONString(b, e.Description)
			}
			if e.URL != "" {
				b = append(b, `,"url":`...)
				b = appendJSONString(b, e.URL)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"x_umbra_type":`...)
	b = appendJSONString(b, r.Type.String())
	b = append(b, `,"x_umbra_value":`...)
	b = appendJSONString(b, r.Value)
	if len(c.XSources) > 0 {
		b = append(b, `,"x_umbra_sources":`...)
		b = appendJSONStrings(b, c.XSources)
	}
	b = append(b, '}')
	o.Raw = b
	return o, nil
}

var defaultIndicatorTypes = []string{"malicious-activity"}

// lastTime caches the last formatted timestamp: an import stamps every
// object with the same instant, and formatting it anew each time was a
// tenth of the import's allocations.
var lastTime atomic.Pointer[formattedTime]

type formattedTime struct {
	ms int64
	s  string
}

func formatTime(t time.Time) string {
	ms := t.UnixMilli()
	if c := lastTime.Load(); c != nil && c.ms == ms {
		return c.s
	}
	s := stix.FormatTime(t)
	lastTime.Store(&formattedTime{ms, s})
	return s
}

// externalRef makes a STIX external reference of a URL or a citation.
func externalRef(ref, source string) stix.ExternalReference {
	if strings.Contains(ref, "://") {
		name := source
		if name == "" {
			_, rest, _ := strings.Cut(ref, "://")
			name, _, _ = strings.Cut(rest, "/")
		}
		if name == "" {
			name = "reference"
		}
		return stix.ExternalReference{SourceName: name, URL: ref}
	}
	// STIX wants more than a name in an external reference.
	name := source
	if name == "" {
		name = "reference"
	}
	return stix.ExternalReference{SourceName: name, Description: ref}
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	// Most values need no escaping: copy them in one go.
	clean := 0
	for clean < len(s) && s[clean] >= 0x20 && s[clean] < utf8.RuneSelf && s[clean] != '"' && s[clean] != '\\' {
		clean++
	}
	b = append(b, s[:clean]...)
	for i := clean; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				switch c {
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				case '\t':
					b = append(b, '\\', 't')
				default:
					b = append(b, '\\', 'u', '0', '0', upperHex[c>>4], upperHex[c&15])
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// FromSTIX extracts the indicator a STIX indicator object carries: from
// x_umbra_type/x_umbra_value when present (umbra wrote it), otherwise from
// a pattern that is a single equality comparison on a path ToSTIX would
// write (most feeds' indicators are). Anything else — a revoked object, a
// non-STIX pattern, a compound pattern — reports false: those need the
// full pattern engine in stix/pattern.
func FromSTIX(o stix.Object) (Indicator, bool) {
	if o.Type != "indicator" || o.Common.Revoked {
		return Indicator{}, false
	}
	t, v := Unknown, ""
	if o.Common.XType != "" {
		t, v = ParseType(o.Common.XType), o.Common.XValue
	}
	if t == Unknown {
		if pt := o.Common.PatternType; pt != "" && pt != "stix" {
			return Indicator{}, false
		}
		var ok bool
		if t, v, ok = parseSimplePattern(o.Common.Pattern); !ok {
			return Indicator{}, false
		}
	}
	t, n, err := Coerce(t, v)
	if err != nil {
		return Indicator{}, false
	}
	in := Indicator{Type: t, Value: n, IDs: []string{o.ID}}
	if len(o.Common.XSources) > 0 {
		in.Sources = append([]string(nil), o.Common.XSources...)
	} else if o.Common.CreatedByRef != "" {
		in.Sources = []string{o.Common.CreatedByRef}
	}
	return in, true
}

// CorrelationValue is the value an indicator or an observable carries, as
// the correlation index keys it and as Lookup asks for it: an umbra
// indicator's x_umbra_value; the normalised value of any other indicator's
// simple pattern ("[domain-name:value = 'Evil.COM']" carries evil.com);
// an observable's value, normalised when umbra has a type for it. It is ""
// for objects that carry none, such as indicators whose pattern is more
// than one comparison.
func CorrelationValue(o *stix.Object) string {
	switch {
	case o.Type == "indicator":
		if o.Common.XValue != "" {
			return o.Common.XValue
		}
		if pt := o.Common.PatternType; pt != "" && pt != "stix" {
			return ""
		}
		if t, v, ok := parseSimplePattern(o.Common.Pattern); ok {
			if _, n, err := Coerce(t, v); err == nil {
				return n
			}
		}
	case stix.IsSCO(o.Type) && len(o.Common.Value) > 0:
		var v string
		if json.Unmarshal(o.Common.Value, &v) != nil {
			return ""
		}
		if t := typeOfPath(o.Type + ":value"); t != Unknown {
			if _, n, err := Coerce(t, v); err == nil {
				return n
			}
		}
		return v
	}
	return ""
}

// parseSimplePattern reads "[object:path = 'value']" (or a bare integer
// for autonomous-system:number) and maps the path to a Type.
func parseSimplePattern(p string) (Type, string, bool) {
	p = strings.TrimSpace(p)
	if len(p) < 2 || p[0] != '[' || p[len(p)-1] != ']' {
		return Unknown, "", false
	}
	p = strings.TrimSpace(p[1 : len(p)-1])
	// The path ends at the first space or '='; quoted path steps
	// ('SHA-256', 'User-Agent') contain neither.
	i := strings.IndexAny(p, " =")
	if i <= 0 {
		return Unknown, "", false
	}
	path, rest := p[:i], strings.TrimSpace(p[i:])
	if !strings.HasPrefix(rest, "=") {
		return Unknown, "", false
	}
	rest = strings.TrimSpace(rest[1:])
	var v string
	if strings.HasPrefix(rest, "'") {
		var b strings.Builder
		j := 1
		for ; j < len(rest); j++ {
			c := rest[j]
			if c == '\\' && j+1 < len(rest) {
				j++
				b.WriteByte(rest[j])
				continue
			}
			if c == '\'' {
				break
			}
			b.WriteByte(c)
		}
		if j != len(rest)-1 {
			return Unknown, "", false // unterminated, or more after the literal
		}
		v = b.String()
	} else {
		if _, err := strconv.ParseUint(rest, 10, 32); err != nil {
			return Unknown, "", false
		}
		v = rest
	}
	t := typeOfPath(path)
	if t == Unknown {
		return Unknown, "", false
	}
	if (t == IPv4 || t == IPv6) && strings.IndexByte(v, '/') >= 0 {
		t = CIDR
	}
	return t, v, true
}

func typeOfPath(path string) Type {
	// Normalise the quoting of hash names: file:hashes.MD5 and
	// file:hashes.'MD5' are the same path.
	obj, prop, ok := strings.Cut(path, ":")
	if !ok {
		return Unknown
	}
	prop = strings.ReplaceAll(prop, "'", "")
	switch obj + ":" + strings.ToLower(prop) {
	case "ipv4-addr:value":
		return IPv4
	case "ipv6-addr:value":
		return IPv6
	case "domain-name:value":
		return Domain
	case "url:value":
		return URL
	case "email-addr:value":
		return Email
	case "x-umbra-phone:value":
		return Phone
	case "file:hashes.md5":
		return MD5
	case "file:hashes.sha-1", "file:hashes.sha1":
		return SHA1
	case "file:hashes.sha-256", "file:hashes.sha256":
		return SHA256
	case "file:hashes.sha-512", "file:hashes.sha512":
		return SHA512
	case "x509-certificate:hashes.sha-1", "x509-certificate:hashes.sha1":
		return CertSHA1
	case "x509-certificate:hashes.sha-256", "x509-certificate:hashes.sha256":
		return CertSHA256
	case "x509-certificate:serial_number":
		return CertSerial
	case "network-traffic:extensions.x-umbra-tls.ja3":
		return JA3
	case "network-traffic:extensions.x-umbra-tls.ja3s":
		return JA3S
	case "network-traffic:extensions.x-umbra-tls.ja4":
		return JA4
	case "network-traffic:extensions.x-umbra-http.cookie_name":
		return Cookie
	case "network-traffic:extensions.http-request-ext.request_header.user-agent":
		return UserAgent
	case "autonomous-system:number":
		return ASN
	case "file:name":
		return FileName
	}
	return Unknown
}
