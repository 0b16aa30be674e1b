package attribution

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
)

// stateVersion changes when the meaning of a State's contents does, so
// that a state file from an older umbra is ignored rather than misread.
const stateVersion = 1

type stateJSON struct {
	Version    int               `json:"version"`
	Resolution float64           `json:"resolution"`
	Labels     map[string]string `json:"labels"`
	Edges      map[string]string `json:"edges"` // hex: JSON numbers lose 64-bit hashes
	// Check binds each node's label to its edges, so that a damaged file
	// is refused instead of silently reusing wrong communities.
	Check map[string]string `json:"check"`
}

func check(edges uint64, label string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], edges)
	h.Write(b[:])
	h.Write([]byte(label))
	return h.Sum64()
}

// MarshalJSON writes the state for the next run (a file in the data dir).
func (s *State) MarshalJSON() ([]byte, error) {
	j := stateJSON{Version: stateVersion, Resolution: s.resolution, Labels: s.labels,
		Edges: make(map[string]string, len(s.edges)), Check: make(map[string]string, len(s.edges))}
	for id, h := range s.edges {
		j.Edges[id] = strconv.FormatUint(h, 16)
		j.Check[id] = strconv.FormatUint(check(h, s.labels[id]), 16)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a state MarshalJSON wrote.
func (s *State) UnmarshalJSON(b []byte) error {
	var j stateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("attribution state: %w", err)
	}
	if j.Version != stateVersion {
		return fmt.Errorf("attribution state: version %d, want %d", j.Version, stateVersion)
	}
	s.resolution, s.labels, s.edges = j.Resolution, j.Labels, make(map[string]uint64, len(j.Edges))
	if s.labels == nil {
		s.labels = map[string]string{}
	}
	for id, h := range j.Edges {
		v, err := strconv.ParseUint(h, 16, 64)
		if err != nil {
			return fmt.Errorf("attribution state: edges of %s: bad hash %q", id, h)
		}
		c, err := strconv.ParseUint(j.Check[id], 16, 64)
		if err != nil || c != check(v, s.labels[id]) {
			return fmt.Errorf("attribution state: %s does not match its check value", id)
		}
		s.edges[id] = v
	}
	// A community is named by its smallest member, which names itself.
	for id, l := range s.labels {
		if s.labels[l] != l || l > id {
			return fmt.Errorf("attribution state: %s in community %q, which is not its smallest member", id, l)
		}
	}
	return nil
}
