package report

import (
	"context"
	"sort"
	"time"

	"github.com/umbra-cti/umbra/attribution"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Observed is what our own telemetry says: every match of intel (the
// sightings incidents are made of) and the inbound sessions in which
// opsec slips hide.
type Observed struct {
	// Alerts are the matches, one per (event, matched value), oldest first.
	Alerts   []Alert
	Sessions []attribution.Session
	// Resolutions are DNS answers that linked a matched name to an address.
	Resolutions []Resolution
}

// Alert is one match of intel in a stored event.
type Alert struct {
	Time         time.Time
	Host         string // the internal address or cloud account involved
	Type         string // indicator type
	Value        string // the indicator value that matched
	IndicatorIDs []string
}

// Resolution says that name resolved to addr in our DNS traffic.
type Resolution struct{ Name, Addr string }

// Observe scans the network memory (between from and to; zero means
// open) with snap and collects what a report needs from our telemetry.
// It reads the history once; hosts are the
// event's source address, or the account for a cloud sign-in, as the
// demo and the attribution engine name them.
func Observe(ctx context.Context, mem *memory.Store, snap *match.Snapshot, from, to time.Time) (*Observed, error) {
	o := &Observed{}
	var hits []match.Hit
	res := map[Resolution]bool{}
	_, err := mem.Scan(ctx, memory.Filter{From: from, To: to, Workers: 1}, func(ev *event.Event) error {
		switch {
		case ev.Kind == event.KindSignIn && ev.SrcIP.IsValid() && ev.User != "":
			o.Sessions = append(o.Sessions, attribution.Session{Src: ev.SrcIP, Dst: ev.User, Time: ev.Time})
		case ev.Kind == event.KindConn && ev.SrcIP.IsValid() && !ev.SrcIP.IsPrivate() && ev.DstIP.IsPrivate():
			o.Sessions = append(o.Sessions, attribution.Session{Src: ev.SrcIP, Dst: ev.DstIP.String(), Time: ev.Time})
		}
		hits = snap.MatchAppend(hits[:0], ev)
		if len(hits) == 0 {
			return nil
		}
		host := ev.OurSide()
		for _, h := range hits {
			a := snap.Alert(ev, h)
			o.Alerts = append(o.Alerts, Alert{Time: a.Time, Host: host, Type: a.IndicatorType, Value: a.Matched, IndicatorIDs: a.IndicatorIDs})
			if ev.Kind == event.KindDNS && a.Where == "dns.query" {
				for _, ans := range ev.Answers {
					res[Resolution{Name: a.Matched, Addr: ans.Unmap().String()}] = true
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for r := range res {
		o.Resolutions = append(o.Resolutions, r)
	}
	sort.Slice(o.Resolutions, func(i, j int) bool {
		if o.Resolutions[i].Name != o.Resolutions[j].Name {
			return o.Resolutions[i].Name < o.Resolutions[j].Name
		}
		return o.Resolutions[i].Addr < o.Resolutions[j].Addr
	})
	sort.SliceStable(o.Alerts, func(i, j int) bool { return o.Alerts[i].Time.Before(o.Alerts[j].Time) })
	return o, nil
}
