// Package tlshello parses the clear-text parts of a TLS handshake that
// identify the two ends of a connection — ClientHello, ServerHello and the
// TLS 1.2 Certificate message — and computes the JA3, JA3S and JA4
// fingerprints from them.
//
// It works on bytes already taken off the wire (a reassembled TCP stream):
// ReadRecord splits TLS records, ReadHandshake splits handshake messages,
// and the Parse functions decode one message body. Nothing here allocates
// per call except the strings it returns (server name, ALPN, fingerprints),
// and the slices of a reused ClientHello keep their capacity.
package tlshello

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// TLS record content types.
const (
	RecordChangeCipherSpec = 20
	RecordAlert            = 21
	RecordHandshake        = 22
	RecordApplicationData  = 23
)

// Handshake message types this package decodes.
const (
	TypeClientHello = 1
	TypeServerHello = 2
	TypeCertificate = 11
)

// Extension numbers that carry fingerprint material.
const (
	extServerName          = 0x0000
	extSupportedGroups     = 0x000a
	extECPointFormats      = 0x000b
	extSignatureAlgorithms = 0x000d
	extALPN                = 0x0010
	extSupportedVersions   = 0x002b
)

// MaxRecordBytes is the largest record length RFC 8446 allows on the wire
// (2^14 plus expansion); longer length fields are garbage, not TLS.
const MaxRecordBytes = 1<<14 + 2048

// ErrIncomplete says the input ends inside a record or message: feed more
// bytes of the stream and try again.
var ErrIncomplete = errors.New("tls: incomplete")

// ReadRecord splits the first TLS record off b. It returns ErrIncomplete when
// b holds only part of it, and an error when the header is not TLS.
func ReadRecord(b []byte) (typ uint8, version uint16, payload []byte, n int, err error) {
	if len(b) < 5 {
		return 0, 0, nil, 0, ErrIncomplete
	}
	typ = b[0]
	version = uint16(b[1])<<8 | uint16(b[2])
	length := int(b[3])<<8 | int(b[4])
	if typ < RecordChangeCipherSpec || typ > RecordApplicationData+1 {
		return 0, 0, nil, 0, fmt.Errorf("tls record: content type %d is not TLS", typ)
	}
	if b[1] != 3 && version != 0xfeff && version != 0xfefd {
		return 0, 0, nil, 0, fmt.Errorf("tls record: version 0x%04x is not TLS", version)
	}
	if length > MaxRecordBytes {
		return 0, 0, nil, 0, fmt.Errorf("tls record: length %d exceeds %d", length, MaxRecordBytes)
	}
	if len(b) < 5+length {
		return typ, version, nil, 0, ErrIncomplete
	}
	return typ, version, b[5 : 5+length], 5 + length, nil
}

// ReadHandshake splits the first handshake message off b, a concatenation of
// handshake record payloads. maxBytes bounds the message length a caller is
// willing to buffer; longer messages are an error.
func ReadHandshake(b []byte, maxBytes int) (typ uint8, body []byte, n int, err error) {
	if len(b) < 4 {
		return 0, nil, 0, ErrIncomplete
	}
	typ = b[0]
	length := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if length > maxBytes {
		return typ, nil, 0, fmt.Errorf("tls handshake type %d: length %d exceeds %d", typ, length, maxBytes)
	}
	if len(b) < 4+length {
		return typ, nil, 0, ErrIncomplete
	}
	return typ, b[4 : 4+length], 4 + length, nil
}

// IsGREASE reports whether v is one of the RFC 8701 GREASE values
// (0x0a0a, 0x1a1a, ... 0xfafa) that clients add at random and that every
// fingerprint must ignore.
func IsGREASE(v uint16) bool {
	return v&0x0f0f == 0x0a0a && v>>8 == v&0xff
}

// ClientHello is the fingerprint-relevant content of a ClientHello. A value
// can be reused: Parse truncates its slices and refills them.
type ClientHello struct {
	Version             uint16   // legacy_version field
	CipherSuites        []uint16 // in wire order, GREASE included
	Extensions          []uint16 // in wire order, GREASE included
	SupportedVersions   []uint16 // from supported_versions
	SupportedGroups     []uint16 // elliptic curves / groups
	PointFormats        []uint8
	SignatureAlgorithms []uint16
	ServerName          string // first host_name of server_name
	HasServerName       bool   // the server_name extension is present
	ALPN                []string
}

// ParseClientHello decodes the body of a ClientHello handshake message (the
// bytes after the 4-byte handshake header) into h. Malformed framing is an
// error; a malformed extension body is skipped so that the cipher and
// extension lists, which JA3 and JA4 need most, survive.
func ParseClientHello(body []byte, h *ClientHello) error {
	h.reset()
	s := cryptobyte.String(body)
	var random, sessionID, ciphers, compression cryptobyte.String
	if !s.ReadUint16(&h.Version) || !s.ReadBytes((*[]byte)(&random), 32) ||
		!s.ReadUint8LengthPrefixed(&sessionID) || !s.ReadUint16LengthPrefixed(&ciphers) {
		return errors.New("client hello: truncated before cipher suites")
	}
	if len(ciphers)%2 != 0 {
		return fmt.Errorf("client hello: odd cipher suite length %d", len(ciphers))
	}
	for !ciphers.Empty() {
		var c uint16
		ciphers.ReadUint16(&c)
		h.CipherSuites = append(h.CipherSuites, c)
	}
	if !s.ReadUint8LengthPrefixed(&compression) {
		return errors.New("client hello: truncated compression methods")
	}
	if s.Empty() {
		return nil // no extensions: SSL 3.0 style hello
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) {
		return errors.New("client hello: extensions length runs past the message")
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return fmt.Errorf("client hello: extension %d truncated", len(h.Extensions))
		}
		h.Extensions = append(h.Extensions, typ)
		h.parseExtension(typ, data)
	}
	return nil
}

