// Package galaxy reads MISP galaxy cluster files (threat-actor,
// mitre-intrusion-set, microsoft-activity-group, mitre-attack-pattern,
// malware, tool and producer galaxies) into STIX objects: each cluster
// becomes an object whose synonyms are alias claims by the galaxy, and each
// `related` entry a relationship whose likelihood words become a STIX
// confidence.
package galaxy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Source is the provenance name of galaxy data.
const Source = "misp-galaxy"

// File is a galaxy cluster file.
type File struct {
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	UUID        string    `json:"uuid"`
	Version     int       `json:"version"`
	Source      string    `json:"source"`
	Description string    `json:"description"`
	Values      []Cluster `json:"values"`
}

// Cluster is one galaxy cluster.
type Cluster struct {
	Value       string                     `json:"value"`
	UUID        string                     `json:"uuid"`
	Description string                     `json:"description"`
	Meta        map[string]json.RawMessage `json:"meta"`
	Related     []Related                  `json:"related"`
}

// Related is a cluster's link to another cluster.
type Related struct {
	DestUUID string   `json:"dest-uuid"`
	Type     string   `json:"type"`
	Tags     []string `json:"tags"`
}

// Detect reports whether the start of a file looks like a galaxy cluster file.
func Detect(head []byte) bool {
	s := string(head)
	return strings.Contains(s, `"values"`) && (strings.Contains(s, `"authors"`) || strings.Contains(s, `"category"`)) &&
		!strings.Contains(s, `"spec_version"`)
}

// stixType maps a galaxy type to the STIX type of its clusters.
func stixType(galaxyType string) (string, bool) {
	switch galaxyType {
	case "threat-actor", "mitre-intrusion-set", "microsoft-activity-group", "mitre-mobile-intrusion-set", "mitre-pre-intrusion-set":
		return "intrusion-set", true
	case "mitre-attack-pattern", "mitre-mobile-attack-pattern", "mitre-pre-attack-pattern":
		return "attack-pattern", true
	case "mitre-malware", "malpedia", "mitre-mobile-malware":
		return "malware", true
	case "mitre-tool", "mitre-mobile-tool", "tool":
		return "tool", true
	case "producer":
		return "identity", true
	}
	return "", false
}

// Likelihood maps MISP's estimative-language likelihood words to a STIX
// confidence, following the STIX 2.1 WEP scale.
func Likelihood(word string) (int, bool) {
	switch word {
	case "almost-no-chance":
		return 5, true
	case "very-unlikely":
		return 15, true
	case "unlikely":
		return 30, true
	case "roughly-even-chance":
		return 50, true
	case "likely":
		return 70, true
	case "very-likely":
		return 85, true
	case "almost-certain":
		return 95, true
	}
	return 0, false
}

// Index resolves cluster uuids to their STIX type and name, so that
// relationships can point at the right kind of object. It is built from
// every galaxy file beside the one being read.
type Index map[string]IndexEntry

// IndexEntry is one resolved cluster.
type IndexEntry struct{ Type, Name string }

// LoadIndex reads the cluster files in dir (typically the folder of the
// file being imported). Unreadable files are skipped: the index only
// improves relationship targets.
func LoadIndex(dir string) Index {
	idx := Index{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return idx
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		var gf struct {
			Type   string `json:"type"`
			Values []struct {
				Value string `json:"value"`
				UUID  string `json:"uuid"`
			} `json:"values"`
		}
		err = json.NewDecoder(bufio.NewReader(f)).Decode(&gf)
		f.Close()
		t, ok := stixType(gf.Type)
		if err != nil || !ok {
			continue
		}
		for _, v := range gf.Values {
			idx[strings.ToLower(v.UUID)] = IndexEntry{Type: t, Name: v.Value}
		}
	}
	return idx
}

// Stats counts what a read produced and skipped.
type Stats struct {
	Clusters      int
	Relationships int
	Unresolved    int      // related entries whose target type is unknown
	Rejected      int      // clusters that could not be converted
	Errors        []string // one line per rejected cluster
}

