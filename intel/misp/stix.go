package misp

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/stix"
)

// IndicatorID is the deterministic STIX id of the indicator made from one
// value of a MISP attribute, so re-importing an event updates rather than
// duplicates. A composite attribute (filename|sha256) gives one indicator
// per value, as umbra's matcher and store hold one value per indicator.
func IndicatorID(ev *Event, a *Attribute, v Value) string {
	key := "misp-attribute:" + strings.ToLower(a.UUID)
	if a.UUID == "" {
		key = "misp-attribute:" + strings.ToLower(ev.UUID) + "|" + a.Type + "|" + a.Value
	}
	return stix.DeterministicID("indicator", key+"|"+v.Type.String()+"|"+v.Value)
}

// ReportID is the deterministic STIX id of the report made from an event.
func ReportID(ev *Event) string {
	if ev.UUID != "" {
		return stix.DeterministicID("report", "misp-event:"+strings.ToLower(ev.UUID))
	}
	return stix.DeterministicID("report", "misp-event:"+ev.Date+"|"+ev.Info)
}

// created is the event's last-change time: its timestamp, else its date.
func (e *Event) created() string {
	if t, ok := unixTime(e.Timestamp); ok {
		return stix.FormatTime(t)
	}
	if t, err := time.Parse("2006-01-02", e.Date); err == nil {
		return stix.FormatTime(t)
	}
	return stix.FormatTime(time.Unix(0, 0))
}

