// Package export writes what the knowledge store knows in the formats other
// tools consume: STIX bundles, MISP events, Zeek intel files, Suricata
// datasets and rules, CSV, and ATT&CK Navigator layers.
package export

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/umbra-cti/umbra/export/bundle"
	"github.com/umbra-cti/umbra/export/csv"
	"github.com/umbra-cti/umbra/export/navigator"
	"github.com/umbra-cti/umbra/export/suricata"
	"github.com/umbra-cti/umbra/export/zeekintel"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/intel/misp"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/stix"
)

// Formats lists the export formats, for help texts.
var Formats = []string{"stix", "misp", "zeek-intel", "suricata", "csv", "navigator"}

// DirFormat reports whether a format writes a directory rather than a file.
func DirFormat(format string) bool { return format == "suricata" }

// Options select what to export and how.
type Options struct {
	Format string
	Actor  string
	TLPMax stix.TLP
	// Now stamps formats that carry a date (MISP); zero means now.
	Now time.Time
	// Allow keeps allow-listed values out of indicator exports; each one
	// left out is listed in Result.Skipped.
	Allow *allowlist.Set
}

// Store is what exporting needs from the knowledge store.
type Store interface {
	knowledge.Store
	TLP(ctx context.Context, id string) (stix.TLP, error)
}

// Result says what an export wrote and what it had to leave out.
type Result struct {
	Written int
	Skipped []string
	Files   []string
}

// Write exports to w, or for directory formats into dir.
func Write(ctx context.Context, st Store, w io.Writer, dir string, opt Options) (Result, error) {
	var res Result
	switch opt.Format {
	case "stix":
		n, err := bundle.Write(ctx, st, st, w, bundle.Options{Actor: opt.Actor, TLPMax: opt.TLPMax})
		res.Written = n
		return res, err
	case "navigator":
		if opt.Actor == "" {
			return res, fmt.Errorf("a Navigator layer is for one actor or umbrella: pass --actor")
		}
		a, err := knowledge.ResolveActor(ctx, st, opt.Actor)
		if err != nil {
			return res, err
		}
		techs := techniques(ctx, st, a)
		res.Written = len(techs)
		return res, navigator.Write(w, techs, navigator.Options{Name: a.Name,
			Description: "Techniques attributed to " + a.Name + "; the score is the number of sources that attribute each."})
	}
	inds, err := intel.ActiveIndicators(ctx, st, st, intel.Selection{Actor: opt.Actor, TLPMax: opt.TLPMax, Allow: opt.Allow,
		OnDrop: func(ind indicator.Indicator, list string) {
			res.Skipped = append(res.Skipped, skipped(ind, "allow-listed ("+list+")"))
		}})
	if err != nil {
		return res, err
	}
	desc := "umbra export"
	if opt.Actor != "" {
		desc += " for " + opt.Actor
	}
	switch opt.Format {
	case "zeek-intel":
		s, err := zeekintel.Write(w, slices.Values(inds), zeekintel.Meta{Source: "umbra", Description: desc})
		res.Written = s.Written
		for _, sk := range s.Skipped {
			res.Skipped = append(res.Skipped, skipped(sk.Indicator, sk.Reason))
		}
		return res, err
	case "suricata":
		s, err := suricata.Write(dir, slices.Values(inds), suricata.Options{Description: desc})
		res.Written, res.Files = s.Written, s.Files
		for _, sk := range s.Skipped {
			res.Skipped = append(res.Skipped, skipped(sk.Indicator, sk.Reason))
		}
		return res, err
	case "csv":
		n, err := csv.Write(w, slices.Values(inds), csv.Options{Description: desc})
		res.Written = n
		return res, err
	case "misp":
		now := opt.Now
		if now.IsZero() {
			now = time.Now()
		}
		// Mark the event with the narrowest level among what it holds.
		tlp := stix.TLPClear
		for _, ind := range inds {
			for _, id := range ind.IDs {
				if t, err := st.TLP(ctx, id); err == nil && t > tlp {
					tlp = t
				}
			}
		}
		ev, left := misp.FromIndicators(inds, misp.Meta{Info: desc, Date: now, Org: "umbra", TLP: &tlp})
		for _, s := range left {
			res.Skipped = append(res.Skipped, skipped(s, "MISP has no attribute type for it"))
		}
		res.Written = len(inds) - len(left)
		return res, misp.WriteEvent(w, &ev)
	}
	return res, fmt.Errorf("unknown export format %q (want one of %v)", opt.Format, Formats)
}

func skipped(ind indicator.Indicator, reason string) string {
	return fmt.Sprintf("%s %q: %s", ind.Type, ind.Value, reason)
}

// techniques lists an actor's ATT&CK techniques, and for an umbrella its
// members' too, each with the sources that attribute it.
func techniques(ctx context.Context, st knowledge.Store, a *knowledge.Actor) []navigator.Technique {
	byID := map[string]*navigator.Technique{}
	var order []string
	add := func(links []knowledge.Link) {
		for _, l := range links {
			if l.ExternalID == "" {
				continue
			}
			t := byID[l.ExternalID]
			if t == nil {
				t = &navigator.Technique{ID: l.ExternalID}
				byID[l.ExternalID] = t
				order = append(order, l.ExternalID)
			}
			for _, s := range l.Sources {
				if !slices.Contains(t.Sources, s) {
					t.Sources = append(t.Sources, s)
				}
			}
		}
	}
	add(a.Techniques)
	for _, m := range a.Members {
		if ma, err := knowledge.ResolveActor(ctx, st, m.Name); err == nil {
			add(ma.Techniques)
		}
	}
	slices.Sort(order)
	out := make([]navigator.Technique, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out
}
