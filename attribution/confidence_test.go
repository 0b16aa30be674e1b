package attribution

import (
	"net/netip"
	"testing"
	"time"
)

// stixWords is the STIX 2.1 "None / Low / Med / High" scale (Appendix A,
// Confidence Scales), as umbra words it: 0 is None, 1-29 Low, 30-69
// Medium, 70-100 High.
func stixWords(c int) string {
	switch {
	case c == 0:
		return "none"
	case c <= 29:
		return "low"
	case c <= 69:
		return "medium"
	}
	return "high"
}

// Every confidence a run states — candidates and opsec-slip leads — is on
// the STIX 0-100 scale and worded by the STIX 2.1 None/Low/Med/High scale.
func TestConfidenceFollowsSTIXScale(t *testing.T) {
	in := fixtureInput()
	in.Netblocks = []Netblock{{Prefix: netip.MustParsePrefix("221.216.0.0/13"), Actor: "intrusion-set--a", ActorName: "Actor A", Source: "test"}}
	res := Run(in, nil, Options{})
	n := 0
	for _, a := range res.Attributions {
		for _, c := range a.Candidates {
			n++
			if c.Confidence < 0 || c.Confidence > 100 || c.ConfidenceWords != stixWords(c.Confidence) {
				t.Errorf("%s -> %s: %d %q, want %q", a.Subject.Name, c.Actor, c.Confidence, c.ConfidenceWords, stixWords(c.Confidence))
			}
		}
	}
	leads := Slips(in, []Session{{Src: netip.MustParseAddr("221.218.1.1"), Dst: "victim", Time: time.Unix(0, 0)}}, nil)
	for _, l := range leads {
		n++
		if l.Confidence < 0 || l.Confidence > 100 || l.ConfidenceWords != stixWords(l.Confidence) {
			t.Errorf("lead %d %q", l.Confidence, l.ConfidenceWords)
		}
	}
	if n < 2 {
		t.Fatalf("only %d confidences to check", n)
	}
}
