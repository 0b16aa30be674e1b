package stix

import (
	"encoding/json"
	"strconv"
)

// The fast path of parseCompact. encoding/json's Unmarshal of the common
// properties was a third of a STIX bundle import's CPU (checking the whole
// element, then reflecting over every property). fastFields reads the same
// properties from compact JSON in one pass with no reflection, and gives up
// — the caller then runs encoding/json, whose answer stands — on anything
// whose meaning it does not reproduce exactly: invalid JSON, keys with
// escapes, non-ASCII or upper case (encoding/json matches names without
// regard to case), a known property given twice, null or of an unexpected
// type, numbers that are not plain integers, nesting deeper than
// maxFastDepth. Strings with escapes or non-ASCII bytes are decoded by
// encoding/json one at a time. FuzzFastFields holds the two paths equal.

// objectFields is what parseCompact reads from an object.
type objectFields struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	SpecVersion string `json:"spec_version"`
	Created     string `json:"created"`
	Modified    string `json:"modified"`
	Common
}

const maxFastDepth = 64

type fastDec struct {
	b []byte
	i int
}

// fastFields decodes raw into d and reports whether it could.
func fastFields(raw []byte, d *objectFields) bool {
	p := fastDec{b: raw}
	var seen uint64
	ok := p.object(func(key []byte) bool {
		f, known := topField(key)
		if !known {
			if foldsToKnown(key, topField) {
				return false
			}
			return p.skip(0)
		}
		if seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		return p.field(f, d)
	})
	return ok && p.i == len(p.b)
}

// The properties of objectFields, numbered for topField and field.
const (
	pType = iota
	pId
	pSpecVersion
	pCreated
	pModified
	pName
	pAliases
	pDescription
	pConfidence
	pCreatedByRef
	pRevoked
	pLabels
	pObjectMarkingRefs
	pExternalReferences
	pFirstSeen
	pLastSeen
	pValidFrom
	pValidUntil
	pPattern
	pPatternType
	pSourceRef
	pTargetRef
	pRelationshipType
	pSightingOfRef
	pObjectRefs
	pValue
	pXUmbraSources
	pXUmbraType
	pXUmbraValue
)

// topField numbers the properties of objectFields.
func topField(key []byte) (int, bool) {
	switch string(key) {
	case "type":
		return pType, true
	case "id":
		return pId, true
	case "spec_version":
		return pSpecVersion, true
	case "created":
		return pCreated, true
	case "modified":
		return pModified, true
	case "name":
		return pName, true
	case "aliases":
		return pAliases, true
	case "description":
		return pDescription, true
	case "confidence":
		return pConfidence, true
	case "created_by_ref":
		return pCreatedByRef, true
	case "revoked":
		return pRevoked, true
	case "labels":
		return pLabels, true
	case "object_marking_refs":
		return pObjectMarkingRefs, true
	case "external_references":
		return pExternalReferences, true
	case "first_seen":
		return pFirstSeen, true
	case "last_seen":
		return pLastSeen, true
	case "valid_from":
		return pValidFrom, true
	case "valid_until":
		return pValidUntil, true
	case "pattern":
		return pPattern, true
	case "pattern_type":
		return pPatternType, true
	case "source_ref":
		return pSourceRef, true
	case "target_ref":
		return pTargetRef, true
	case "relationship_type":
		return pRelationshipType, true
	case "sighting_of_ref":
		return pSightingOfRef, true
	case "object_refs":
		return pObjectRefs, true
	case "value":
		return pValue, true
	case "x_umbra_sources":
		return pXUmbraSources, true
	case "x_umbra_type":
		return pXUmbraType, true
	case "x_umbra_value":
		return pXUmbraValue, true
	}
	return 0, false
}

// refField numbers the properties of ExternalReference.
func refField(key []byte) (int, bool) {
	switch string(key) {
	case "source_name":
		return 0, true
	case "description":
		return 1, true
	case "url":
		return 2, true
	case "external_id":
		return 3, true
	case "hashes":
		return 4, true
	}
	return 0, false
}

// foldsToKnown reports whether an unknown key with upper-case letters is
// a known one to encoding/json's case-insensitive match.
func foldsToKnown(key []byte, known func([]byte) (int, bool)) bool {
	var lower [32]byte
	if len(key) > len(lower) {
		return false // longer than every known name
	}
	upper := false
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
			upper = true
		}
		lower[i] = c
	}
	if !upper {
		return false
	}
	_, ok := known(lower[:len(key)])
	return ok
}

// field decodes the value of one known top-level property.
func (p *fastDec) field(f int, d *objectFields) bool {
	c := &d.Common
	var ok bool
	switch f {
	case pType:
		d.Type, ok = p.str()
	case pId:
		d.ID, ok = p.str()
	case pSpecVersion:
		d.SpecVersion, ok = p.str()
	case pCreated:
		d.Created, ok = p.str()
	case pModified:
		d.Modified, ok = p.str()
	case pName:
		c.Name, ok = p.str()
	case pAliases:
		c.Aliases, ok = p.strs()
	case pDescription:
		c.Description, ok = p.str()
	case pConfidence:
		var n int
		if n, ok = p.integer(); ok {
			c.Confidence = &n
		}
	case pCreatedByRef:
		c.CreatedByRef, ok = p.str()
	case pRevoked:
		c.Revoked, ok = p.boolean()
	case pLabels:
		c.Labels, ok = p.strs()
	case pObjectMarkingRefs:
		c.ObjectMarkingRefs, ok = p.strs()
	case pExternalReferences:
		c.ExternalRefs, ok = p.refs()
	case pFirstSeen:
		c.FirstSeen, ok = p.str()
	case pLastSeen:
		c.LastSeen, ok = p.str()
	case pValidFrom:
		c.ValidFrom, ok = p.str()
	case pValidUntil:
		c.ValidUntil, ok = p.str()
	case pPattern:
		c.Pattern, ok = p.str()
	case pPatternType:
		c.PatternType, ok = p.str()
	case pSourceRef:
		c.SourceRef, ok = p.str()
	case pTargetRef:
		c.TargetRef, ok = p.str()
	case pRelationshipType:
		c.RelationshipType, ok = p.str()
	case pSightingOfRef:
		c.SightingOfRef, ok = p.str()
	case pObjectRefs:
		c.ObjectRefs, ok = p.strs()
	case pValue:
		start := p.i
		if p.i < len(p.b) && p.b[p.i] == 'n' {
			return false // null: leave it to encoding/json
		}
		if ok = p.skip(0); ok {
			c.Value = append(json.RawMessage(nil), p.b[start:p.i]...)
		}
	case pXUmbraSources:
		c.XSources, ok = p.strs()
	case pXUmbraType:
		c.XType, ok = p.str()
	case pXUmbraValue:
		c.XValue, ok = p.str()
	}
	return ok
}

