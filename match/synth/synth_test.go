package synth_test

import (
	"reflect"
	"testing"

	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/match/synth"
)

func TestDeterministic(t *testing.T) {
	m := synth.Million.Scale(1000)
	if a, b := synth.Indicators(m, 7), synth.Indicators(m, 7); !reflect.DeepEqual(a, b) {
		t.Error("same seed, different indicators")
	}
	inds := synth.Indicators(m, 7)
	if a, b := synth.Events(inds, 500, 0.1, 3), synth.Events(inds, 500, 0.1, 3); !reflect.DeepEqual(a, b) {
		t.Error("same seed, different events")
	}
}

func TestMixCountsAndValidity(t *testing.T) {
	m := synth.Million.Scale(100)
	inds := synth.Indicators(m, 1)
	want := m.IPv4 + m.IPv6 + m.CIDRs + m.Domains + m.MD5 + m.SHA1 + m.SHA256 + m.URLs + m.Others
	if len(inds) != want {
		t.Fatalf("%d indicators, want %d", len(inds), want)
	}
	// Every generated value must be one the matcher accepts.
	if _, rej := match.Build(inds, nil); len(rej) > 0 {
		t.Fatalf("%d rejected, first %v", len(rej), rej[0])
	}
}

// TestHitRate checks the property the benchmarks rely on: benign events
// hit nothing (without CIDR blocks, which benign addresses may fall in),
// and planted ones always hit.
func TestHitRate(t *testing.T) {
	m := synth.Mix{IPv4: 500, IPv6: 100, Domains: 1000, MD5: 100, SHA1: 100, SHA256: 100, URLs: 100}
	inds := synth.Indicators(m, 1)
	s, _ := match.Build(inds, nil)
	count := func(rate float64) (hit int) {
		evs := synth.Events(inds, 5000, rate, 2)
		for i := range evs {
			if len(s.MatchAppend(nil, &evs[i])) > 0 {
				hit++
			}
		}
		return hit
	}
	if n := count(0); n != 0 {
		t.Errorf("%d benign events hit", n)
	}
	if n := count(1); n != 5000 {
		t.Errorf("%d of 5000 planted events hit", n)
	}
}