// Read decodes a galaxy file from r (name is used in errors) and calls
// emit with the STIX objects it yields. A cluster that cannot be converted
// is reported in Stats and skipped; a file that is not valid JSON is an error.
func Read(r io.Reader, name string, idx Index, emit func(stix.Object) error) (Stats, error) {
	var st Stats
	var f File
	dec := json.NewDecoder(bufio.NewReader(r))
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return st, fmt.Errorf("%s: offset %d: %v", name, se.Offset, err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return st, fmt.Errorf("%s: offset %d: field %q: %v", name, te.Offset, te.Field, err)
		}
		return st, fmt.Errorf("%s: %v", name, err)
	}
	typ, ok := stixType(f.Type)
	if !ok {
		if f.Type == "" {
			return st, fmt.Errorf("%s: not a galaxy cluster file (no \"type\")", name)
		}
		return st, fmt.Errorf("%s: galaxy type %q is not one umbra imports", name, f.Type)
	}
	producers := producerNames(idx)
	// Galaxies carry no timestamps; the file's version orders them, so a
	// newer edition of the galaxy supersedes an older one and re-reading
	// the same edition yields identical objects.
	stamp := stix.FormatTime(time.Unix(int64(f.Version), 0))
	for i, c := range f.Values {
		objs, unresolved, err := convert(&f, typ, &c, idx, producers, stamp)
		if err != nil {
			st.Rejected++
			st.Errors = append(st.Errors, fmt.Sprintf("%s: cluster %d (%q): %v", name, i, c.Value, err))
			continue
		}
		st.Clusters++
		st.Unresolved += unresolved
		for _, o := range objs {
			if o.Type == "relationship" {
				st.Relationships++
			}
			if err := emit(o); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

func producerNames(idx Index) map[string]string {
	out := map[string]string{}
	for u, e := range idx {
		if e.Type == "identity" {
			out[u] = e.Name
		}
	}
	return out
}

func metaStrings(m map[string]json.RawMessage, key string) []string {
	raw, ok := m[key]
	if !ok {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}

func convert(f *File, typ string, c *Cluster, idx Index, producers map[string]string, stamp string) ([]stix.Object, int, error) {
	if strings.TrimSpace(c.Value) == "" {
		return nil, 0, fmt.Errorf("empty value")
	}
	id, err := clusterID(typ, c.UUID)
	if err != nil {
		return nil, 0, err
	}
	name := c.Value
	extID := ""
	if ids := metaStrings(c.Meta, "external_id"); len(ids) > 0 {
		extID = ids[0]
		// mitre-* galaxies suffix names with " - G0044"; the id goes to
		// external_references instead.
		name = strings.TrimSuffix(name, " - "+extID)
	}
	p := stix.Props{"name": name, "description": c.Description, "created": stamp, "modified": stamp}
	var refs []stix.ExternalReference
	if extID != "" && strings.HasPrefix(f.Type, "mitre-") {
		refs = append(refs, stix.ExternalReference{SourceName: "mitre-attack", ExternalID: extID})
	}
	for _, u := range metaStrings(c.Meta, "refs") {
		refs = append(refs, stix.ExternalReference{SourceName: Source, URL: u})
	}
	if len(refs) > 0 {
		p["external_references"] = refs
	}
	if len(c.Meta) > 0 {
		p["x_misp_meta"] = c.Meta
	}
	p["x_misp_galaxy"] = map[string]any{"type": f.Type, "version": f.Version}
	switch typ {
	case "intrusion-set":
		synonyms := metaStrings(c.Meta, "synonyms")
		// name-attribution says which producer (vendor) uses each name.
		usedBy := map[string]string{}
		for _, na := range metaStrings(c.Meta, "name-attribution") {
			n, u, ok := strings.Cut(na, ":")
			if ok {
				if p, ok := producers[strings.ToLower(u)]; ok {
					usedBy[knowledge.NormName(n)] = p
				}
			}
		}
		var aliases []string
		claims := []knowledge.AliasClaim{}
		seen := map[string]bool{}
		for _, s := range append([]string{name}, synonyms...) {
			n := knowledge.NormName(s)
			if n == "" || seen[n] {
				continue
			}
			seen[n] = true
			if s != name {
				aliases = append(aliases, s)
			}
			cl := knowledge.AliasClaim{Name: s, Source: Source}
			if v := usedBy[n]; v != "" {
				cl.Note = "used by " + v
			}
			claims = append(claims, cl)
		}
		p["aliases"] = aliases
		p[knowledge.AliasClaimProp] = claims
		if conf := metaStrings(c.Meta, "attribution-confidence"); len(conf) > 0 {
			if n, err := strconv.Atoi(conf[0]); err == nil && n >= 0 && n <= 100 {
				p["confidence"] = n
			}
		}
		if since := metaStrings(c.Meta, "since"); len(since) > 0 {
			if y, err := strconv.Atoi(strings.TrimSpace(since[0])); err == nil && y > 1980 && y < 2100 {
				p["first_seen"] = fmt.Sprintf("%04d-01-01T00:00:00.000Z", y)
			}
		}
	case "malware":
		p["is_family"] = true
		p["aliases"] = metaStrings(c.Meta, "synonyms")
	case "tool":
		p["aliases"] = metaStrings(c.Meta, "synonyms")
	case "identity":
		p["identity_class"] = "organization"
	}
	o, err := stix.Build(typ, id, p)
	if err != nil {
		return nil, 0, err
	}
	out := []stix.Object{o}
	unresolved := 0
	for _, r := range c.Related {
		rel, ok, err := relationship(f, id, typ, r, idx, stamp)
		if err != nil {
			return nil, 0, fmt.Errorf("related %q: %v", r.DestUUID, err)
		}
		if !ok {
			unresolved++
			continue
		}
		out = append(out, rel)
	}
	return out, unresolved, nil
}

// clusterID is the STIX id of a cluster: its own uuid where STIX accepts it
// (ATT&CK galaxies share ATT&CK's ids), else a deterministic id derived
// from it (newer clusters use version 7 uuids, which STIX 2.1 forbids).
func clusterID(typ, uuid string) (string, error) {
	id := typ + "--" + strings.ToLower(uuid)
	if err := stix.CheckID(id, typ); err != nil {
		return "", fmt.Errorf("bad uuid %q", uuid)
	}
	if !stix.SpecUUID(id) {
		id = stix.DeterministicID(typ, Source+"/"+strings.ToLower(uuid))
	}
	return id, nil
}

func relationship(f *File, srcID, srcType string, r Related, idx Index, stamp string) (stix.Object, bool, error) {
	dest := strings.ToLower(r.DestUUID)
	e, known := idx[dest]
	targetType := e.Type
	if !known {
		// Links between actors ("similar", "overlaps") stay actor to actor;
		// other links to clusters we cannot see are left out and counted.
		switch r.Type {
		case "similar", "overlaps", "linked-to", "part-of", "related-to", "associated-with":
			targetType = srcType
		default:
			return stix.Object{}, false, nil
		}
	}
	target, err := clusterID(targetType, dest)
	if err != nil {
		return stix.Object{}, false, err
	}
	relType, refined := "related-to", r.Type
	switch r.Type {
	case "uses", "targets", "attributed-to", "variant-of", "delivers":
		relType, refined = r.Type, ""
	}
	p := stix.Props{"relationship_type": relType, "source_ref": srcID, "target_ref": target,
		"created": stamp, "modified": stamp}
	if refined != "" {
		p[knowledge.RelationProp] = refined
	}
	var words []string
	for _, t := range r.Tags {
		if v, ok := strings.CutPrefix(t, `estimative-language:likelihood-probability="`); ok {
			w := strings.TrimSuffix(v, `"`)
			if c, ok := Likelihood(w); ok {
				p["confidence"] = c
				words = append(words, w)
			}
		}
	}
	if len(words) > 0 {
		p["description"] = strings.Join(words, ", ") + " (" + Source + ")"
	}
	if len(r.Tags) > 0 {
		tags := append([]string(nil), r.Tags...)
		sort.Strings(tags)
		p["labels"] = tags
	}
	id := stix.DeterministicID("relationship", Source+"/"+srcID+"/"+r.Type+"/"+target)
	o, err := stix.Build("relationship", id, p)
	return o, true, err
}