func (h *ClientHello) reset() {
	*h = ClientHello{
		CipherSuites:        h.CipherSuites[:0],
		Extensions:          h.Extensions[:0],
		SupportedVersions:   h.SupportedVersions[:0],
		SupportedGroups:     h.SupportedGroups[:0],
		PointFormats:        h.PointFormats[:0],
		SignatureAlgorithms: h.SignatureAlgorithms[:0],
		ALPN:                h.ALPN[:0],
	}
}

func (h *ClientHello) parseExtension(typ uint16, data cryptobyte.String) {
	switch typ {
	case extServerName:
		h.HasServerName = true
		var list cryptobyte.String
		if !data.ReadUint16LengthPrefixed(&list) {
			return
		}
		for !list.Empty() {
			var kind uint8
			var name cryptobyte.String
			if !list.ReadUint8(&kind) || !list.ReadUint16LengthPrefixed(&name) {
				return
			}
			if kind == 0 && h.ServerName == "" {
				h.ServerName = string(name)
			}
		}
	case extSupportedGroups:
		h.SupportedGroups = readUint16List16(data, h.SupportedGroups)
	case extSignatureAlgorithms:
		h.SignatureAlgorithms = readUint16List16(data, h.SignatureAlgorithms)
	case extECPointFormats:
		var list cryptobyte.String
		if data.ReadUint8LengthPrefixed(&list) {
			h.PointFormats = append(h.PointFormats, list...)
		}
	case extSupportedVersions:
		var list cryptobyte.String
		if !data.ReadUint8LengthPrefixed(&list) {
			return
		}
		for len(list) >= 2 {
			var v uint16
			list.ReadUint16(&v)
			h.SupportedVersions = append(h.SupportedVersions, v)
		}
	case extALPN:
		var list cryptobyte.String
		if !data.ReadUint16LengthPrefixed(&list) {
			return
		}
		for !list.Empty() {
			var proto cryptobyte.String
			if !list.ReadUint8LengthPrefixed(&proto) {
				return
			}
			h.ALPN = append(h.ALPN, string(proto))
		}
	}
}

func readUint16List16(data cryptobyte.String, dst []uint16) []uint16 {
	var list cryptobyte.String
	if !data.ReadUint16LengthPrefixed(&list) {
		return dst
	}
	for len(list) >= 2 {
		var v uint16
		list.ReadUint16(&v)
		dst = append(dst, v)
	}
	return dst
}

// ServerHello is the fingerprint-relevant content of a ServerHello.
type ServerHello struct {
	Version          uint16   // legacy_version field
	CipherSuite      uint16   // the chosen suite
	Extensions       []uint16 // in wire order
	SupportedVersion uint16   // selected version from supported_versions, 0 if absent
	ALPN             string   // the selected protocol
}

// ParseServerHello decodes the body of a ServerHello handshake message into s.
func ParseServerHello(body []byte, sh *ServerHello) error {
	*sh = ServerHello{Extensions: sh.Extensions[:0]}
	s := cryptobyte.String(body)
	var random, sessionID cryptobyte.String
	var compression uint8
	if !s.ReadUint16(&sh.Version) || !s.ReadBytes((*[]byte)(&random), 32) ||
		!s.ReadUint8LengthPrefixed(&sessionID) || !s.ReadUint16(&sh.CipherSuite) || !s.ReadUint8(&compression) {
		return errors.New("server hello: truncated before extensions")
	}
	if s.Empty() {
		return nil
	}
	var exts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&exts) {
		return errors.New("server hello: extensions length runs past the message")
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return fmt.Errorf("server hello: extension %d truncated", len(sh.Extensions))
		}
		sh.Extensions = append(sh.Extensions, typ)
		switch typ {
		case extSupportedVersions:
			data.ReadUint16(&sh.SupportedVersion)
		case extALPN:
			var list, proto cryptobyte.String
			if data.ReadUint16LengthPrefixed(&list) && list.ReadUint8LengthPrefixed(&proto) {
				sh.ALPN = string(proto)
			}
		}
	}
	return nil
}

// Certificates appends to dst the DER certificates of a TLS 1.0-1.2
// Certificate message body, leaf first. The slices point into body.
func Certificates(body []byte, dst [][]byte) ([][]byte, error) {
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) {
		return dst, errors.New("certificate: list length runs past the message")
	}
	for !list.Empty() {
		var der cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) {
			return dst, fmt.Errorf("certificate %d: length runs past the list", len(dst))
		}
		dst = append(dst, der)
	}
	return dst, nil
}
