package demo

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/detect/lookalike"
	"github.com/umbra-cti/umbra/hunt"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/knowledge/sqlite"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/sighting"
	"github.com/umbra-cti/umbra/sighting/alertlog"
	"github.com/umbra-cti/umbra/simulate"
	"github.com/umbra-cti/umbra/stix"
	"github.com/umbra-cti/umbra/telemetry/event"

	// Decoders register their formats with telemetry/source.
	_ "github.com/umbra-cti/umbra/telemetry/eve"
	_ "github.com/umbra-cti/umbra/telemetry/pcap"
	_ "github.com/umbra-cti/umbra/telemetry/signin"
	_ "github.com/umbra-cti/umbra/telemetry/zeek"
)

// MatchResult is what matching the scenario found.
type MatchResult struct {
	Events         int64
	IntelAlerts    int
	Lookalikes     int
	Sightings      int
	ByActor        map[string]int
	ByWhere        map[string]int
	ByIndicator    map[string]int
	LookalikeNames map[string]int
	// AlertUIDs are the records (Zeek uid, sign-in id) that raised any alert.
	AlertUIDs map[string]bool
	// Sightings of intel, for incidents, and inbound sessions and sign-ins
	// from outside, for opsec slips.
	Seen     []attribution.Sighting
	Sessions []attribution.Session
}

// Ingest stores the telemetry under paths in the network memory while
// matching it against the store's active intel and the default look-alike
// brands plus the organisation's own domain, and records sightings.
func Ingest(ctx context.Context, st *sqlite.Store, mem *memory.Store, paths []string, ownDomain string) (*MatchResult, error) {
	inds, err := intel.ActiveIndicators(ctx, st, st, intel.Selection{TLPMax: stix.TLPRed})
	if err != nil {
		return nil, err
	}
	snap, _ := match.Build(inds, nil)
	var brands []string
	var allow []string
	if ownDomain != "" {
		brands = append(brands, ownDomain)
		allow = append(allow, ownDomain)
	}
	looks, err := lookalike.New(brands, lookalike.Options{Allow: allow})
	if err != nil {
		return nil, err
	}
	r := &MatchResult{ByActor: map[string]int{}, ByWhere: map[string]int{}, ByIndicator: map[string]int{},
		LookalikeNames: map[string]int{}, AlertUIDs: map[string]bool{}}
	rec := sighting.NewRecorder()
	var alerts []alertlog.Record
	rs, err := hunt.Ingest(ctx, mem, snap, paths, hunt.IngestOptions{Warn: os.Stderr,
		OnEvent: func(ev *event.Event) error {
			switch {
			case ev.Kind == event.KindSignIn && ev.SrcIP.IsValid() && ev.User != "":
				r.Sessions = append(r.Sessions, attribution.Session{Src: ev.SrcIP, Dst: ev.User, Time: ev.Time})
			case ev.Kind == event.KindConn && ev.SrcIP.IsValid() && !ev.SrcIP.IsPrivate() && ev.DstIP.IsPrivate():
				r.Sessions = append(r.Sessions, attribution.Session{Src: ev.SrcIP, Dst: ev.DstIP.String(), Time: ev.Time})
			}
			for _, a := range looks.Alerts(ev) {
				r.Lookalikes++
				alerts = append(alerts, alertlog.Record{Alert: a})
				r.LookalikeNames[a.Indicator]++
				r.AlertUIDs[a.UID] = true
			}
			return nil
		},
		OnHit: func(ev *event.Event, h match.Hit) error {
			a := snap.Alert(ev, h)
			r.IntelAlerts++
			alerts = append(alerts, alertlog.Record{Alert: a})
			r.ByWhere[a.Where]++
			r.ByIndicator[a.Matched]++
			r.AlertUIDs[a.UID] = true
			if len(a.Actors) == 0 {
				r.ByActor["(unattributed)"]++
			}
			for _, ac := range a.Actors {
				r.ByActor[ac.Name]++
			}
			rec.Add(a.IndicatorIDs, a.Sensor, a.Where, a.Host, a.Time)
			// Records without an address (x509, files) have no host:
			// they join an incident by value only.
			host := a.Host
			r.Seen = append(r.Seen, attribution.Sighting{Value: a.Matched, Type: h.Type, Time: a.Time, Host: host})
			return nil
		}})
	if err != nil {
		return nil, err
	}
	r.Events = rs.Events
	if err := recordAlerts(ctx, st, mem, alerts); err != nil {
		return nil, err
	}
	objs, err := rec.Objects()
	if err != nil {
		return nil, err
	}
	r.Sightings = len(objs)
	_, err = st.Import(ctx, knowledge.ImportInfo{Source: sighting.Source, Path: strings.Join(paths, " ")}, func(put func(stix.Object) error) error {
		for _, o := range objs {
			if err := put(o); err != nil {
				return err
			}
		}
		return nil
	})
	return r, err
}

// ScoreResult compares alerts with the scenario's ground truth, record by
// record (x509 truth lines are keyed by certificate, not record, and are
// left out).
type ScoreResult struct {
	Truth, TruePositives, FalsePositives int
	Precision, Recall                    float64
	MissedByKind                         map[string]int
}

// Score reads truth.jsonl and scores m against it.
func Score(truthPath string, m *MatchResult) (ScoreResult, error) {
	s := ScoreResult{MissedByKind: map[string]int{}}
	f, err := os.Open(truthPath)
	if err != nil {
		return s, err
	}
	defer f.Close()
	truth := map[string]string{}
	bad, err := simulate.ReadTruth(f, truthPath, func(t simulate.Truth) error {
		if t.Log != "x509" {
			truth[t.UID] = t.Kind
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	if len(bad) > 0 {
		return s, fmt.Errorf("%s: %v", truthPath, bad[0])
	}
	s.Truth = len(truth)
	for uid := range m.AlertUIDs {
		if _, ok := truth[uid]; ok {
			s.TruePositives++
		} else {
			s.FalsePositives++
		}
	}
	for uid, kind := range truth {
		if !m.AlertUIDs[uid] {
			s.MissedByKind[kind]++
		}
	}
	if n := s.TruePositives + s.FalsePositives; n > 0 {
		s.Precision = float64(s.TruePositives) / float64(n)
	}
	if s.Truth > 0 {
		s.Recall = float64(s.TruePositives) / float64(s.Truth)
	}
	return s, nil
}