// object reads {"key":value,...}, calling member with the parser at each
// value; member must consume it.
func (p *fastDec) object(member func(key []byte) bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	for {
		key, ok := p.key()
		if !ok || !p.eat(':') || !member(key) {
			return false
		}
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

func (p *fastDec) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// key reads an object key that needs no decoding: no escapes, ASCII only.
func (p *fastDec) key() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// strEnd finds the end of the string starting at p.i (a quote) and moves
// past it; plain reports whether the string's bytes are its value.
func (p *fastDec) strEnd() (plain, ok bool) {
	if !p.eat('"') {
		return false, false
	}
	plain = true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return plain, true
		case c < 0x20:
			return false, false
		case c >= 0x80:
			plain = false
		case c == '\\':
			plain = false
			if p.i+1 >= len(p.b) {
				return false, false
			}
			switch p.b[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if p.i+5 >= len(p.b) {
					return false, false
				}
				for _, h := range p.b[p.i+2 : p.i+6] {
					if !isHex(h) {
						return false, false
					}
				}
				p.i += 5
			default:
				return false, false
			}
		}
		p.i++
	}
	return false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// str reads a string value.
func (p *fastDec) str() (string, bool) {
	start := p.i
	plain, ok := p.strEnd()
	if !ok {
		return "", false
	}
	if plain {
		return string(p.b[start+1 : p.i-1]), true
	}
	var s string
	if json.Unmarshal(p.b[start:p.i], &s) != nil {
		return "", false
	}
	return s, true
}

// strs reads an array of strings.
func (p *fastDec) strs() ([]string, bool) { return array(p, p.str) }

// array reads an array whose elements elem reads; [] is an empty, non-nil
// slice, as encoding/json makes it.
func array[T any](p *fastDec, elem func() (T, bool)) ([]T, bool) {
	if !p.eat('[') {
		return nil, false
	}
	out := []T{}
	if p.eat(']') {
		return out, true
	}
	for {
		v, ok := elem()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if p.eat(',') {
			continue
		}
		return out, p.eat(']')
	}
}

// refs reads external_references.
func (p *fastDec) refs() ([]ExternalReference, bool) { return array(p, p.ref) }

// ref reads one external reference.
func (p *fastDec) ref() (ExternalReference, bool) {
	var r ExternalReference
	var seen uint64
	ok := p.object(func(key []byte) bool {
		f, known := refField(key)
		if !known {
			return !foldsToKnown(key, refField) && p.skip(0)
		}
		if seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		var ok bool
		switch f {
		case 0:
			r.SourceName, ok = p.str()
		case 1:
			r.Description, ok = p.str()
		case 2:
			r.URL, ok = p.str()
		case 3:
			r.ExternalID, ok = p.str()
		case 4:
			r.Hashes, ok = p.hashes()
		}
		return ok
	})
	return r, ok
}

// hashes reads a map of strings; a key given twice is left to
// encoding/json.
func (p *fastDec) hashes() (map[string]string, bool) {
	m := map[string]string{}
	ok := p.object(func(key []byte) bool {
		if _, dup := m[string(key)]; dup {
			return false
		}
		v, ok := p.str()
		m[string(key)] = v
		return ok
	})
	return m, ok
}

// integer reads a number that encoding/json stores in an int.
func (p *fastDec) integer() (int, bool) {
	start := p.i
	p.eat('-')
	digits := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || p.i-digits > 1 && p.b[digits] == '0' {
		return 0, false
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 0)
	return int(n), err == nil
}

func (p *fastDec) boolean() (bool, bool) {
	switch {
	case p.lit("true"):
		return true, true
	case p.lit("false"):
		return false, true
	}
	return false, false
}

func (p *fastDec) lit(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// skip checks and passes over any value.
func (p *fastDec) skip(depth int) bool {
	if p.i >= len(p.b) || depth > maxFastDepth {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, ok := p.strEnd()
		return ok
	case c == '{':
		return p.object(func([]byte) bool { return p.skip(depth + 1) })
	case c == '[':
		p.i++
		if p.eat(']') {
			return true
		}
		for {
			if !p.skip(depth + 1) {
				return false
			}
			if p.eat(',') {
				continue
			}
			return p.eat(']')
		}
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	default:
		return p.number()
	}
}

// number passes over a JSON number.
func (p *fastDec) number() bool {
	p.eat('-')
	switch {
	case p.eat('0'):
	case p.i < len(p.b) && '1' <= p.b[p.i] && p.b[p.i] <= '9':
		p.digits()
	default:
		return false
	}
	if p.eat('.') && !p.digits() {
		return false
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits passes over one or more digits.
func (p *fastDec) digits() bool {
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
