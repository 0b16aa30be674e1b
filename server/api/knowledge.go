package api

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/stix"
)

func (a *API) me(w http.ResponseWriter, r *http.Request, c *call) {
	cols := c.tok.Collections
	if cols == nil {
		cols = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": c.tok.Name, "id": c.tok.ID, "role": c.tok.Role.String(),
		"tlp_max": c.clearance().String(), "collections": cols,
	})
}

func (a *API) stats(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	v, err := a.cached(ctx, c.clearKey()+"stats", func() (any, error) { return c.view.Stats(ctx) })
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var store any = v
	if st, ok := v.(knowledge.Stats); ok && c.view.clearance < stix.TLPRed {
		// Below red the view counts only what it can see; versions, names
		// and per-source counts would need the hidden rows, so they are
		// left out rather than shown as zero.
		store = map[string]any{"objects": st.Objects, "by_type": st.ByType, "imports": st.Imports}
	}
	out := map[string]any{"store": store}
	if ms, err := memory.ReadStats(a.d.DataDir); err == nil {
		out["memory"] = ms
	}
	if l, err := a.alerts(); err == nil {
		cnt := l.Count(alertlog.Filter{Clearance: c.view.clearance})
		out["alerts"] = cnt
	}
	writeJSON(w, http.StatusOK, out)
}

// actorItem is one line of GET /api/actors.
type actorItem struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Aliases    []string `json:"aliases"`
	Members    []string `json:"members"`
	Umbrellas  []string `json:"umbrellas"`
	Confidence int      `json:"confidence"`
	Sources    []string `json:"sources"`
}

func (a *API) listActors(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	v, err := a.cached(ctx, c.clearKey()+"actors", func() (any, error) {
		list, err := knowledge.ListActors(ctx, c.view)
		if err != nil {
			return nil, err
		}
		out := make([]actorItem, 0, len(list))
		for _, s := range list {
			it := actorItem{Name: s.Name, Kind: "intrusion-set", Aliases: []string{}, Members: []string{}, Umbrellas: []string{}, Sources: s.Sources}
			if len(s.IDs) > 0 {
				it.ID = s.IDs[0]
				it.Kind = stixType(s.IDs[0])
			}
			if s.Umbrella {
				it.Kind = "umbrella"
			}
			if act, err := knowledge.ResolveActor(ctx, c.view, s.Name); err == nil {
				it.Confidence = act.Confidence
				for _, al := range act.Aliases {
					if al.Kind == knowledge.ClaimAlias {
						it.Aliases = append(it.Aliases, al.Name)
					}
				}
				for _, m := range act.Members {
					it.Members = append(it.Members, m.Name)
				}
				for _, u := range act.Umbrellas {
					it.Umbrellas = append(it.Umbrellas, u.Name)
				}
			}
			if it.Sources == nil {
				it.Sources = []string{}
			}
			out = append(out, it)
		}
		return out, nil
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"actors": v})
}

func stixType(id string) string {
	t, _, _ := strings.Cut(id, "--")
	return t
}

// TimelineEvent is one dated entry of an actor's timeline.
type TimelineEvent struct {
	Time time.Time `json:"time"`
	What string    `json:"what"`
	Ref  string    `json:"ref,omitempty"`
}

// maxTimeline bounds an actor's timeline.
const maxTimeline = 200

