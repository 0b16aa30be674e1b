//go:build !amd64 || purego

package zeek

// chunkIndexes sets out[k] = base+i for the k-th i with b[i] == c, for
// len(b) <= 1024 and len(out) >= len(b), and returns the count and whether
// b holds a backslash.
func chunkIndexes(b []byte, c byte, out []int, base int) (int, bool) {
	return chunkIndexesWords(b, c, out, base)
}

// ipv4Bits returns the dotted quad in b as a big-endian uint32.
func ipv4Bits(b []byte) (uint32, bool) { return ipv4BitsGo(b) }
