package misp

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/stix"
)

// Indicators returns the matchable indicators of events: every to_ids,
// not-deleted attribute (including those inside objects) whose type maps
// to an indicator type. Values repeated across attributes and events are
// merged, keeping every STIX id, source and actor. source names where the
// events came from; when empty the creating organisation's name is used.
// Values that are not valid for their attribute type are left out and
// returned in rejected, each naming the event and attribute.
func Indicators(events []Event, source string) (inds []indicator.Indicator, rejected []error) {
	type key struct {
		t indicator.Type
		v string
	}
	index := map[key]int{}
	var out []indicator.Indicator
	for i := range events {
		ev := &events[i]
		src := source
		if src == "" && ev.Orgc != nil {
			src = ev.Orgc.Name
		}
		if src == "" {
			src = "misp"
		}
		actors := ev.Actors()
		visit := func(a *Attribute, objectName string) {
			if !bool(a.ToIDs) || bool(a.Deleted) {
				return
			}
			vals, err := a.Values(objectName)
			if err != nil {
				rejected = append(rejected, fmt.Errorf("event %s attribute %s: %w", ev.UUID, a.UUID, err))
			}
			for _, v := range vals {
				k := key{v.Type, v.Value}
				j, ok := index[k]
				if !ok {
					j = len(out)
					index[k] = j
					out = append(out, indicator.Indicator{Type: v.Type, Value: v.Value})
				}
				ind := &out[j]
				ind.IDs = addString(ind.IDs, IndicatorID(ev, a, v))
				ind.Sources = addString(ind.Sources, src)
				for _, ac := range actors {
					ind.Actors = addActor(ind.Actors, ac)
				}
			}
		}
		for j := range ev.Attributes {
			visit(&ev.Attributes[j], "")
		}
		for j := range ev.Objects {
			o := &ev.Objects[j]
			if o.Deleted {
				continue
			}
			for k := range o.Attributes {
				visit(&o.Attributes[k], o.Name)
			}
		}
	}
	return out, rejected
}

func addString(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func addActor(list []indicator.Actor, a indicator.Actor) []indicator.Actor {
	for i, x := range list {
		if strings.EqualFold(x.Name, a.Name) {
			if a.Confidence > x.Confidence {
				list[i].Confidence = a.Confidence
			}
			return list
		}
	}
	return append(list, a)
}

// Meta describes an event umbra writes from its own indicators.
type Meta struct {
	Info string    // the event title
	UUID string    // the event UUID; derived from Info and Date when empty
	Date time.Time // the event date and timestamp; required for stable output
	Org  string    // the creating organisation's name
	// TLP marks the event; nil leaves it unmarked. Distribution is always
	// "your organisation only" (0): widening it is the sharer's decision.
	TLP *stix.TLP
}

// FromIndicators builds one MISP event holding inds, for `umbra intel
// export --format misp`. Each indicator becomes a to_ids attribute with a
// UUID derived from its type and value (stable across exports), its
// sources in the comment and its actors as misp-galaxy:threat-actor tags;
// the actors are also tagged on the event. Indicators of types MISP cannot
// hold (Unknown) are returned in skipped.
func FromIndicators(inds []indicator.Indicator, m Meta) (ev Event, skipped []indicator.Indicator) {
	ev = Event{Info: m.Info, UUID: m.UUID, ThreatLevelID: "4", Analysis: "2", Distribution: "0"}
	if !m.Date.IsZero() {
		ev.Date = m.Date.UTC().Format("2006-01-02")
		ev.Timestamp = Flex(strconv.FormatInt(m.Date.Unix(), 10))
	}
	if ev.UUID == "" {
		_, ev.UUID, _ = strings.Cut(stix.DeterministicID("x-misp-event", m.Info+"|"+ev.Date), "--")
	}
	if m.Org != "" {
		ev.Orgc = &Org{Name: m.Org}
	}
	if m.TLP != nil {
		ev.Tags = append(ev.Tags, Tag{Name: "tlp:" + m.TLP.String()})
	}
	eventActors := map[string]bool{}
	for _, ind := range inds {
		typ, cat, ok := AttributeType(ind.Type)
		if !ok || ind.Value == "" {
			skipped = append(skipped, ind)
			continue
		}
		_, u, _ := strings.Cut(stix.DeterministicID("x-misp-attribute", ind.Type.String()+"|"+ind.Value), "--")
		a := Attribute{UUID: u, Type: typ, Category: cat, Value: ind.Value, ToIDs: true, Timestamp: ev.Timestamp}
		if len(ind.Sources) > 0 {
			srcs := append([]string(nil), ind.Sources...)
			sort.Strings(srcs)
			a.Comment = "sources: " + strings.Join(srcs, ", ")
		}
		for _, ac := range ind.Actors {
			a.Tags = append(a.Tags, Tag{Name: actorTag(ac.Name)})
			eventActors[ac.Name] = true
		}
		if ind.Type == indicator.CertSerial {
			_, ou, _ := strings.Cut(stix.DeterministicID("x-misp-object", "x509|"+ind.Value), "--")
			ev.Objects = append(ev.Objects, X509Object(a, ou))
			continue
		}
		ev.Attributes = append(ev.Attributes, a)
	}
	names := make([]string, 0, len(eventActors))
	for n := range eventActors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ev.Tags = append(ev.Tags, Tag{Name: actorTag(n)})
	}
	return ev, skipped
}

func actorTag(name string) string {
	return `misp-galaxy:threat-actor="` + strings.ReplaceAll(name, `"`, `'`) + `"`
}

// Records returns one indicator.Record per matchable value of events'
// to_ids attributes, for importers that feed indicator.ToSTIX and the
// store like the other list formats do. The attribute comment becomes the
// description, the event's "link" attributes its references, and the
// event's and attribute's plain tags (not TLP or galaxy) its tags. Unlike
// Indicators, values are not merged: each attribute keeps its context.
func Records(events []Event, source string) (recs []indicator.Record, rejected []error) {
	for i := range events {
		ev := &events[i]
		src := source
		if src == "" && ev.Orgc != nil {
			src = ev.Orgc.Name
		}
		if src == "" {
			src = "misp"
		}
		var refs []string
		for _, a := range ev.Attributes {
			if a.Type == "link" && !bool(a.Deleted) {
				refs = append(refs, a.Value)
			}
		}
		eventTags := plainTags(ev.Tags)
		visit := func(a *Attribute, objectName string) {
			if !bool(a.ToIDs) || bool(a.Deleted) {
				return
			}
			vals, err := a.Values(objectName)
			if err != nil {
				rejected = append(rejected, fmt.Errorf("event %s attribute %s: %w", ev.UUID, a.UUID, err))
			}
			for _, v := range vals {
				desc := a.Comment
				if desc == "" {
					desc = ev.Info
				}
				recs = append(recs, indicator.Record{Type: v.Type, Value: v.Value, Description: desc, References: refs,
					Source: src, Tags: append(append([]string(nil), eventTags...), plainTags(a.Tags)...)})
			}
		}
		for j := range ev.Attributes {
			visit(&ev.Attributes[j], "")
		}
		for j := range ev.Objects {
			o := &ev.Objects[j]
			if o.Deleted {
				continue
			}
			for k := range o.Attributes {
				visit(&o.Attributes[k], o.Name)
			}
		}
	}
	return recs, rejected
}
