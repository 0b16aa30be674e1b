// Package misp reads and writes MISP events and feeds, maps MISP attributes
// to umbra indicators and converts events to and from STIX 2.1.
//
// The model keeps every JSON member it does not interpret in an Extra map,
// so an event read from MISP and written back loses nothing umbra did not
// mean to change (ids, sharing groups, shadow attributes, object references).
package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Event is one MISP event: the unit MISP shares, with its attributes,
// objects, tags and galaxy clusters.
type Event struct {
	UUID             string
	Info             string
	Date             string // YYYY-MM-DD
	ThreatLevelID    Flex   // 1 high, 2 medium, 3 low, 4 undefined
	Analysis         Flex   // 0 initial, 1 ongoing, 2 complete
	Distribution     Flex   // 0 organisation only ... 5 inherit
	Published        Bool
	Timestamp        Flex // Unix seconds of the last change
	PublishTimestamp Flex
	Orgc             *Org // the creating organisation
	Attributes       []Attribute
	Objects          []Object
	Tags             []Tag
	Galaxies         []Galaxy
	Extra            map[string]json.RawMessage
}

// Org is a MISP organisation reference (Org or Orgc).
type Org struct {
	UUID  string
	Name  string
	Extra map[string]json.RawMessage
}

// Attribute is one MISP attribute: a typed value with its category, IDS
// flag, tags and sightings.
type Attribute struct {
	UUID               string
	Type               string
	Category           string
	Value              string
	ToIDs              Bool
	Comment            string
	Timestamp          Flex
	FirstSeen          Flex
	LastSeen           Flex
	ObjectRelation     Flex // the attribute's role inside its object
	Distribution       Flex
	Deleted            Bool
	DisableCorrelation Bool
	Tags               []Tag
	Sightings          []Sighting
	Galaxies           []Galaxy
	Extra              map[string]json.RawMessage
}

// Object is a MISP object: a template instance (file, domain-ip, x509, url,
// ...) grouping attributes that describe one thing.
type Object struct {
	UUID            string
	Name            string
	MetaCategory    string
	Description     string
	TemplateUUID    string
	TemplateVersion Flex
	Comment         string
	Timestamp       Flex
	FirstSeen       Flex
	LastSeen        Flex
	Distribution    Flex
	Deleted         Bool
	Attributes      []Attribute
	Tags            []Tag
	Extra           map[string]json.RawMessage // ObjectReference and the rest
}

// Tag is a MISP tag such as tlp:amber or misp-galaxy:threat-actor="APT17".
type Tag struct {
	Name  string
	Extra map[string]json.RawMessage
}

// Galaxy is a MISP galaxy attached to an event or attribute, carrying the
// clusters (actors, tools, techniques, ...) the event was tagged with.
type Galaxy struct {
	UUID        string
	Name        string
	Type        string
	Namespace   string
	Description string
	Clusters    []GalaxyCluster
	Extra       map[string]json.RawMessage
}

// GalaxyCluster is one galaxy entry, for example the threat actor "APT17"
// with its synonyms.
type GalaxyCluster struct {
	UUID        string
	Type        string
	Value       string
	TagName     string
	Description string
	Meta        json.RawMessage
	Extra       map[string]json.RawMessage
}

// Sighting records that an attribute was seen (type 0), reported as a
// false positive (1) or expired (2).
type Sighting struct {
	UUID         string
	Type         Flex
	DateSighting Flex // Unix seconds
	Source       string
	Extra        map[string]json.RawMessage
}

// Synonyms returns the cluster's meta.synonyms (aliases of an actor).
func (c *GalaxyCluster) Synonyms() []string {
	if len(c.Meta) == 0 {
		return nil
	}
	var m struct {
		Synonyms []string `json:"synonyms"`
	}
	if json.Unmarshal(c.Meta, &m) != nil {
		return nil
	}
	return m.Synonyms
}

// Flex is a MISP scalar that servers write as a string, a number or null
// depending on version ("distribution": "5" or 5). It keeps the text.
type Flex string

