// Package stix reads and writes STIX 2.1 objects and bundles.
//
// An Object keeps the exact JSON it was read from, so that unknown and x_
// custom properties survive a round trip untouched; the handful of common
// properties umbra needs for storage and indexing are parsed beside it.
// Bundles are read and written as streams, one object at a time.
package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// SpecVersion is the STIX version umbra writes.
const SpecVersion = "2.1"

// TimeFormat is the STIX timestamp layout umbra writes: UTC, millisecond precision.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Object is one STIX object: its raw JSON plus the common properties that
// umbra stores and indexes.
type Object struct {
	Type        string
	ID          string
	SpecVersion string
	Created     string // as written in the source, to keep its precision
	Modified    string
	Raw         json.RawMessage
	Common      Common
}

// Common holds the optional common properties umbra reads from every object.
type Common struct {
	Name              string              `json:"name,omitempty"`
	Aliases           []string            `json:"aliases,omitempty"`
	Description       string              `json:"description,omitempty"`
	Confidence        *int                `json:"confidence,omitempty"`
	CreatedByRef      string              `json:"created_by_ref,omitempty"`
	Revoked           bool                `json:"revoked,omitempty"`
	Labels            []string            `json:"labels,omitempty"`
	ObjectMarkingRefs []string            `json:"object_marking_refs,omitempty"`
	ExternalRefs      []ExternalReference `json:"external_references,omitempty"`
	FirstSeen         string              `json:"first_seen,omitempty"`
	LastSeen          string              `json:"last_seen,omitempty"`
	ValidFrom         string              `json:"valid_from,omitempty"`
	ValidUntil        string              `json:"valid_until,omitempty"`
	Pattern           string              `json:"pattern,omitempty"`
	PatternType       string              `json:"pattern_type,omitempty"`
	SourceRef         string              `json:"source_ref,omitempty"`
	TargetRef         string              `json:"target_ref,omitempty"`
	RelationshipType  string              `json:"relationship_type,omitempty"`
	SightingOfRef     string              `json:"sighting_of_ref,omitempty"`
	ObjectRefs        []string            `json:"object_refs,omitempty"`
	Value             json.RawMessage     `json:"value,omitempty"` // SCOs: ipv4-addr, domain-name, ...
	XSources          []string            `json:"x_umbra_sources,omitempty"`
	XType             string              `json:"x_umbra_type,omitempty"`  // an indicator's umbra type
	XValue            string              `json:"x_umbra_value,omitempty"` // an indicator's normalised value
}

