package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/sighting"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/stix"
)

// HuntRequest is the body of POST /api/hunts.
type HuntRequest struct {
	Since     string `json:"since,omitempty"` // an age (90d) or RFC 3339 time
	Until     string `json:"until,omitempty"`
	Indicator string `json:"indicator,omitempty"`
	Actor     string `json:"actor,omitempty"`
}

// huntJob is one hunt the API runs.
type huntJob struct {
	id        string
	kind      string // "hunt", or "retro" for the re-hunt after an import
	req       HuntRequest
	owner     string // token id
	clearance stix.TLP
	started   time.Time
	cancel    context.CancelFunc

	done, total atomic.Int64

	mu       sync.Mutex
	state    string // running, done, failed, cancelled
	err      string
	finished time.Time
	hits     []huntHit
}

type huntHit struct {
	tlp  stix.TLP
	json []byte
}

// maxHuntHits bounds the hits one hunt keeps: a hunt that finds more is
// too broad to read and fails with a hint to narrow it.
const maxHuntHits = 200_000

var errTooManyHits = errors.New("more than 200,000 hits: narrow the hunt by time, actor or indicator")

// maxKeptHunts bounds the finished hunts kept for their results.
const maxKeptHunts = 100

type hunts struct {
	a   *API
	sem chan struct{}
	wg  sync.WaitGroup

	mu    sync.Mutex
	jobs  map[string]*huntJob
	order []string
}

func newHunts(a *API, max int) *hunts {
	return &hunts{a: a, sem: make(chan struct{}, max), jobs: map[string]*huntJob{}}
}

func (h *hunts) wait() { h.wg.Wait() }

