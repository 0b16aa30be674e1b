package match

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// provTable stores, once per distinct indicator value, where the value came
// from (STIX ids, sources, actors) and the canonical value itself. The hot
// lookup maps hold only a uint32 reference into it, which keeps them small
// enough to stay cache friendly at a million indicators.
//
// A record is a run of uint32 words starting at its reference:
//
//	valueOff, valueLen, nIDs, nSources<<16 | nActors, ids..., sources..., actors...
//
// Reference 0 is never a record, so the maps can use 0 for "none".
type provTable struct {
	words    []uint32
	uuids    [][16]byte // "indicator--<uuid>" ids, the common case, in 16 bytes
	otherIDs []string   // every other id spelling, kept verbatim
	strs     []string   // interned source names
	actors   []indicator.Actor
	values   string // arena of canonical string values
}

const (
	otherIDBit = 1 << 31
	idPrefix   = "indicator--"
	maxCount   = 1<<16 - 1
)

// provBuilder interns sources and actors while records are added.
type provBuilder struct {
	t         provTable
	strIndex  map[string]uint32
	actIndex  map[indicator.Actor]uint32
	truncated int // records that had more than maxCount sources or actors
}

func newProvBuilder() *provBuilder {
	return &provBuilder{
		t:        provTable{words: []uint32{0}},
		strIndex: map[string]uint32{},
		actIndex: map[indicator.Actor]uint32{},
	}
}

// add appends one record for the merged provenance of group and returns its
// reference. valueOff/valueLen locate the canonical value in the arena
// (both 0 for values kept in fixed-size keys).
func (b *provBuilder) add(valueOff, valueLen uint32, ids, sources []string, actors []indicator.Actor) uint32 {
	ref := uint32(len(b.t.words))
	if len(sources) > maxCount || len(actors) > maxCount {
		b.truncated++
		sources = sources[:min(len(sources), maxCount)]
		actors = actors[:min(len(actors), maxCount)]
	}
	b.t.words = append(b.t.words, valueOff, valueLen, uint32(len(ids)), uint32(len(sources))<<16|uint32(len(actors)))
	for _, id := range ids {
		b.t.words = append(b.t.words, b.id(id))
	}
	for _, s := range sources {
		i, ok := b.strIndex[s]
		if !ok {
			i = uint32(len(b.t.strs))
			b.t.strs = append(b.t.strs, strings.Clone(s))
			b.strIndex[s] = i
		}
		b.t.words = append(b.t.words, i)
	}
	for _, a := range actors {
		i, ok := b.actIndex[a]
		if !ok {
			i = uint32(len(b.t.actors))
			a.Name = strings.Clone(a.Name)
			b.t.actors = append(b.t.actors, a)
			b.actIndex[a] = i
		}
		b.t.words = append(b.t.words, i)
	}
	return ref
}

func (b *provBuilder) id(id string) uint32 {
	if u, ok := parseIndicatorID(id); ok {
		b.t.uuids = append(b.t.uuids, u)
		return uint32(len(b.t.uuids) - 1)
	}
	b.t.otherIDs = append(b.t.otherIDs, strings.Clone(id))
	return uint32(len(b.t.otherIDs)-1) | otherIDBit
}

func (b *provBuilder) table() provTable {
	t := b.t
	t.words = slices.Clip(t.words)
	t.uuids = slices.Clip(t.uuids)
	return t
}

// parseIndicatorID recognises "indicator--" followed by a lowercase
// canonical UUID, the only spelling that round-trips through 16 bytes.
func parseIndicatorID(id string) (u [16]byte, ok bool) {
	if len(id) != len(idPrefix)+36 || id[:len(idPrefix)] != idPrefix {
		return u, false
	}
	s := id[len(idPrefix):]
	if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for i := 0; i < 36; i += 2 {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i--
			continue
		}
		hi, lo := unhexLower(s[i]), unhexLower(s[i+1])
		if hi > 15 || lo > 15 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
	}
	return u, true
}

// unhexLower decodes one lowercase hex digit; anything else gives 255.
func unhexLower(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 255
}

// appendID appends the id referenced by w to dst.
func (t *provTable) appendID(dst []byte, w uint32) []byte {
	if w&otherIDBit != 0 {
		return append(dst, t.otherIDs[w&^otherIDBit]...)
	}
	u := &t.uuids[w]
	dst = append(dst, idPrefix...)
	dst = hex.AppendEncode(dst, u[0:4])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[4:6])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[6:8])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, u[8:10])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, u[10:16])
}

// record returns the id, source and actor words of the record at ref.
func (t *provTable) record(ref uint32) (ids, sources, actors []uint32) {
	w := t.words[ref:]
	nIDs, nSrc, nAct := w[2], w[3]>>16, w[3]&maxCount
	w = w[4:]
	return w[:nIDs], w[nIDs : nIDs+nSrc], w[nIDs+nSrc : nIDs+nSrc+nAct]
}

// value returns the canonical string value of the record at ref, or "" for
// values kept as fixed-size keys.
func (t *provTable) value(ref uint32) string {
	off, n := t.words[ref], t.words[ref+1]
	return t.values[off : off+n]
}
