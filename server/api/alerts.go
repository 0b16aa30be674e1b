package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/stix"
)

// alertFilter reads the filter parameters shared by the alert endpoints.
func (a *API) alertFilter(r *http.Request, c *call) (alertlog.Filter, error) {
	q := query(r)
	now := a.d.Now()
	f := alertlog.Filter{Clearance: c.view.clearance, Kinds: listParam(r, "kind"), Q: strings.TrimSpace(q.Get("q"))}
	var err error
	if f.Since, err = timeParam(r, "since", now); err != nil {
		return f, err
	}
	if f.Until, err = timeParam(r, "until", now); err != nil {
		return f, err
	}
	if actors := listParam(r, "actor"); len(actors) > 0 {
		f.Actors = a.expandActors(r.Context(), c, actors)
	}
	return f, nil
}

// expandActors adds to each name the canonical name it resolves to and,
// for an umbrella, its members: alerts carry the names the intel gave.
func (a *API) expandActors(ctx context.Context, c *call, names []string) []string {
	out := append([]string(nil), names...)
	for _, n := range names {
		v, err := a.cached(ctx, c.clearKey()+"actor-names|"+knowledge.NormName(n), func() (any, error) {
			act, err := knowledge.ResolveActor(ctx, c.view, n)
			if err != nil {
				return []string{}, nil
			}
			more := []string{act.Name}
			for _, m := range act.Members {
				more = append(more, m.Name)
			}
			return more, nil
		})
		if err == nil {
			out = append(out, v.([]string)...)
		}
	}
	return out
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func (a *API) listAlerts(w http.ResponseWriter, r *http.Request, c *call) {
	l, err := a.alerts()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	limit, err := limitParam(r)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	f, err := a.alertFilter(r, c)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	pg, err := l.Query(f, limit, query(r).Get("cursor"))
	if errors.Is(err, alertlog.ErrCursor) {
		badRequest(w, "cursor: not one this API made")
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], `{"alerts":[`...)
	for i, x := range pg.Alerts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, x...)
	}
	b = append(b, ']')
	if pg.Next != "" {
		b = append(b, `,"next":"`...)
		b = append(b, pg.Next...) // base64url: nothing to escape
		b = append(b, '"')
	}
	b = append(b, "}\n"...)
	writeRaw(w, http.StatusOK, b)
	if cap(b) <= 4<<20 {
		*bp = b
		bufPool.Put(bp)
	}
}

