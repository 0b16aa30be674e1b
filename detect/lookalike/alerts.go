package lookalike

import (
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// AlertType is the indicator_type of look-alike alerts.
const AlertType = "lookalike-domain"

// Alerts raises an alert for every name in the event that imitates a
// watched brand — in DNS queries, SNI, HTTP Host and certificate names —
// whether or not any feed lists it yet. The alert's "matched" is the brand
// and its source explains the find.
func (d *Detector) Alerts(ev *event.Event) []match.Alert {
	var out []match.Alert
	check := func(where, name string) {
		if name == "" {
			return
		}
		for _, a := range out {
			if a.Indicator == name {
				return // one alert per name per event
			}
		}
		f, ok := d.Check(name)
		if !ok {
			return
		}
		out = append(out, match.Alert{Time: ev.Time, UID: ev.UID, Sensor: ev.Sensor, Where: where,
			Indicator: name, IndicatorType: AlertType, Matched: f.Brand,
			IndicatorIDs: []string{}, Sources: []string{"umbra-lookalike: " + f.Explain()}, Actors: []indicator.Actor{}})
	}
	switch ev.Kind {
	case event.KindDNS:
		check("dns.query", ev.Domain)
	case event.KindTLS:
		check("tls.sni", ev.SNI)
	case event.KindHTTP:
		check("http.host", ev.Host)
	case event.KindX509:
		for _, n := range ev.CertNames {
			check("x509.san", n)
		}
	}
	return out
}