func unixTime(f Flex) (time.Time, bool) {
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

// STIX converts an event to STIX 2.1 objects: an identity for the creating
// organisation, TLP marking definitions, one indicator per to_ids attribute
// umbra can match (including attributes inside objects) and a report for
// the event that references them. The event's actor galaxies travel as
// x_umbra_actors names on the report and every indicator; the MISP type,
// category and value travel as misp:type/misp:category labels and
// x_misp_* properties so FromSTIX can rebuild the attributes.
func (e *Event) STIX() ([]stix.Object, error) {
	var out []stix.Object
	created := e.created()
	eventDay := created
	if t, err := time.Parse("2006-01-02", e.Date); err == nil {
		eventDay = stix.FormatTime(t)
	}
	var identity string
	if e.Orgc != nil && (e.Orgc.Name != "" || e.Orgc.UUID != "") {
		key := e.Orgc.UUID
		if key == "" {
			key = e.Orgc.Name
		}
		identity = stix.DeterministicID("identity", "misp-org:"+strings.ToLower(key))
		name := e.Orgc.Name
		if name == "" {
			name = e.Orgc.UUID
		}
		o, err := stix.Build("identity", identity, stix.Props{
			"name": name, "identity_class": "organization", "created": created, "modified": created,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	markings := map[stix.TLP]bool{}
	eventTLP, hasTLP := TLP(e.Tags)
	if hasTLP {
		markings[eventTLP] = true
	}
	actors := e.Actors()
	var actorNames []string
	for _, a := range actors {
		actorNames = append(actorNames, a.Name)
	}
	var refs []string
	source := ""
	if e.Orgc != nil {
		source = e.Orgc.Name
	}
	addIndicator := func(a *Attribute, objectName, objectUUID string) error {
		if !bool(a.ToIDs) || bool(a.Deleted) {
			return nil
		}
		// A bad value is reported by Indicators; here it is simply not exported.
		vals, _ := a.Values(objectName)
		if len(vals) == 0 {
			return nil
		}
		// created must not change between versions of an indicator, so it is
		// the event's date; the attribute's own timestamp is the version.
		validFrom, first := created, eventDay
		if t, ok := unixTime(a.Timestamp); ok {
			validFrom = stix.FormatTime(t)
		}
		if validFrom < first {
			first = validFrom
		}
		labels := []string{`misp:type="` + a.Type + `"`, `misp:category="` + a.Category + `"`}
		labels = append(labels, plainTags(a.Tags)...)
		var marks []string
		if t, ok := TLP(a.Tags); ok || hasTLP {
			if !ok || (hasTLP && eventTLP > t) {
				t = eventTLP
			}
			markings[t] = true
			marks = []string{t.MarkingID()}
		}
		var sources []string
		if source != "" {
			sources = []string{source}
		}
		for _, v := range vals {
			id := IndicatorID(e, a, v)
			props := stix.Props{
				"name": a.Type + ": " + a.Value, "description": a.Comment,
				"pattern": indicator.Pattern(v.Type, v.Value), "pattern_type": "stix", "pattern_version": "2.1",
				"valid_from": validFrom, "created": first, "modified": validFrom,
				"indicator_types": []string{"malicious-activity"}, "labels": labels,
				"created_by_ref": identity, "object_marking_refs": marks,
				"x_umbra_type": v.Type.String(), "x_umbra_value": v.Value, "x_umbra_sources": sources,
				"x_umbra_actors": actorNames, "x_misp_attribute_uuid": a.UUID, "x_misp_value": a.Value,
				"x_misp_object_name": objectName, "x_misp_object_uuid": objectUUID, "x_misp_object_relation": string(a.ObjectRelation),
			}
			o, err := stix.Build("indicator", id, props)
			if err != nil {
				return fmt.Errorf("attribute %s (%s %q): %w", a.UUID, a.Type, a.Value, err)
			}
			out = append(out, o)
			refs = append(refs, id)
		}
		return nil
	}
	for i := range e.Attributes {
		if err := addIndicator(&e.Attributes[i], "", ""); err != nil {
			return nil, err
		}
	}
	for i := range e.Objects {
		o := &e.Objects[i]
		if o.Deleted {
			continue
		}
		for j := range o.Attributes {
			if err := addIndicator(&o.Attributes[j], o.Name, o.UUID); err != nil {
				return nil, err
			}
		}
	}
	levels := make([]stix.TLP, 0, len(markings))
	for t := range markings {
		levels = append(levels, t)
	}
	sort.Slice(levels, func(i, j int) bool { return levels[i] < levels[j] })
	for _, t := range levels {
		out = append(out, stix.TLPMarking(t))
	}
	if len(refs) == 0 {
		// A report must reference something; an event with nothing matchable
		// still says who published it.
		if identity == "" {
			identity = stix.DeterministicID("identity", "misp-org:unknown")
			o, err := stix.Build("identity", identity, stix.Props{
				"name": "unknown MISP organisation", "identity_class": "organization", "created": created, "modified": created,
			})
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		refs = []string{identity}
	}
	published := eventDay
	var marks []string
	if hasTLP {
		marks = []string{eventTLP.MarkingID()}
	}
	name := e.Info
	if name == "" {
		name = "MISP event " + e.UUID
	}
	rep, err := stix.Build("report", ReportID(e), stix.Props{
		"name": name, "published": published, "created": min(eventDay, created), "modified": created,
		"report_types": []string{"threat-report"}, "object_refs": refs, "labels": plainTags(e.Tags),
		"created_by_ref": identity, "object_marking_refs": marks, "x_umbra_actors": actorNames,
		"x_misp_event_uuid": e.UUID, "x_misp_info": e.Info, "x_misp_date": e.Date,
		"x_misp_threat_level_id": string(e.ThreatLevelID), "x_misp_analysis": string(e.Analysis),
		"x_misp_distribution": string(e.Distribution), "x_misp_tags": tagNames(e.Tags),
	})
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", e.UUID, err)
	}
	return append(out, rep), nil
}

func tagNames(tags []Tag) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, t.Name)
	}
	return out
}

// FromSTIX rebuilds MISP events from STIX objects: one event per report,
// holding the indicators it references. Objects that came from ToSTIX
// keep their MISP uuid, type, category, value and tags; other indicators
// become attributes through their pattern. Indicators no report
// references are gathered into one extra event.
func FromSTIX(objs []stix.Object) ([]Event, error) {
	byID := make(map[string]*stix.Object, len(objs))
	for i := range objs {
		byID[objs[i].ID] = &objs[i]
	}
	used := map[string]bool{}
	var events []Event
	for i := range objs {
		o := &objs[i]
		if o.Type != "report" {
			continue
		}
		var x struct {
			UUID      string   `json:"x_misp_event_uuid"`
			Info      string   `json:"x_misp_info"`
			Date      string   `json:"x_misp_date"`
			Threat    string   `json:"x_misp_threat_level_id"`
			Analysis  string   `json:"x_misp_analysis"`
			Dist      string   `json:"x_misp_distribution"`
			Tags      []string `json:"x_misp_tags"`
			Actors    []string `json:"x_umbra_actors"`
			Published string   `json:"published"`
		}
		if err := json.Unmarshal(o.Raw, &x); err != nil {
			return nil, fmt.Errorf("%s: %w", o.ID, err)
		}
		ev := Event{UUID: x.UUID, Info: x.Info, Date: x.Date, ThreatLevelID: Flex(x.Threat),
			Analysis: Flex(x.Analysis), Distribution: Flex(x.Dist)}
		if ev.UUID == "" {
			_, ev.UUID, _ = strings.Cut(o.ID, "--")
		}
		if ev.Info == "" {
			ev.Info = o.Common.Name
		}
		if ev.Date == "" && len(x.Published) >= 10 {
			ev.Date = x.Published[:10]
		}
		if t, err := stix.ParseTime(o.Modified); err == nil {
			ev.Timestamp = Flex(strconv.FormatInt(t.Unix(), 10))
		}
		if x.Tags != nil {
			for _, t := range x.Tags {
				ev.Tags = append(ev.Tags, Tag{Name: t})
			}
		} else {
			ev.Tags = stixTags(o, x.Actors)
		}
		if cb := byID[o.Common.CreatedByRef]; cb != nil && cb.Type == "identity" {
			ev.Orgc = &Org{Name: cb.Common.Name}
		}
		reportTLP, hasTLP := stix.TLPOf(o)
		objects := map[string]int{}
		attrSeen := map[string]bool{}
		for _, ref := range o.Common.ObjectRefs {
			ind := byID[ref]
			if ind == nil || ind.Type != "indicator" {
				continue
			}
			used[ref] = true
			a, objName, objUUID, ok, err := attributesOf(ind, reportTLP, hasTLP)
			if err != nil {
				return nil, err
			}
			// A composite attribute (filename|md5) became one indicator per value.
			if !ok || a.UUID != "" && attrSeen[a.UUID] {
				continue
			}
			attrSeen[a.UUID] = true
			if objName == "" {
				ev.Attributes = append(ev.Attributes, a)
				continue
			}
			k, found := objects[objUUID+"|"+objName]
			if !found {
				k = len(ev.Objects)
				objects[objUUID+"|"+objName] = k
				obj := Object{Name: objName, UUID: objUUID}
				if objName == "x509" && ind.Common.XType != "" {
					obj = X509Object(a, objUUID) // umbra's own serial, with the template
					obj.Attributes = nil
				}
				ev.Objects = append(ev.Objects, obj)
			}
			ev.Objects[k].Attributes = append(ev.Objects[k].Attributes, a)
		}
		events = append(events, ev)
	}
	var rest Event
	for i := range objs {
		o := &objs[i]
		if o.Type != "indicator" || used[o.ID] {
			continue
		}
		a, objName, objUUID, ok, err := attributesOf(o, 0, false)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok:
		case objName == "x509" && a.ObjectRelation == x509Relation:
			rest.Objects = append(rest.Objects, X509Object(a, objUUID))
		default:
			rest.Attributes = append(rest.Attributes, a)
		}
	}
	if len(rest.Attributes)+len(rest.Objects) > 0 {
		rest.Info = "STIX indicators without a report"
		rest.ThreatLevelID, rest.Analysis, rest.Distribution = "4", "0", "0"
		events = append(events, rest)
	}
	return events, nil
}