// HuntStatus is what GET /api/hunts/{id} answers.
type HuntStatus struct {
	ID       string      `json:"id"`
	Kind     string      `json:"kind"` // hunt, or retro: the re-hunt for new intel after an import
	State    string      `json:"state"`
	Request  HuntRequest `json:"request"`
	Progress struct {
		Done  int64 `json:"done"`
		Total int64 `json:"total"`
	} `json:"progress"`
	Hits     int        `json:"hits"`
	Error    string     `json:"error,omitempty"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
}

// visibleTo reports whether a token cleared to clearance may see the job:
// a hunt asked with wider clearance may name (in its actor or indicator)
// what the token may not see. A retro job names nothing, and its hits
// are filtered per token.
func (j *huntJob) visibleTo(clearance stix.TLP) bool {
	return j.kind == "retro" || j.clearance <= clearance
}

func (j *huntJob) status(clearance stix.TLP) HuntStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := HuntStatus{ID: j.id, Kind: j.kind, State: j.state, Request: j.req, Error: j.err, Started: j.started}
	s.Progress.Done, s.Progress.Total = j.done.Load(), j.total.Load()
	for _, x := range j.hits {
		if x.tlp <= clearance {
			s.Hits++
		}
	}
	if !j.finished.IsZero() {
		f := j.finished
		s.Finished = &f
	}
	return s
}

func (a *API) startHunt(w http.ResponseWriter, r *http.Request, c *call) {
	var req HuntRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		badRequest(w, "reading the body: "+err.Error())
		return
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			badRequest(w, "body: want {\"since\",\"until\",\"indicator\",\"actor\"}: "+err.Error())
			return
		}
	}
	now := a.d.Now()
	from, to := time.Time{}, time.Time{}
	if req.Since != "" {
		if from, err = parseTimeOrAge(req.Since, now, "since"); err != nil {
			badRequest(w, err.Error())
			return
		}
	}
	if req.Until != "" {
		if to, err = parseTimeOrAge(req.Until, now, "until"); err != nil {
			badRequest(w, err.Error())
			return
		}
	}
	var only *indicator.Indicator
	if req.Indicator != "" {
		t, v, err := indicator.Detect(indicator.Refang(req.Indicator))
		if err != nil {
			badRequest(w, "indicator: "+err.Error())
			return
		}
		only = &indicator.Indicator{Type: t, Value: v, Subdomains: t == indicator.Domain}
	}
	if req.Actor != "" {
		if _, err := knowledge.ResolveActor(r.Context(), c.view, req.Actor); err != nil {
			writeError(w, http.StatusNotFound, "Not Found", "actor: "+err.Error())
			return
		}
	}
	select {
	case a.hunts.sem <- struct{}{}:
	default:
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusTooManyRequests, "Too Many Requests", "the server runs "+strconv.Itoa(cap(a.hunts.sem))+" hunts at once; wait for one to finish")
		return
	}
	j := a.launch("hunt", req, c.tok.ID, c.view, func(ctx context.Context, j *huntJob) error {
		return a.runHunt(ctx, j, c.view, from, to, only, false)
	})
	w.Header().Set("Location", "/api/hunts/"+j.id)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": j.id})
}

// launch runs fn as a job; the caller holds a slot of the semaphore,
// which the job gives back when it ends.
func (a *API) launch(kind string, req HuntRequest, owner string, v *view, fn func(context.Context, *huntJob) error) *huntJob {
	var idb [8]byte
	rand.Read(idb[:])
	ctx, cancel := context.WithCancel(a.ctx)
	j := &huntJob{id: kind + "-" + hex.EncodeToString(idb[:]), kind: kind, req: req, owner: owner, clearance: v.clearance,
		started: a.d.Now().UTC(), cancel: cancel, state: "running"}
	a.hunts.add(j)
	a.hunts.wg.Add(1)
	go func() {
		defer a.hunts.wg.Done()
		defer func() { <-a.hunts.sem }()
		defer cancel()
		err := fn(ctx, j)
		j.mu.Lock()
		j.finished = a.d.Now().UTC()
		switch {
		case err == nil:
			j.state = "done"
			j.done.Store(j.total.Load())
		case errors.Is(err, context.Canceled):
			j.state, j.err = "cancelled", "cancelled"
		default:
			j.state, j.err = "failed", err.Error()
			a.d.Logger.Warn("hunt failed", "id", j.id, "err", err)
		}
		j.mu.Unlock()
	}()
	return j
}

// startRetro re-hunts the stored history for the indicators it has not
// been hunted for, as `umbra intel import` does after new intel: the
// job runs with full clearance; its hits are stamped and filtered per
// token like any alert.
func (a *API) startRetro(owner string) {
	if a.d.DataDir == "" {
		return
	}
	if ms, err := memory.ReadStats(a.d.DataDir); err != nil || ms.Events == 0 {
		return // no history to hunt
	}
	select {
	case a.hunts.sem <- struct{}{}:
	default:
		a.d.Logger.Warn("retro-hunt after import skipped: hunt slots are full; run one with POST /api/hunts")
		return
	}
	v := &view{st: a.d.Store, marks: a.marks, clearance: stix.TLPRed}
	a.launch("retro", HuntRequest{}, owner, v, func(ctx context.Context, j *huntJob) error {
		return a.runHunt(ctx, j, v, time.Time{}, time.Time{}, nil, true)
	})
}

func (h *hunts) add(j *huntJob) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.jobs[j.id] = j
	h.order = append(h.order, j.id)
	for len(h.order) > maxKeptHunts {
		old := h.jobs[h.order[0]]
		old.mu.Lock()
		running := old.state == "running"
		old.mu.Unlock()
		if running {
			break
		}
		delete(h.jobs, h.order[0])
		h.order = h.order[1:]
	}
}

func (h *hunts) get(id string) *huntJob {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.jobs[id]
}

// runHunt re-runs the token's visible intel over the stored history, as
// `umbra hunt` does, reporting progress in events read. Hits are recorded
// as sightings and in the alert log.
func (a *API) runHunt(ctx context.Context, j *huntJob, v *view, from, to time.Time, only *indicator.Indicator, retro bool) error {
	sel := intel.Selection{Actor: j.req.Actor, TLPMax: j.clearance}
	var hunted hunt.Hunted
	var all []indicator.Indicator
	if retro {
		allow, _, err := allowlist.Load(a.d.DataDir)
		if err != nil {
			return err
		}
		sel.Allow = allow
		if hunted, err = hunt.LoadHunted(a.d.DataDir); err != nil {
			return err
		}
	}
	inds, err := intel.ActiveIndicators(ctx, v, v, sel)
	if err != nil {
		return err
	}
	if retro {
		all, inds = inds, hunted.New(inds)
		if len(inds) == 0 {
			return nil
		}
	}
	if only != nil {
		var keep []indicator.Indicator
		for _, ind := range inds {
			if ind.Type == only.Type && ind.Value == only.Value {
				keep = append(keep, ind)
			}
		}
		if len(keep) == 0 {
			keep = []indicator.Indicator{*only}
		}
		inds = keep
	}
	snap, _ := match.Build(inds, nil)
	values := make([]string, len(inds))
	for i, ind := range inds {
		values[i] = ind.Value
	}
	mem, release, err := a.mem.acquire()
	if err != nil {
		return err
	}
	defer release()
	j.total.Store(int64(mem.Stats().Events))
	out, _, err := hunt.Run(ctx, mem, snap, hunt.Options{From: from, To: to, Values: values,
		Added:    func(id string) (time.Time, bool) { return intel.EnteredIntel(ctx, v, v, id) },
		Progress: func(n int) { j.done.Add(int64(n)) },
		MaxHits:  maxHuntHits,
	})
	if errors.Is(err, hunt.ErrTooManyHits) {
		return errTooManyHits
	}
	if err != nil {
		return err
	}
	stamp := alertlog.NewStamper(v)
	rec := sighting.NewRecorder()
	recs := make([]alertlog.Record, 0, len(out))
	for i := range out {
		h := &out[i]
		stamp.Stamp(ctx, &h.Alert)
		rec.Add(h.IndicatorIDs, h.Sensor, h.Where, h.Host, h.Time)
		recs = append(recs, alertlog.Record{Alert: h.Alert, Retro: &alertlog.Retro{FirstSeen: h.FirstSeen, IntelAdded: h.IntelAdded, DwellSeconds: h.DwellSeconds}})
	}
	served := make([]huntHit, len(out))
	for i := range out {
		b, err := out[i].MarshalJSON()
		if err != nil {
			return err
		}
		served[i] = huntHit{tlp: out[i].TLP, json: b}
	}
	j.mu.Lock()
	j.hits = served
	j.mu.Unlock()
	if objs, err := rec.Objects(); err == nil && len(objs) > 0 {
		if _, err := v.Import(ctx, knowledge.ImportInfo{Source: sighting.Source, Path: "api hunt " + j.id}, func(put func(stix.Object) error) error {
			for _, o := range objs {
				if err := put(o); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if l, err := a.alerts(); err == nil {
		if _, err := l.Append(recs); err != nil {
			return err
		}
	}
	if retro {
		return hunted.Save(a.d.DataDir, all)
	}
	return nil
}

func (a *API) listHunts(w http.ResponseWriter, r *http.Request, c *call) {
	a.hunts.mu.Lock()
	jobs := make([]*huntJob, 0, len(a.hunts.order))
	for i := len(a.hunts.order) - 1; i >= 0; i-- {
		jobs = append(jobs, a.hunts.jobs[a.hunts.order[i]])
	}
	a.hunts.mu.Unlock()
	out := make([]HuntStatus, 0, len(jobs))
	for _, j := range jobs {
		if !j.visibleTo(c.view.clearance) {
			continue
		}
		out = append(out, j.status(c.view.clearance))
	}
	writeJSON(w, http.StatusOK, map[string]any{"hunts": out})
}

// visibleJob returns the job named in the path if the token may see it.
func (a *API) visibleJob(w http.ResponseWriter, r *http.Request, c *call) *huntJob {
	j := a.hunts.get(r.PathValue("id"))
	if j == nil || !j.visibleTo(c.view.clearance) {
		writeError(w, http.StatusNotFound, "Not Found", "no hunt "+r.PathValue("id"))
		return nil
	}
	return j
}

func (a *API) getHunt(w http.ResponseWriter, r *http.Request, c *call) {
	if j := a.visibleJob(w, r, c); j != nil {
		writeJSON(w, http.StatusOK, j.status(c.view.clearance))
	}
}

func (a *API) cancelHunt(w http.ResponseWriter, r *http.Request, c *call) {
	if j := a.visibleJob(w, r, c); j != nil {
		j.cancel()
		writeJSON(w, http.StatusOK, j.status(c.view.clearance))
	}
}

func (a *API) huntResults(w http.ResponseWriter, r *http.Request, c *call) {
	j := a.visibleJob(w, r, c)
	if j == nil {
		return
	}
	limit, err := limitParam(r)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	start := 0
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		n, aerr := strconv.Atoi(string(b))
		if err != nil || aerr != nil || n < 0 {
			badRequest(w, "cursor: not one this API made")
			return
		}
		start = n
	}
	j.mu.Lock()
	hits := j.hits
	state := j.state
	j.mu.Unlock()
	b := []byte(`{"state":"` + state + `","hits":[`)
	n, next := 0, ""
	for i := start; i < len(hits); i++ {
		if hits[i].tlp > c.view.clearance {
			continue
		}
		if n == limit {
			next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(i)))
			break
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, hits[i].json...)
		n++
	}
	b = append(b, ']')
	if next != "" {
		b = append(b, `,"next":"`+next+`"`...)
	}
	writeRaw(w, http.StatusOK, append(b, "}\n"...))
}
