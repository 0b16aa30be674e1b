// Package knowledge is umbra's knowledge graph: STIX objects with their
// provenance, actors and the names each source gives them, umbrellas that
// group intrusion sets, and the store that keeps all of it.
//
// The graph never merges actors. A name is a claim made by a source
// ("Microsoft calls this group BARIUM since 2016"); an actor view collects
// the claims about one canonical name, and where two sources attach the
// same name to different actors, the view reports a conflict instead of
// choosing silently.
package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"unicode"

	"github.com/umbra-cti/umbra/stix"
)

// ErrNotFound is returned when an object or actor does not exist.
var ErrNotFound = errors.New("not found")

// NormName folds an actor name for comparison: case, spacing and
// punctuation are ignored, so "Deputy Dog", "deputydog" and "DEPUTY-DOG"
// are the same name.
func NormName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// ValueKey is the correlation-index key of a normalised indicator or
// observable value: the first 8 bytes of its SHA-256. Distinct values that
// collide only cost a wasted candidate, which lookups filter out.
func ValueKey(value string) int64 {
	sum := sha256.Sum256([]byte(value))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// ConfidenceWords maps a STIX confidence (0-100) to the STIX 2.1
// None/Low/Med/High scale.
func ConfidenceWords(c int) string {
	switch {
	case c <= 0:
		return "none"
	case c < 30:
		return "low"
	case c < 70:
		return "medium"
	default:
		return "high"
	}
}

// Claim kinds.
const (
	ClaimName       = "name"        // the canonical name of the object
	ClaimAlias      = "alias"       // an alias the source gives the object
	ClaimExternalID = "external-id" // an identifier such as ATT&CK G0044
)

// NameClaim is one source's statement that a name designates an actor object.
type NameClaim struct {
	Name       string `json:"name"`
	Norm       string `json:"-"`
	ObjectID   string `json:"object_id"`
	ObjectName string `json:"object_name"`
	Kind       string `json:"kind"`
	Source     string `json:"source"`
	Since      string `json:"since,omitempty"` // when the source started using the name (YYYY or a date)
	Until      string `json:"until,omitempty"` // when the source stopped, for claims it has withdrawn
	Note       string `json:"note,omitempty"`
}

// Relation is an edge of the graph, read from a STIX relationship.
type Relation struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"` // relationship_type, or x_umbra_relation when present (member-of)
	SourceRef   string   `json:"source_ref"`
	TargetRef   string   `json:"target_ref"`
	Confidence  int      `json:"confidence"`
	Description string   `json:"description,omitempty"`
	Sources     []string `json:"sources"`
}

// Relation kinds umbra gives meaning to beyond the STIX vocabulary.
const (
	RelMemberOf = "member-of" // an intrusion set is a member of an umbrella
	RelSighted  = "sighted"   // a sighting (source) of an indicator or object (target)
)

// ImportInfo describes one import for provenance.
type ImportInfo struct {
	Source string   // who published the data ("misp-galaxy", "401trg", ...)
	Path   string   // file or URL it came from
	TLP    stix.TLP // default marking for objects that carry none
	// Progress, when set, is called with the number of objects processed.
	Progress func(n int)
}

// ImportSummary counts what one import did.
type ImportSummary struct {
	Objects    int // objects read
	New        int // objects the store did not have
	Updated    int // newer versions of objects it had
	Unchanged  int // versions it already had
	Historical int // older versions kept in the history only
}

// Stats summarises the store.
type Stats struct {
	Objects  int            `json:"objects"`
	Versions int            `json:"versions"`
	ByType   map[string]int `json:"by_type"`
	Sources  map[string]int `json:"sources"`
	Names    int            `json:"names"`
	Imports  int            `json:"imports"`
}

// Store keeps the knowledge graph. The embedded implementation is
// knowledge/sqlite; a PostgreSQL one serves several nodes.
type Store interface {
	// Import runs fn inside one transaction; every object fn puts is stored
	// with info's provenance. If fn or the store fails, nothing is stored.
	Import(ctx context.Context, info ImportInfo, fn func(put func(stix.Object) error) error) (ImportSummary, error)
	// Object returns the current version of an object.
	Object(ctx context.Context, id string) (stix.Object, error)
	// Versions returns every stored version of an object, oldest first.
	Versions(ctx context.Context, id string) ([]stix.Object, error)
	// Each calls fn with the current version of every object of the given
	// types (all types when none are given), in id order.
	Each(ctx context.Context, types []string, fn func(stix.Object) error) error
	// Sources lists who published an object.
	Sources(ctx context.Context, id string) ([]string, error)
	// ClaimsByName returns every claim on a normalised name.
	ClaimsByName(ctx context.Context, norm string) ([]NameClaim, error)
	// ClaimsOf returns every claim about one object.
	ClaimsOf(ctx context.Context, id string) ([]NameClaim, error)
	// Relations returns the relationships that start or end at id.
	Relations(ctx context.Context, id string) ([]Relation, error)
	// Stats summarises the store.
	Stats(ctx context.Context) (Stats, error)
	Close() error
}
