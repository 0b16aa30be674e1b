package intel

import (
	"math"
	"time"
)

// DefaultHalfLife is how long an indicator keeps half its score without
// being published again or sighted: infrastructure is rented and dropped,
// and a year-old C2 address is more likely someone else's server today.
const DefaultHalfLife = 180 * 24 * time.Hour

// DecayScore is confidence halved every halfLife since last, the latest of
// the indicator's publication and its sightings. A sighting resets the
// clock. Confidence 0 (unknown) starts from 50.
func DecayScore(confidence int, last, now time.Time, halfLife time.Duration) int {
	if confidence <= 0 {
		confidence = 50
	}
	if halfLife <= 0 || !now.After(last) {
		return min(confidence, 100)
	}
	age := now.Sub(last).Hours() / halfLife.Hours()
	return int(math.Round(float64(min(confidence, 100)) * math.Exp2(-age)))
}
