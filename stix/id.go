package stix

import (
	"crypto/rand"
	"crypto/sha1"
	"fmt"
)

// NewID returns a fresh random (version 4) identifier of type typ.
func NewID(typ string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("stix: no randomness: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return typ + "--" + formatUUID(b)
}

// namespace is the STIX 2.1 namespace for deterministic SCO identifiers
// (section 2.9); umbra also uses it for its own deterministic SDO ids.
var namespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// DeterministicID returns a version 5 identifier of type typ derived from
// name, so that importing the same thing twice yields the same id. For SCOs,
// name should be the canonical JSON of the id-contributing properties.
func DeterministicID(typ, name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(name))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return typ + "--" + formatUUID(b)
}

func formatUUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
