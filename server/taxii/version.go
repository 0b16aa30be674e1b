package taxii

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/umbra-cti/umbra/stix"
)

// NewVersion parses one STIX object into the Version a Backend stores,
// added at dateAdded.
func NewVersion(raw []byte, dateAdded time.Time) (*Version, error) {
	o, err := stix.Parse(raw)
	if err != nil {
		return nil, err
	}
	v := &Version{ID: o.ID, Type: o.Type, Version: o.Version(), SpecVersion: o.SpecVersion,
		DateAdded: dateAdded.UTC(), Raw: o.Raw}
	if v.SpecVersion == "" {
		// STIX 2.0 objects carry no spec_version; 2.1 SCOs may omit it.
		v.SpecVersion = "2.0"
		if stix.IsSCO(o.Type) {
			v.SpecVersion = "2.1"
		}
	}
	if v.Version != "" {
		if v.VersionTime, err = stix.ParseTime(v.Version); err != nil {
			return nil, fmt.Errorf("%s: %v", o.ID, err)
		}
	} else {
		v.VersionTime = v.DateAdded
	}
	v.TLP, err = tlpOf(&o)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// tlpOf is the most restrictive TLP among the object-level and granular
// markings: a granular TLP:RED on one property makes the whole object red,
// because the server serves objects whole.
func tlpOf(o *stix.Object) (stix.TLP, error) {
	level, _ := stix.TLPOf(o)
	var g struct {
		Granular []struct {
			MarkingRef string `json:"marking_ref"`
		} `json:"granular_markings"`
	}
	if err := json.Unmarshal(o.Raw, &g); err != nil {
		return 0, fmt.Errorf("%s: granular_markings: %v", o.ID, err)
	}
	for _, m := range g.Granular {
		if t, ok := stix.TLPOfMarking(m.MarkingRef); ok && t > level {
			level = t
		}
	}
	return level, nil
}

// mediaType is the STIX media type of a spec version, as manifests list it.
func mediaType(specVersion string) string { return "application/stix+json;version=" + specVersion }
