//go:build !purego

package zeek

// eqMasks16 sets masks[i/64] bit i%64 exactly where b[i] == c, for
// len(b) a multiple of 16, writing the words masks[0] to
// masks[len(b)/64] (the last partly, or zero). SSE2, which every amd64
// has: one compare and one move-mask per 16 bytes.
//
//go:noescape
func eqMasks16(b []byte, c byte, masks []uint64)