// stixTags turns a non-MISP report's labels, TLP marking and actors into tags.
func stixTags(o *stix.Object, actors []string) []Tag {
	var tags []Tag
	if t, ok := stix.TLPOf(o); ok {
		tags = append(tags, Tag{Name: "tlp:" + t.String()})
	}
	for _, l := range o.Common.Labels {
		tags = append(tags, Tag{Name: l})
	}
	for _, a := range actors {
		tags = append(tags, Tag{Name: `misp-galaxy:threat-actor="` + a + `"`})
	}
	return tags
}

// attributesOf rebuilds the attribute an indicator stands for, and the
// name and uuid of the MISP object it belonged to. reportTLP is the
// event's marking: an indicator marked the same carries no TLP tag of its
// own. An indicator umbra cannot read a value from gives no attribute.
func attributesOf(o *stix.Object, reportTLP stix.TLP, hasReportTLP bool) (a Attribute, objName, objUUID string, ok bool, err error) {
	var x struct {
		UUID     string `json:"x_misp_attribute_uuid"`
		Value    string `json:"x_misp_value"`
		ObjName  string `json:"x_misp_object_name"`
		ObjUUID  string `json:"x_misp_object_uuid"`
		Relation string `json:"x_misp_object_relation"`
	}
	if err := json.Unmarshal(o.Raw, &x); err != nil {
		return a, "", "", false, fmt.Errorf("%s: %w", o.ID, err)
	}
	var typ, category string
	var tags []Tag
	for _, l := range o.Common.Labels {
		switch {
		case strings.HasPrefix(l, `misp:type="`):
			typ = strings.TrimSuffix(strings.TrimPrefix(l, `misp:type="`), `"`)
		case strings.HasPrefix(l, `misp:category="`):
			category = strings.TrimSuffix(strings.TrimPrefix(l, `misp:category="`), `"`)
		default:
			tags = append(tags, Tag{Name: l})
		}
	}
	if t, ok := stix.TLPOf(o); ok && (!hasReportTLP || t != reportTLP) {
		tags = append(tags, Tag{Name: "tlp:" + t.String()})
	}
	var ts Flex
	if t, err := stix.ParseTime(o.Common.ValidFrom); err == nil {
		ts = Flex(strconv.FormatInt(t.Unix(), 10))
	}
	a = Attribute{UUID: x.UUID, Type: typ, Category: category, Value: x.Value, ToIDs: true,
		Comment: o.Common.Description, Timestamp: ts, ObjectRelation: Flex(x.Relation), Tags: tags}
	if typ != "" && x.Value != "" {
		return a, x.ObjName, x.ObjUUID, true, nil
	}
	// Not written from MISP: take the value umbra reads from any indicator.
	ind, ok := indicator.FromSTIX(*o)
	if !ok {
		return a, "", "", false, nil
	}
	if a.Type, a.Category, ok = AttributeType(ind.Type); !ok {
		return a, "", "", false, nil
	}
	a.Value = ind.Value
	_, a.UUID, _ = strings.Cut(stix.DeterministicID("x-misp-attribute", o.ID), "--")
	if ind.Type == indicator.CertSerial {
		// Only an x509 object's serial-number says what the text is.
		_, objUUID, _ := strings.Cut(stix.DeterministicID("x-misp-object", o.ID), "--")
		a.ObjectRelation = x509Relation
		return a, "x509", objUUID, true, nil
	}
	return a, "", "", true, nil
}
