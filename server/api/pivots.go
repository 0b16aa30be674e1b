package api

import (
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/memory"
)

// Pivots run over our own telemetry, which carries no TLP marking: they
// answer "what did our hosts do", and name no intel object.

func (a *API) pivotRange(w http.ResponseWriter, r *http.Request) (hunt.Range, bool) {
	now := a.d.Now()
	since, err := timeParam(r, "since", now)
	if err != nil {
		badRequest(w, err.Error())
		return hunt.Range{}, false
	}
	until, err := timeParam(r, "until", now)
	if err != nil {
		badRequest(w, err.Error())
		return hunt.Range{}, false
	}
	return hunt.Range{Since: since, Until: until}, true
}

// withMemory runs fn on the shared network memory and maps its errors.
func (a *API) withMemory(w http.ResponseWriter, r *http.Request, fn func(mem *memory.Store) (any, error)) {
	mem, release, err := a.mem.acquire()
	if err != nil {
		a.memoryError(w, r, err)
		return
	}
	v, err := fn(mem)
	release()
	switch {
	case errors.Is(err, hunt.ErrBadValue):
		badRequest(w, err.Error())
	case err != nil:
		a.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

func required(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		badRequest(w, name+": required")
	}
	return v, v != ""
}

func (a *API) talkedTo(w http.ResponseWriter, r *http.Request, c *call) {
	value, ok := required(w, r, "value")
	if !ok {
		return
	}
	rg, ok := a.pivotRange(w, r)
	if !ok {
		return
	}
	a.withMemory(w, r, func(mem *memory.Store) (any, error) {
		cs, err := hunt.TalkedTo(r.Context(), mem, value, rg)
		if cs == nil {
			cs = []hunt.Contact{}
		}
		return map[string]any{"value": value, "contacts": cs}, err
	})
}

func (a *API) resolvedTo(w http.ResponseWriter, r *http.Request, c *call) {
	s, ok := required(w, r, "ip")
	if !ok {
		return
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		badRequest(w, "ip: not an IP address")
		return
	}
	rg, ok := a.pivotRange(w, r)
	if !ok {
		return
	}
	a.withMemory(w, r, func(mem *memory.Store) (any, error) {
		res, err := hunt.ResolvedTo(r.Context(), mem, ip, rg)
		if res == nil {
			res = []hunt.Resolution{}
		}
		return map[string]any{"ip": ip.String(), "resolutions": res}, err
	})
}

func (a *API) seen(w http.ResponseWriter, r *http.Request, c *call) {
	value, ok := required(w, r, "value")
	if !ok {
		return
	}
	a.withMemory(w, r, func(mem *memory.Store) (any, error) {
		return hunt.Seen(r.Context(), mem, value)
	})
}

// maxAround bounds the activity GET /api/pivots/around lists.
const maxAround = 1000

func (a *API) around(w http.ResponseWriter, r *http.Request, c *call) {
	s, ok := required(w, r, "host")
	if !ok {
		return
	}
	host, err := netip.ParseAddr(s)
	if err != nil {
		badRequest(w, "host: not an IP address")
		return
	}
	atS, ok := required(w, r, "at")
	if !ok {
		return
	}
	at, err := parseTimeOrAge(atS, a.d.Now(), "at")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	window := time.Hour
	if ws := r.URL.Query().Get("window"); ws != "" {
		if window, err = memory.ParseAge(ws); err != nil || window <= 0 || window > 30*24*time.Hour {
			badRequest(w, "window: want a duration such as 1h or 30m, at most 30d")
			return
		}
	}
	limit := maxAround
	if ls := r.URL.Query().Get("limit"); ls != "" {
		if n, err := strconv.Atoi(ls); err != nil || n < 1 {
			badRequest(w, "limit: want a positive integer")
			return
		} else {
			limit = min(n, maxAround)
		}
	}
	a.withMemory(w, r, func(mem *memory.Store) (any, error) {
		act, err := hunt.Around(r.Context(), mem, host, at, window, limit)
		if act == nil {
			act = []hunt.Activity{}
		}
		return map[string]any{"host": host.String(), "at": at, "window_seconds": int64(window / time.Second), "activity": act}, err
	})
}
