package hunt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/internal/atomicfile"
)

// StateFile remembers which indicator values the stored history has
// already been hunted for, so that a retro-hunt after new intel scans only
// for what is new.
const StateFile = "hunted.bin"

// Hunted is the set of indicator values a history has been hunted for.
type Hunted map[uint64]struct{}

func key(ind *indicator.Indicator) uint64 {
	h := fnv.New64a()
	h.Write([]byte(ind.Type.String()))
	h.Write([]byte{0})
	h.Write([]byte(ind.Value))
	return h.Sum64()
}

// LoadHunted reads the state from dataDir; a missing file is an empty set.
func LoadHunted(dataDir string) (Hunted, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Hunted{}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a list of 8-byte keys; delete it to hunt everything again", StateFile, len(b))
	}
	h := make(Hunted, len(b)/8)
	for i := 0; i < len(b); i += 8 {
		h[binary.LittleEndian.Uint64(b[i:])] = struct{}{}
	}
	return h, nil
}

// New returns the indicators the history has not been hunted for.
func (h Hunted) New(inds []indicator.Indicator) []indicator.Indicator {
	var out []indicator.Indicator
	for i := range inds {
		if _, ok := h[key(&inds[i])]; !ok {
			out = append(out, inds[i])
		}
	}
	return out
}

// Save records that the history has been hunted for inds (and everything
// it was hunted for before), atomically.
func (h Hunted) Save(dataDir string, inds []indicator.Indicator) error {
	for i := range inds {
		h[key(&inds[i])] = struct{}{}
	}
	keys := make([]uint64, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	b := make([]byte, 8*len(keys))
	for i, k := range keys {
		binary.LittleEndian.PutUint64(b[8*i:], k)
	}
	return atomicfile.Write(filepath.Join(dataDir, StateFile), b, 0o600)
}