func (a *API) histogram(w http.ResponseWriter, r *http.Request, c *call) {
	l, err := a.alerts()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f, err := a.alertFilter(r, c)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	q := r.URL.Query()
	width := 24 * time.Hour
	switch q.Get("bucket") {
	case "", "1d":
	case "1h":
		width = time.Hour
	default:
		badRequest(w, "bucket: want 1h or 1d")
		return
	}
	by := q.Get("by")
	if by == "" {
		by = "kind"
	}
	h, err := l.Histogram(f, width, by)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// alertTime reads the "ts" of a served alert.
func alertTime(b []byte) (time.Time, bool) {
	var x struct {
		TS time.Time `json:"ts"`
	}
	if json.Unmarshal(b, &x) != nil {
		return time.Time{}, false
	}
	return x.TS, true
}

// sightingItem is one line of GET /api/sightings: a STIX sighting the
// matcher recorded, with what it sighted.
type sightingItem struct {
	ID          string            `json:"id"`
	SightingOf  string            `json:"sighting_of_ref"`
	Type        string            `json:"indicator_type,omitempty"`
	Value       string            `json:"value,omitempty"`
	Actors      []indicator.Actor `json:"actors"`
	FirstSeen   time.Time         `json:"first_seen"`
	LastSeen    time.Time         `json:"last_seen"`
	Count       int               `json:"count"`
	Sensor      string            `json:"sensor,omitempty"`
	Where       []string          `json:"where"`
	TLP         string            `json:"tlp"`
	actorsNorms []string
}

func (a *API) sightings(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	limit, err := limitParam(r)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	now := a.d.Now()
	since, err := timeParam(r, "since", now)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	until, err := timeParam(r, "until", now)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	var afterT time.Time
	afterID := ""
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		ts, id, ok := strings.Cut(string(b), "|")
		t, terr := time.Parse(time.RFC3339Nano, ts)
		if err != nil || !ok || terr != nil {
			badRequest(w, "cursor: not one this API made")
			return
		}
		afterT, afterID = t, id
	}
	v, err := a.cached(ctx, c.clearKey()+"sightings", func() (any, error) { return a.loadSightings(ctx, c) })
	if err != nil {
		a.fail(w, r, err)
		return
	}
	all := v.([]sightingItem)
	var actors []string
	if names := listParam(r, "actor"); len(names) > 0 {
		for _, n := range a.expandActors(ctx, c, names) {
			actors = append(actors, knowledge.NormName(n))
		}
	}
	items := []sightingItem{}
	next := ""
	for i := range all {
		s := &all[i]
		if !afterT.IsZero() && (s.LastSeen.After(afterT) || s.LastSeen.Equal(afterT) && s.ID >= afterID) {
			continue
		}
		if !since.IsZero() && s.LastSeen.Before(since) || !until.IsZero() && !s.FirstSeen.Before(until) {
			continue
		}
		if len(actors) > 0 && !anyIn(s.actorsNorms, actors) {
			continue
		}
		if len(items) == limit {
			last := items[len(items)-1]
			next = base64.RawURLEncoding.EncodeToString([]byte(last.LastSeen.Format(time.RFC3339Nano) + "|" + last.ID))
			break
		}
		items = append(items, *s)
	}
	out := map[string]any{"sightings": items}
	if next != "" {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}

// loadSightings reads the visible sightings, newest first. A sighting of
// an object the token may not see is itself invisible.
func (a *API) loadSightings(ctx context.Context, c *call) ([]sightingItem, error) {
	out := []sightingItem{}
	err := c.view.Each(ctx, []string{"sighting"}, func(o stix.Object) error {
		var ref, sensor string
		var where []string
		var count int
		o.Property("sighting_of_ref", &ref)
		o.Property("x_umbra_sensor", &sensor)
		o.Property("x_umbra_where", &where)
		o.Property("count", &count)
		if ref == "" || !c.view.visible(ctx, ref) {
			return nil
		}
		var first, last string
		o.Property("first_seen", &first)
		o.Property("last_seen", &last)
		s := sightingItem{ID: o.ID, SightingOf: ref, Sensor: sensor, Where: where, Count: count, Actors: []indicator.Actor{}}
		s.FirstSeen, _ = stix.ParseTime(first)
		s.LastSeen, _ = stix.ParseTime(last)
		if s.Where == nil {
			s.Where = []string{}
		}
		lvl := max(a.marks.level(ctx, o.ID), a.marks.level(ctx, ref))
		s.TLP = lvl.String()
		if ind, err := c.view.Object(ctx, ref); err == nil && ind.Type == "indicator" {
			if v, ok := indicator.FromSTIX(ind); ok {
				s.Type, s.Value = v.Type.String(), v.Value
			}
			for _, rel := range mustRelations(ctx, c.view, ref) {
				if rel.Type == "indicates" && rel.SourceRef == ref {
					if t, err := c.view.Object(ctx, rel.TargetRef); err == nil && t.Common.Name != "" {
						s.Actors = append(s.Actors, indicator.Actor{Name: t.Common.Name, Confidence: rel.Confidence})
						s.actorsNorms = append(s.actorsNorms, knowledge.NormName(t.Common.Name))
					}
				}
			}
		}
		out = append(out, s)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].LastSeen.Equal(out[j].LastSeen) {
			return out[i].LastSeen.After(out[j].LastSeen)
		}
		return out[i].ID > out[j].ID
	})
	return out, err
}

func mustRelations(ctx context.Context, v *view, id string) []knowledge.Relation {
	rs, _ := v.Relations(ctx, id)
	return rs
}
