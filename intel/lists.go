package intel

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/umbra-cti/umbra/intel/csv"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/intel/maltrail"
	"github.com/umbra-cti/umbra/intel/misp"
	"github.com/umbra-cti/umbra/intel/openioc"
	"github.com/umbra-cti/umbra/intel/plain"
	"github.com/umbra-cti/umbra/intel/zeekintel"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Formats of indicator lists and events.
const (
	FormatCSV      = "csv"
	FormatPlain    = "plain"
	FormatMaltrail = "maltrail"
	FormatZeek     = "zeek-intel"
	FormatOpenIOC  = "openioc"
	FormatMISP     = "misp"
)

// recordReader is the common shape of the list readers.
type recordReader func(r io.Reader, name, source string, emit func(indicator.Record) error) (indicator.Summary, error)

func listReader(format string) (recordReader, bool) {
	switch format {
	case FormatCSV:
		return func(r io.Reader, name, source string, emit func(indicator.Record) error) (indicator.Summary, error) {
			return csv.Read(r, name, csv.Options{Source: source}, emit)
		}, true
	case FormatPlain:
		return func(r io.Reader, name, source string, emit func(indicator.Record) error) (indicator.Summary, error) {
			return plain.Read(r, name, plain.Options{Source: source}, emit)
		}, true
	case FormatMaltrail:
		return func(r io.Reader, name, source string, emit func(indicator.Record) error) (indicator.Summary, error) {
			return maltrail.Read(r, name, maltrail.Options{Source: source}, emit)
		}, true
	case FormatZeek:
		return func(r io.Reader, name, source string, emit func(indicator.Record) error) (indicator.Summary, error) {
			return zeekintel.Read(r, name, zeekintel.Options{}, emit)
		}, true
	case FormatOpenIOC:
		return func(r io.Reader, name, source string, emit func(indicator.Record) error) (indicator.Summary, error) {
			return openioc.Read(r, name, openioc.Options{Source: source}, emit)
		}, true
	}
	return nil, false
}

// attribution is what --actor and --report add to an import.
type attribution struct {
	actorID    string
	confidence int
	report     string
}

func (a *attribution) resolve(ctx context.Context, st knowledge.Store, opt Options) error {
	a.confidence = opt.Confidence
	a.report = opt.Report
	if opt.Actor == "" {
		return nil
	}
	act, err := knowledge.ResolveActor(ctx, st, opt.Actor)
	if err != nil {
		return fmt.Errorf("--actor: %w", err)
	}
	a.actorID = act.IDs[0]
	for _, id := range act.IDs {
		if o, err := st.Object(ctx, id); err == nil && knowledge.IsUmbrella(&o) {
			a.actorID = id
		}
	}
	return nil
}

// stamp is the time written on objects converted from lists: the file's
// modification time, so that importing an unchanged file again yields the
// same versions and an edited file yields newer ones.
func stamp(path string) time.Time {
	if path != "-" {
		if fi, err := os.Stat(path); err == nil {
			return fi.ModTime().UTC().Truncate(time.Millisecond)
		}
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// wanted reports whether link needs the imported ids: without --actor or
// --report, keeping them would grow with the input (a 1 GB bundle).
func (a *attribution) wanted() bool { return a.actorID != "" || a.report != "" }

// link writes what --actor and --report ask for about the imported ids.
func (a *attribution) link(put func(stix.Object) error, source string, at time.Time, ids []string, markings []string) error {
	ts := stix.FormatTime(at)
	if a.actorID != "" {
		for _, id := range ids {
			p := stix.Props{"relationship_type": "indicates", "source_ref": id, "target_ref": a.actorID,
				"created": ts, "modified": ts, "object_marking_refs": markings,
				"description": "attributed on import by " + source}
			if a.confidence > 0 {
				p["confidence"] = a.confidence
			}
			o, err := stix.Build("relationship", stix.DeterministicID("relationship", "indicates/"+id+"/"+a.actorID), p)
			if err != nil {
				return err
			}
			if err := put(o); err != nil {
				return err
			}
		}
	}
	if a.report != "" && len(ids) > 0 {
		refs := ids
		if a.actorID != "" {
			refs = append(append([]string(nil), ids...), a.actorID)
		}
		o, err := stix.Build("report", stix.DeterministicID("report", source+"/"+a.report), stix.Props{
			"name": a.report, "published": ts, "created": ts, "modified": ts, "object_refs": refs,
			"report_types": []string{"indicator"}, "object_marking_refs": markings})
		if err != nil {
			return err
		}
		return put(o)
	}
	return nil
}

func importList(ctx context.Context, st knowledge.Store, r io.Reader, read recordReader, info knowledge.ImportInfo, opt Options, res *Result) error {
	var attr attribution
	if err := attr.resolve(ctx, st, opt); err != nil {
		return err
	}
	at := stamp(info.Path)
	markings := []string{info.TLP.MarkingID()}
	so := indicator.STIXOptions{Time: at, MarkingRefs: markings}
	if opt.Confidence > 0 {
		c := opt.Confidence
		so.Confidence = &c
	}
	var sum indicator.Summary
	var ids []string
	s, err := st.Import(ctx, info, func(put func(stix.Object) error) error {
		if err := put(stix.TLPMarking(info.TLP)); err != nil {
			return err
		}
		var err error
		sum, err = read(r, info.Path, info.Source, func(rec indicator.Record) error {
			if rec.Source == "" {
				rec.Source = info.Source
			}
			o, err := indicator.ToSTIX(rec, so)
			if err != nil {
				res.Rejected = append(res.Rejected, fmt.Sprintf("%s:%d: %v", rec.File, rec.Line, err))
				return nil
			}
			res.ByType[rec.Type.String()]++
			if attr.wanted() {
				ids = append(ids, o.ID)
			}
			return put(o)
		})
		if err != nil {
			return err
		}
		return attr.link(put, info.Source, at, ids, markings)
	})
	res.Summary = s
	for _, e := range sum.Errors {
		res.Rejected = append(res.Rejected, e.Error())
	}
	if sum.ErrorsDropped > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d more rejected rows not listed", sum.ErrorsDropped))
	}
	if sum.Duplicates > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d duplicate rows skipped", sum.Duplicates))
	}
	return err
}

func importMISP(ctx context.Context, st knowledge.Store, path string, info knowledge.ImportInfo, opt Options, res *Result) error {
	if path == "-" {
		return fmt.Errorf("MISP input is read from a file or feed folder, not standard input")
	}
	var attr attribution
	if err := attr.resolve(ctx, st, opt); err != nil {
		return err
	}
	events, skipped, err := misp.ReadPath(path)
	if err != nil {
		return err
	}
	for _, e := range skipped {
		res.Rejected = append(res.Rejected, e.Error())
	}
	at := stamp(path)
	s, err := st.Import(ctx, info, func(put func(stix.Object) error) error {
		var ids []string
		for i := range events {
			objs, err := events[i].STIX()
			if err != nil {
				res.Rejected = append(res.Rejected, fmt.Sprintf("%s: event %d: %v", path, i, err))
				continue
			}
			for _, o := range objs {
				res.ByType[o.Type]++
				if o.Type == "indicator" {
					ids = append(ids, o.ID)
				}
				if err := put(o); err != nil {
					return err
				}
			}
		}
		return attr.link(put, info.Source, at, ids, []string{info.TLP.MarkingID()})
	})
	res.Summary = s
	return err
}