// UnmarshalJSON accepts a string, a number or null.
func (f *Flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return fmt.Errorf("empty value")
	case b[0] == '"':
		// Most MISP strings have no escapes; skip the decoder for them
		// (BenchmarkParseCIRCL).
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && bytes.IndexByte(b[1:len(b)-1], '"') < 0 && utf8.Valid(b) && !hasControl(b) {
			*f = Flex(b[1 : len(b)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = Flex(s)
	case string(b) == "null":
		*f = ""
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = Flex(n.String())
	default:
		return fmt.Errorf("expected a string or number, found %s", abbrev(b))
	}
	return nil
}

// MarshalJSON writes the value as a JSON string, the form MISP accepts everywhere.
func (f Flex) MarshalJSON() ([]byte, error) { return json.Marshal(string(f)) }

// Bool is a MISP flag, written as true/false by current servers and as
// "1"/"0" or 1/0 by older ones.
type Bool bool

// UnmarshalJSON accepts true/false, 1/0, "1"/"0", "true"/"false" and null.
func (v *Bool) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	switch s {
	case "true", "1", "True":
		*v = true
	case "false", "0", "False", "", "null":
		*v = false
	default:
		return fmt.Errorf("expected a boolean, found %s", abbrev(b))
	}
	return nil
}

// hasControl reports a raw control byte, which JSON strings may not hold.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

func abbrev(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// A field binds a JSON member name to the Go value that holds it.
type field struct {
	key  string
	v    any
	keep bool // write even when zero
}

// PathError is a decoding error located by a JSON path inside the event,
// such as Event.Object[2].Attribute[0].to_ids.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *PathError) Unwrap() error { return e.Err }

// at prefixes err's path with seg ("key" or "[i]").
func at(seg string, err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*PathError); ok {
		if pe.Path == "" || pe.Path[0] == '[' {
			return &PathError{Path: seg + pe.Path, Err: pe.Err}
		}
		return &PathError{Path: seg + "." + pe.Path, Err: pe.Err}
	}
	return &PathError{Path: seg, Err: err}
}

// decodeFields decodes a JSON object into fields and returns the members
// it did not know. Lists are decoded element by element so that one bad
// element is skipped and reported in skipped rather than failing the rest.
// data must be valid JSON (see scan.go).
func decodeFields(data []byte, fields []field, skipped *[]error) (map[string]json.RawMessage, error) {
	var extra map[string]json.RawMessage
	err := members(data, func(key string, raw []byte) error {
		var f *field
		for i := range fields {
			if fields[i].key == key {
				f = &fields[i]
				break
			}
		}
		if f == nil {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[key] = bytes.Clone(raw)
			return nil
		}
		if string(raw) == "null" {
			return nil
		}
		var err error
		switch p := f.v.(type) {
		case *string:
			// Strings appear as numbers in some exports (values of type "counter").
			var fl Flex
			if err = fl.UnmarshalJSON(raw); err == nil {
				*p = string(fl)
			}
		case *Flex:
			err = p.UnmarshalJSON(raw)
		case *Bool:
			err = p.UnmarshalJSON(raw)
		case *json.RawMessage:
			*p = bytes.Clone(raw)
		case *[]Attribute:
			*p, err = decodeList[Attribute](raw, f.key, skipped)
		case *[]Object:
			*p, err = decodeList[Object](raw, f.key, skipped)
		case *[]Tag:
			*p, err = decodeList[Tag](raw, f.key, skipped)
		case *[]Galaxy:
			*p, err = decodeList[Galaxy](raw, f.key, skipped)
		case *[]GalaxyCluster:
			*p, err = decodeList[GalaxyCluster](raw, f.key, skipped)
		case *[]Sighting:
			*p, err = decodeList[Sighting](raw, f.key, skipped)
		case **Org:
			o := new(Org)
			if err = o.decode(raw); err == nil {
				*p = o
			}
		default:
			err = json.Unmarshal(raw, f.v)
		}
		return at(f.key, err)
	})
	return extra, err
}

// decoder is implemented by every model type.
type decoder[T any] interface {
	*T
	decodeSkipping(raw []byte, skipped *[]error) error
}

// decodeList decodes a JSON array element by element; bad elements are
// left out and reported through skipped with their index.
func decodeList[T any, P decoder[T]](raw []byte, key string, skipped *[]error) ([]T, error) {
	var out []T
	err := elements(raw, func(i int, e []byte) error {
		var v T
		var inner []error
		if err := P(&v).decodeSkipping(e, &inner); err != nil {
			*skipped = append(*skipped, at(key, at("["+strconv.Itoa(i)+"]", err)))
			return nil
		}
		for _, err := range inner {
			*skipped = append(*skipped, at(key, at("["+strconv.Itoa(i)+"]", err)))
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// encodeFields writes fields and extra as one JSON object with sorted keys.
func encodeFields(fields []field, extra map[string]json.RawMessage) ([]byte, error) {
	m := make(map[string]json.RawMessage, len(fields)+len(extra))
	for k, v := range extra {
		m[k] = v
	}
	for _, f := range fields {
		b, err := json.Marshal(f.v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
		if !f.keep {
			switch string(b) {
			case `""`, "null", "[]", "{}", "false":
				continue
			}
		}
		m[f.key] = b
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
		buf.Write(m[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (e *Event) fields() []field {
	return []field{
		{"uuid", &e.UUID, false}, {"info", &e.Info, true}, {"date", &e.Date, false},
		{"threat_level_id", &e.ThreatLevelID, false}, {"analysis", &e.Analysis, false},
		{"distribution", &e.Distribution, false}, {"published", &e.Published, false},
		{"timestamp", &e.Timestamp, false}, {"publish_timestamp", &e.PublishTimestamp, false},
		{"Orgc", &e.Orgc, false}, {"Attribute", &e.Attributes, false}, {"Object", &e.Objects, false},
		{"Tag", &e.Tags, false}, {"Galaxy", &e.Galaxies, false},
	}
}

func (e *Event) decodeSkipping(raw []byte, skipped *[]error) error {
	extra, err := decodeFields(raw, e.fields(), skipped)
	e.Extra = extra
	return err
}

// UnmarshalJSON decodes a bare event object strictly: any bad element is an error.
func (e *Event) UnmarshalJSON(b []byte) error {
	var skipped []error
	if err := e.decodeSkipping(b, &skipped); err != nil {
		return err
	}
	if len(skipped) > 0 {
		return skipped[0]
	}
	return nil
}

// MarshalJSON writes the bare event object (without the {"Event": ...} wrapper).
func (e Event) MarshalJSON() ([]byte, error) { return encodeFields(e.fields(), e.Extra) }

func (o *Org) fields() []field {
	return []field{{"uuid", &o.UUID, false}, {"name", &o.Name, false}}
}

func (o *Org) decode(raw []byte) error {
	extra, err := decodeFields(raw, o.fields(), new([]error))
	o.Extra = extra
	return err
}

// MarshalJSON writes the organisation with its unknown members.
func (o Org) MarshalJSON() ([]byte, error) { return encodeFields(o.fields(), o.Extra) }

func (a *Attribute) fields() []field {
	return []field{
		{"uuid", &a.UUID, false}, {"type", &a.Type, true}, {"category", &a.Category, false},
		{"value", &a.Value, true}, {"to_ids", &a.ToIDs, true}, {"comment", &a.Comment, false},
		{"timestamp", &a.Timestamp, false}, {"first_seen", &a.FirstSeen, false}, {"last_seen", &a.LastSeen, false},
		{"object_relation", &a.ObjectRelation, false}, {"distribution", &a.Distribution, false},
		{"deleted", &a.Deleted, false}, {"disable_correlation", &a.DisableCorrelation, false},
		{"Tag", &a.Tags, false}, {"Sighting", &a.Sightings, false}, {"Galaxy", &a.Galaxies, false},
	}
}

func (a *Attribute) decodeSkipping(raw []byte, skipped *[]error) error {
	extra, err := decodeFields(raw, a.fields(), skipped)
	a.Extra = extra
	if err != nil {
		return err
	}
	if a.Type == "" {
		return &PathError{Path: "type", Err: fmt.Errorf("missing attribute type")}
	}
	return nil
}

// MarshalJSON writes the attribute with its unknown members.
func (a Attribute) MarshalJSON() ([]byte, error) { return encodeFields(a.fields(), a.Extra) }

func (o *Object) fields() []field {
	return []field{
		{"uuid", &o.UUID, false}, {"name", &o.Name, true}, {"meta-category", &o.MetaCategory, false},
		{"description", &o.Description, false}, {"template_uuid", &o.TemplateUUID, false},
		{"template_version", &o.TemplateVersion, false}, {"comment", &o.Comment, false},
		{"timestamp", &o.Timestamp, false}, {"first_seen", &o.FirstSeen, false}, {"last_seen", &o.LastSeen, false},
		{"distribution", &o.Distribution, false}, {"deleted", &o.Deleted, false},
		{"Attribute", &o.Attributes, false}, {"Tag", &o.Tags, false},
	}
}

func (o *Object) decodeSkipping(raw []byte, skipped *[]error) error {
	extra, err := decodeFields(raw, o.fields(), skipped)
	o.Extra = extra
	if err != nil {
		return err
	}
	if o.Name == "" {
		return &PathError{Path: "name", Err: fmt.Errorf("missing object name")}
	}
	return nil
}

// MarshalJSON writes the object with its unknown members.
func (o Object) MarshalJSON() ([]byte, error) { return encodeFields(o.fields(), o.Extra) }

func (t *Tag) fields() []field { return []field{{"name", &t.Name, true}} }

func (t *Tag) decodeSkipping(raw []byte, skipped *[]error) error {
	extra, err := decodeFields(raw, t.fields(), skipped)
	t.Extra = extra
	if err != nil {
		return err
	}
	if t.Name == "" {
		return &PathError{Path: "name", Err: fmt.Errorf("missing tag name")}
	}
	return nil
}

// MarshalJSON writes the tag with its unknown members (colour, id, ...).
func (t Tag) MarshalJSON() ([]byte, error) { return encodeFields(t.fields(), t.Extra) }

func (g *Galaxy) fields() []field {
	return []field{
		{"uuid", &g.UUID, false}, {"name", &g.Name, false}, {"type", &g.Type, false},
		{"namespace", &g.Namespace, false}, {"description", &g.Description, false},
		{"GalaxyCluster", &g.Clusters, false},
	}
}

func (g *Galaxy) decodeSkipping(raw []byte, skipped *[]error) error {
	extra, err := decodeFields(raw, g.fields(), skipped)
	g.Extra = extra
	return err
}

// MarshalJSON writes the galaxy with its unknown members.
func (g Galaxy) MarshalJSON() ([]byte, error) { return encodeFields(g.fields(), g.Extra) }

func (c *GalaxyCluster) fields() []field {
	return []field{
		{"uuid", &c.UUID, false}, {"type", &c.Type, false}, {"value", &c.Value, true},
		{"tag_name", &c.TagName, false}, {"description", &c.Description, false}, {"meta", &c.Meta, false},
	}
}

func (c *GalaxyCluster) decodeSkipping(raw []byte, skipped *[]error) error {
	extra, err := decodeFields(raw, c.fields(), skipped)
	c.Extra = extra
	return err
}

// MarshalJSON writes the cluster with its unknown members.
func (c GalaxyCluster) MarshalJSON() ([]byte, error) { return encodeFields(c.fields(), c.Extra) }

func (s *Sighting) fields() []field {
	return []field{
		{"uuid", &s.UUID, false}, {"type", &s.Type, false}, {"date_sighting", &s.DateSighting, false},
		{"source", &s.Source, false},
	}
}

func (s *Sighting) decodeSkipping(raw []byte, skipped *[]error) error {
	extra, err := decodeFields(raw, s.fields(), skipped)
	s.Extra = extra
	return err
}

// MarshalJSON writes the sighting with its unknown members.
func (s Sighting) MarshalJSON() ([]byte, error) { return encodeFields(s.fields(), s.Extra) }