// ExternalReference is a STIX external reference.
type ExternalReference struct {
	SourceName  string            `json:"source_name"`
	Description string            `json:"description,omitempty"`
	URL         string            `json:"url,omitempty"`
	ExternalID  string            `json:"external_id,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
}

// IsSCO reports whether t is a cyber-observable type; those carry no
// created/modified timestamps.
func IsSCO(t string) bool {
	switch t {
	case "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
		"file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
		"software", "url", "user-account", "windows-registry-key", "x509-certificate":
		return true
	}
	return false
}

// Parse decodes one STIX object and checks the properties every object
// must have. The raw bytes are kept (compacted) as the object's content.
func Parse(raw []byte) (Object, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return Object{}, fmt.Errorf("not a STIX object: %w", err)
	}
	return parseCompact(buf.Bytes())
}

// parseCompact is Parse of JSON without insignificant whitespace; the
// object keeps raw. fastFields reads the header and the common properties
// in one pass; encoding/json does when it cannot.
func parseCompact(raw []byte) (Object, error) {
	var d objectFields
	var err error
	if !fastFields(raw, &d) {
		d = objectFields{}
		err = json.Unmarshal(raw, &d)
	}
	return checkFields(raw, &d, err)
}

// parseCompactSlow is parseCompact through encoding/json alone, the
// reference FuzzFastFields holds the fast path to.
func parseCompactSlow(raw []byte) (Object, error) {
	var d objectFields
	err := json.Unmarshal(raw, &d)
	return checkFields(raw, &d, err)
}

// checkFields makes the Object of the properties read from raw, checking
// those every object must have; err is the decoder's.
func checkFields(raw []byte, d *objectFields, err error) (Object, error) {
	var te *json.UnmarshalTypeError
	if err != nil && (!errors.As(err, &te) || headerField(te.Field)) {
		return Object{}, fmt.Errorf("not a STIX object: %w", err)
	}
	o := Object{Type: d.Type, ID: d.ID, SpecVersion: d.SpecVersion, Created: d.Created, Modified: d.Modified}
	if o.Type == "" {
		return o, fmt.Errorf("missing \"type\"")
	}
	if err := CheckID(o.ID, o.Type); err != nil {
		return o, err
	}
	if !IsSCO(o.Type) && o.Type != "marking-definition" && o.Type != "language-content" && o.Type != "extension-definition" {
		if o.Created == "" {
			return o, fmt.Errorf("%s: missing \"created\"", o.ID)
		}
	}
	for _, ts := range []struct{ name, v string }{{"created", o.Created}, {"modified", o.Modified}} {
		if ts.v != "" {
			if _, err := ParseTime(ts.v); err != nil {
				return o, fmt.Errorf("%s: %s: %v", o.ID, ts.name, err)
			}
		}
	}
	if err != nil {
		return o, fmt.Errorf("%s: %v", o.ID, err)
	}
	o.Common = d.Common
	o.Raw = raw
	return o, nil
}

// headerField reports whether a decoding error's field is one of the
// properties every object must have right (or the object itself).
func headerField(f string) bool {
	switch f {
	case "", "type", "id", "spec_version", "created", "modified":
		return true
	}
	return false
}

// CheckID checks that id has the form TYPE--UUID for the given type.
func CheckID(id, typ string) error {
	if id == "" {
		return fmt.Errorf("missing \"id\"")
	}
	prefix, uuid, ok := strings.Cut(id, "--")
	if !ok || prefix != typ {
		return fmt.Errorf("id %q does not start with %q", id, typ+"--")
	}
	if !validUUID(uuid) {
		return fmt.Errorf("id %q: %q is not a UUID", id, uuid)
	}
	return nil
}

// SpecUUID reports whether the UUID part of id is one the STIX 2.1 schemas
// accept: RFC 4122 versions 1 to 5 with the RFC 4122 variant. Readers accept
// any UUID; writers must produce these.
func SpecUUID(id string) bool {
	_, u, ok := strings.Cut(id, "--")
	if !ok || !validUUID(u) {
		return false
	}
	v, variant := u[14], u[19]
	return v >= '1' && v <= '5' && strings.IndexByte("89abAB", variant) >= 0
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// ParseTime parses a STIX timestamp (RFC 3339 in UTC, any sub-second precision).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad timestamp %q", s)
	}
	return t.UTC(), nil
}

// FormatTime formats t the way umbra writes STIX timestamps.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Version is the instant that orders versions of one object: modified,
// or created for objects that have no modified.
func (o *Object) Version() string {
	if o.Modified != "" {
		return o.Modified
	}
	return o.Created
}

// NewerThan reports whether o is a later version than p of the same object.
func (o *Object) NewerThan(p *Object) bool {
	a, errA := ParseTime(o.Version())
	b, errB := ParseTime(p.Version())
	if errA != nil || errB != nil {
		return o.Version() > p.Version()
	}
	return a.After(b)
}

// Property decodes one top-level property into v. It reports false when the
// property is absent.
func (o *Object) Property(name string, v any) (bool, error) {
	if !o.mayHave(name) {
		return false, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(o.Raw, &m); err != nil {
		return false, err
	}
	raw, ok := m[name]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// mayHave reports whether the JSON could hold a property name: without
// escapes or invalid UTF-8, a key is its own bytes in quotes, and decoding
// the whole object to learn that an extension property is absent was most
// of the cost of reading relationships (RelationOf) and intrusion sets
// (IsUmbrella).
func (o *Object) mayHave(name string) bool {
	if bytes.IndexByte(o.Raw, '\\') >= 0 || !utf8.Valid(o.Raw) {
		return true // escaped, or invalid UTF-8 that decoding replaces
	}
	var stack [64]byte
	quoted := append(append(append(stack[:0], '"'), name...), '"')
	return bytes.Contains(o.Raw, quoted)
}

// Props is a property map used to build objects; Build sorts its keys so the
// JSON is stable.
type Props map[string]any

// Build makes an object of type typ with id from props. For SDOs and SROs,
// created and modified default to now when absent, and spec_version is set.
func Build(typ, id string, props Props) (Object, error) {
	m := make(map[string]any, len(props)+5)
	for k, v := range props {
		if v == nil {
			continue
		}
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		if s, ok := v.([]string); ok && len(s) == 0 {
			continue
		}
		m[k] = v
	}
	m["type"] = typ
	m["id"] = id
	m["spec_version"] = SpecVersion
	if !IsSCO(typ) {
		now := FormatTime(time.Now())
		if _, ok := m["created"]; !ok {
			m["created"] = now
		}
		if _, ok := m["modified"]; !ok && typ != "marking-definition" {
			m["modified"] = m["created"]
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := json.Marshal(m[k])
		if err != nil {
			return Object{}, fmt.Errorf("%s: property %s: %v", id, k, err)
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return Parse(buf.Bytes())
}
