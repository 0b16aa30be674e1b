package stix

import (
	"fmt"
	"strings"
)

// TLP is a Traffic Light Protocol 2.0 level, ordered from the widest
// audience to the narrowest so that levels compare with < and >.
type TLP uint8

const (
	TLPClear TLP = iota
	TLPGreen
	TLPAmber
	TLPAmberStrict
	TLPRed
)

var tlpNames = [...]string{"clear", "green", "amber", "amber+strict", "red"}

func (t TLP) String() string {
	if int(t) < len(tlpNames) {
		return tlpNames[t]
	}
	return "red"
}

// ParseTLP reads a level as users write it: "amber+strict", "TLP:AMBER",
// "white" (the TLP 1.0 name of clear).
func ParseTLP(s string) (TLP, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "tlp:")
	switch v {
	case "clear", "white":
		return TLPClear, nil
	case "green":
		return TLPGreen, nil
	case "amber":
		return TLPAmber, nil
	case "amber+strict", "amber-strict", "amberstrict":
		return TLPAmberStrict, nil
	case "red":
		return TLPRed, nil
	}
	return TLPRed, fmt.Errorf("unknown TLP level %q (want clear, green, amber, amber+strict or red)", s)
}

// The OASIS TLP 2.0 marking-definition ids.
var tlp2IDs = [...]string{
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// The STIX 2.1 built-in TLP 1.0 marking-definition ids, still the most
// common markings in the field.
var tlp1IDs = map[string]TLP{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLPClear, // white
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLPRed,
}

// tlp2Extension is the OASIS extension-definition that carries TLP 2.0 levels.
const tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// MarkingID returns the TLP 2.0 marking-definition id for t.
func (t TLP) MarkingID() string { return tlp2IDs[t] }

// TLPOfMarking returns the level of a TLP 1.0 or 2.0 marking-definition id.
func TLPOfMarking(id string) (TLP, bool) {
	for i, m := range tlp2IDs {
		if m == id {
			return TLP(i), true
		}
	}
	t, ok := tlp1IDs[id]
	return t, ok
}

// TLPOf returns the narrowest TLP level among an object's markings, and
// false when it carries none.
func TLPOf(o *Object) (TLP, bool) {
	var out TLP
	found := false
	for _, ref := range o.Common.ObjectMarkingRefs {
		if t, ok := TLPOfMarking(ref); ok {
			if !found || t > out {
				out = t
			}
			found = true
		}
	}
	return out, found
}

// TLPMarking returns the OASIS TLP 2.0 marking-definition object for t,
// for inclusion in bundles that reference it.
func TLPMarking(t TLP) Object {
	name := "TLP:" + strings.ToUpper(t.String())
	o, err := Build("marking-definition", t.MarkingID(), Props{
		"name":           name,
		"created":        "2022-10-01T00:00:00.000Z",
		"created_by_ref": "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01",
		"extensions": map[string]any{tlp2Extension: map[string]any{
			"extension_type": "property-extension",
			"tlp_2_0":        t.String(),
		}},
	})
	if err != nil {
		panic("stix: TLP marking does not build: " + err.Error()) // constant input
	}
	return o
}
