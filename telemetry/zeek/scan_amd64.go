//go:build !purego

package zeek

// chunkIndexes sets out[k] = base+i for the k-th i with b[i] == c, for
// len(b) <= 1024 and len(out) >= len(b), and returns the count and whether
// b holds a backslash. SSE2, which every amd64 has: per 16 bytes two
// compares (c and '\\'), one move-mask, and a short loop over the set
// bits; the last 1-15 bytes are one more 16-byte load that ends at the end
// of b, with the bits already seen shifted out.
//
//go:noescape
func chunkIndexes(b []byte, c byte, out []int, base int) (int, bool)

// ipv4Bits returns the dotted quad in b as a big-endian uint32: the loop
// of ipv4BitsGo with each part's three digits unrolled, ~7 instructions a
// byte.
//
//go:noescape
func ipv4Bits(b []byte) (uint32, bool)