func (a *API) actor(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	name := r.PathValue("name")
	act, err := knowledge.ResolveActor(ctx, c.view, name)
	if err != nil {
		if strings.Contains(err.Error(), "empty actor name") {
			badRequest(w, "empty actor name")
			return
		}
		a.fail(w, r, err)
		return
	}
	tl := []TimelineEvent{}
	add := func(s, what, ref string) {
		if t := parseLooseTime(s); !t.IsZero() {
			tl = append(tl, TimelineEvent{t, what, ref})
		}
	}
	add(act.FirstSeen, "first seen", "")
	add(act.LastSeen, "last seen", "")
	seen := map[string]bool{}
	for _, id := range act.IDs {
		rels, err := c.view.Relations(ctx, id)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		for _, rel := range rels {
			other := rel.SourceRef
			if other == id {
				other = rel.TargetRef
			}
			typ := stixType(other)
			if typ != "report" && typ != "campaign" || seen[other] {
				continue
			}
			seen[other] = true
			o, err := c.view.Object(ctx, other)
			if err != nil {
				continue
			}
			var published string
			o.Property("published", &published)
			when := firstNonEmpty(published, o.Common.FirstSeen, o.Created)
			add(when, typ+": "+o.Common.Name, other)
		}
	}
	if l, err := a.alerts(); err == nil {
		names := []string{act.Name}
		for _, m := range act.Members {
			names = append(names, m.Name)
		}
		f := alertlog.Filter{Clearance: c.view.clearance, Actors: names}
		if pg, err := l.Query(f, 1, ""); err == nil && len(pg.Alerts) > 0 {
			if t, ok := alertTime(pg.Alerts[0]); ok {
				tl = append(tl, TimelineEvent{t, "latest alert on our network", ""})
			}
		}
	}
	sort.SliceStable(tl, func(i, j int) bool { return tl[i].Time.Before(tl[j].Time) })
	if len(tl) > maxTimeline {
		tl = tl[len(tl)-maxTimeline:]
	}
	writeJSON(w, http.StatusOK, struct {
		*knowledge.Actor
		Timeline []TimelineEvent `json:"timeline"`
	}{act, tl})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseLooseTime reads the dates STIX and source claims use: RFC 3339,
// a date, or a year.
func parseLooseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// indicatorItem is one line of GET /api/indicators.
type indicatorItem struct {
	ID        string            `json:"id"`
	IDs       []string          `json:"ids"`
	Type      string            `json:"type"`
	Value     string            `json:"value"`
	Actors    []indicator.Actor `json:"actors"`
	Sources   []string          `json:"sources"`
	TLP       string            `json:"tlp"`
	ValidFrom string            `json:"valid_from,omitempty"`
	Score     int               `json:"score"`
}

func (a *API) indicators(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	q := r.URL.Query()
	limit, err := limitParam(r)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	actor, typ, text := strings.TrimSpace(q.Get("actor")), strings.TrimSpace(q.Get("type")), strings.ToLower(strings.TrimSpace(q.Get("q")))
	after := ""
	if cur := q.Get("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		if err != nil {
			badRequest(w, "cursor: not one this API made")
			return
		}
		after = string(b)
	}
	v, err := a.cached(ctx, c.clearKey()+"indicators|"+knowledge.NormName(actor), func() (any, error) {
		inds, err := intel.ActiveIndicators(ctx, c.view, c.view, intel.Selection{Actor: actor, TLPMax: c.view.clearance, At: a.d.Now()})
		if err != nil {
			return nil, err
		}
		sort.Slice(inds, func(i, j int) bool { return indKey(&inds[i]) < indKey(&inds[j]) })
		return inds, nil
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	inds := v.([]indicator.Indicator)
	start := sort.Search(len(inds), func(i int) bool { return indKey(&inds[i]) > after })
	items := []indicatorItem{}
	next := ""
	for i := start; i < len(inds); i++ {
		ind := &inds[i]
		if typ != "" && ind.Type.String() != typ {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(ind.Value), text) {
			continue
		}
		if len(items) == limit {
			next = base64.RawURLEncoding.EncodeToString([]byte(indKey(&inds[i-1])))
			break
		}
		it := indicatorItem{IDs: ind.IDs, Type: ind.Type.String(), Value: ind.Value, Actors: ind.Actors, Sources: ind.Sources, Score: ind.Score}
		if it.Actors == nil {
			it.Actors = []indicator.Actor{}
		}
		if it.Sources == nil {
			it.Sources = []string{}
		}
		lvl := stix.TLPClear
		for _, id := range ind.IDs {
			lvl = max(lvl, a.marks.level(ctx, id))
		}
		it.TLP = lvl.String()
		if len(ind.IDs) > 0 {
			it.ID = ind.IDs[0]
			if o, err := c.view.Object(ctx, ind.IDs[0]); err == nil {
				it.ValidFrom = o.Common.ValidFrom
			}
		}
		items = append(items, it)
	}
	out := map[string]any{"indicators": items}
	if next != "" {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

// indKey orders indicators for paging; NUL cannot occur in either part.
func indKey(ind *indicator.Indicator) string { return ind.Type.String() + "\x00" + ind.Value }

func (a *API) lookup(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	value := strings.TrimSpace(r.URL.Query().Get("value"))
	if value == "" {
		badRequest(w, "value: required")
		return
	}
	res, err := intel.Lookup(ctx, c.view, c.view, value)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if res.Seen == nil {
		res.Seen = []intel.Sighting{}
	}
	out := struct {
		intel.LookupResult
		Memory      *hunt.FirstLast `json:"memory,omitempty"`
		MemoryError string          `json:"memory_error,omitempty"`
	}{LookupResult: res}
	if mem, release, err := a.mem.acquire(); err == nil {
		fl, err := hunt.Seen(ctx, mem, value)
		release()
		if err == nil {
			out.Memory = &fl
		} else {
			out.MemoryError = err.Error()
		}
	} else {
		out.MemoryError = err.Error()
	}
	writeJSON(w, http.StatusOK, out)
}
