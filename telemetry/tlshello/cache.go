package tlshello

import (
	"encoding/binary"
	"hash/maphash"
)

// FingerprintCache remembers the JA3 and JA4 of recent ClientHellos. A
// network's clients send the same few hellos over and over (one TLS
// library, one configuration), and hashing them anew — a decimal JA3
// string and MD5, sorted hex lists and two SHA-256 for JA4 — was about a
// twelfth of decoding a typical capture. The key is every field the two
// fingerprints read, compared in full on a hit, so a cached answer is
// always the computed one; hellos that differ per connection (Chrome's
// shuffled extensions, GREASE values) only miss.
//
// The zero value is not usable; use NewFingerprintCache. A cache is not
// safe for concurrent use.
type FingerprintCache struct {
	seed  maphash.Seed
	key   []byte
	slots [256]fingerprintSlot
}

type fingerprintSlot struct {
	key      []byte
	ja3, ja4 string
}

// NewFingerprintCache returns an empty cache.
func NewFingerprintCache() *FingerprintCache {
	return &FingerprintCache{seed: maphash.MakeSeed()}
}

// Fingerprints returns h.JA3Hash() and h.JA4(transport).
func (c *FingerprintCache) Fingerprints(h *ClientHello, transport byte) (ja3, ja4 string) {
	k := append(c.key[:0], transport)
	k = binary.BigEndian.AppendUint16(k, h.Version)
	if h.HasServerName {
		k = append(k, 1)
	} else {
		k = append(k, 0)
	}
	for _, list := range [...][]uint16{h.CipherSuites, h.Extensions, h.SupportedVersions, h.SupportedGroups, h.SignatureAlgorithms} {
		k = binary.BigEndian.AppendUint32(k, uint32(len(list)))
		for _, v := range list {
			k = binary.BigEndian.AppendUint16(k, v)
		}
	}
	k = binary.BigEndian.AppendUint32(k, uint32(len(h.PointFormats)))
	k = append(k, h.PointFormats...)
	k = binary.BigEndian.AppendUint32(k, uint32(len(h.ALPN)))
	for _, p := range h.ALPN {
		k = binary.BigEndian.AppendUint32(k, uint32(len(p)))
		k = append(k, p...)
	}
	c.key = k
	s := &c.slots[maphash.Bytes(c.seed, k)%uint64(len(c.slots))]
	if s.key != nil && string(s.key) == string(k) {
		return s.ja3, s.ja4
	}
	ja3, ja4 = h.JA3Hash(), h.JA4(transport)
	s.key = append(s.key[:0], k...)
	s.ja3, s.ja4 = ja3, ja4
	return ja3, ja4
}
