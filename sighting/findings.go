package sighting

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/detect/codesign"
	"github.com/umbra-cti/umbra/detect/lookalike"
	"github.com/umbra-cti/umbra/detect/signin"
	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Lookalike turns a look-alike find into a Finding on the observed name,
// labelled with the fuzzer class, brand, edit distance and score. host is
// the client that used the name. It reports false for a name that does not
// normalise to a domain indicator.
func Lookalike(f lookalike.Find, t time.Time, sensor, where, host string) (Finding, bool) {
	v, err := indicator.Normalize(indicator.Domain, f.Domain)
	if err != nil {
		return Finding{}, false
	}
	labels := []string{"lookalike-domain", "fuzzer:" + string(f.Fuzzer), "brand:" + f.Brand,
		"distance:" + strconv.Itoa(f.Distance), "score:" + strconv.Itoa(f.Score)}
	if f.IDN {
		labels = append(labels, "idn")
	}
	return Finding{Detector: DetectorLookalike, Type: indicator.Domain, Value: v, Time: t, Sensor: sensor, Where: where,
		Host: host, Labels: labels, Confidence: f.Score, Description: f.Explain()}, true
}

// AddLookalikeAlerts records the look-alike alerts det raised for ev (see
// lookalike.Detector.Alerts); the client address is the host. Names that
// are not domain indicators are skipped.
func (d *Detections) AddLookalikeAlerts(det *lookalike.Detector, ev *event.Event, alerts []match.Alert) {
	host := ""
	for i := range alerts {
		a := &alerts[i]
		if a.IndicatorType != lookalike.AlertType {
			continue
		}
		f, ok := det.Check(a.Indicator) // remembered: Alerts just checked it
		if !ok {
			continue
		}
		// Formatted here, not for every event: ingest calls this for each
		// one, nearly all without an alert (it was 2% of an ingest's CPU).
		if host == "" && ev.SrcIP.IsValid() {
			host = ev.SrcIP.Unmap().String()
		}
		if fd, ok := Lookalike(f, a.Time, a.Sensor, a.Where, host); ok {
			d.Add(fd)
		}
	}
}

// SignIn turns a suspicious sign-in into a Finding on its source address,
// the account as host. An intel-ip finding sights the intel indicators it
// matched; the others mint an indicator of the address, and one from an
// operator netblock whose owner the store knows indicates that actor.
func SignIn(f signin.Finding) (Finding, bool) {
	if !f.SrcIP.IsValid() {
		return Finding{}, false
	}
	ip := f.SrcIP.Unmap()
	t := indicator.IPv4
	if ip.Is6() {
		t = indicator.IPv6
	}
	labels := []string{"signin", "rule:" + string(f.Kind), "confidence:" + strconv.Itoa(f.Confidence)}
	if f.App != "" {
		labels = append(labels, "app:"+f.App)
	}
	if f.Result != "" {
		labels = append(labels, "result:"+f.Result)
	}
	if f.Actor != "" {
		labels = append(labels, "actor:"+f.Actor)
	}
	out := Finding{Detector: DetectorSignIn, Type: t, Value: ip.String(), Time: f.Time, Sensor: f.Sensor, Where: "signin.src_ip",
		Host: f.User, Labels: labels, Confidence: f.Confidence,
		Description: fmt.Sprintf("sign-in as %s from %s: %s", f.User, ip, strings.Join(f.Evidence, "; "))}
	switch f.Kind {
	case signin.KindIntelIP:
		out.Of = f.IndicatorIDs
	case signin.KindOperatorNetblock:
		out.Actor, out.ActorConfidence = f.ActorID, f.Confidence
		out.IndicatorTypes = []string{"attribution", "malicious-activity"}
	case signin.KindImpossibleTravel:
		out.IndicatorTypes = []string{"anomalous-activity"}
	default:
		out.IndicatorTypes = []string{"compromised", "malicious-activity"}
	}
	return out, true
}

// StolenCertConfidence is the confidence of a stolen-certificate finding:
// a signature by a certificate a report lists as stolen is strong
// evidence, whatever else the file is.
const StolenCertConfidence = 90

// CodeSign turns the stolen-certificate matches of a scanned file into
// Findings, one per listed certificate value: the serial or thumbprint as
// the value, the file as host, t the time the file was seen (its
// modification time when nothing better is known). A match whose
// reference names intel indicators sights them; otherwise the certificate
// becomes an indicator of its own.
func CodeSign(r codesign.Result, t time.Time, sensor string) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, sg := range r.Signers {
		for _, sc := range sg.Stolen {
			var typ indicator.Type
			switch sc.Kind {
			case codesign.MatchSerial:
				typ = indicator.CertSerial
			case codesign.MatchSHA1:
				typ = indicator.CertSHA1
			case codesign.MatchSHA256:
				typ = indicator.CertSHA256
			default:
				continue
			}
			v, err := indicator.Normalize(typ, sc.Value)
			if err != nil || seen[typ.String()+v] {
				continue
			}
			seen[typ.String()+v] = true
			f := Finding{Detector: DetectorCodeSign, Type: typ, Value: v, Time: t, Sensor: sensor, Where: "pe.signer",
				Host: r.Path, Confidence: StolenCertConfidence,
				Labels:         []string{"stolen-certificate", "subject:" + sg.Subject, "listed-by:" + sc.Source},
				IndicatorTypes: []string{"malicious-activity", "attribution"},
				Description: fmt.Sprintf("%s is signed by %s (serial %s), whose %s %s %s lists as stolen",
					r.Path, sg.Subject, sg.Serial, sc.Kind, sc.Value, sc.Source)}
			if ids := indicatorIDs(sc.Reference); len(ids) > 0 {
				f.Of = ids
			}
			out = append(out, f)
		}
	}
	return out
}

// indicatorIDs reads a reference that is a comma-separated list of STIX
// indicator ids, as umbra pe scan fills it from the knowledge store.
func indicatorIDs(ref string) []string {
	if ref == "" {
		return nil
	}
	ids := strings.Split(ref, ",")
	for i, id := range ids {
		ids[i] = strings.TrimSpace(id)
		if !strings.HasPrefix(ids[i], "indicator--") {
			return nil
		}
	}
	return ids
}
