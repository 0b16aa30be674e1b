package pattern

import (
	"testing"
)

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Parse(fuzzSeeds[i%10]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchMatch(b *testing.B, pattern string, obs []Observation, want bool) {
	p, err := Parse(pattern)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := p.Match(obs)
		if err != nil || got != want {
			b.Fatalf("Match = %v, %v", got, err)
		}
	}
}

// A typical indicator: one comparison, following a reference.
func BenchmarkMatchSimple(b *testing.B) {
	benchMatch(b, "[network-traffic:dst_ref.value ISSUBSET '221.216.0.0/13']", loadFixture(b, "bundle.json"), true)
}

func BenchmarkMatchSequence(b *testing.B) {
	benchMatch(b, "([ipv4-addr:value = '221.216.5.9'] FOLLOWEDBY [file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']) WITHIN 300 SECONDS",
		loadFixture(b, "bundle.json"), true)
}

// The reference suite's worst case: ten disjoint FOLLOWEDBY pairs among
// twenty observations.
func BenchmarkMatchRepeatedPairs(b *testing.B) {
	benchMatch(b, "([person:age < 20] FOLLOWEDBY [person:age > 5]) REPEATS 10 TIMES", combinatorialObservations(), true)
}

// An exhaustive no-match: every 10-combination of 20 observations fails
// WITHIN.
func BenchmarkMatchRepeatsNoMatch(b *testing.B) {
	benchMatch(b, "[person:age < 20] REPEATS 10 TIMES WITHIN 8 SECONDS", combinatorialObservations(), false)
}
