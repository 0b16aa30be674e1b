package pcap

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/tlshello"
)

// QUIC v1 (RFC 9000/9001) hides the ClientHello in Initial packets whose
// keys anyone can derive from the destination connection ID in the clear:
// decrypting them is how a passive sensor sees the SNI and the JA4 "q"
// fingerprint of HTTP/3 traffic.

// quicV1Salt is the initial_salt of RFC 9001 section 5.2.
var quicV1Salt = []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a}

// Limits of QUIC tracking.
const (
	maxQUICConns       = 4096     // connections whose ClientHello is being gathered
	maxQUICCryptoBytes = 64 << 10 // CRYPTO stream bytes held per connection
	minQUICInitial     = 1200     // RFC 9000 14.1: client Initial datagrams are padded to this
)

// quicKeys protects one direction's Initial packets.
type quicKeys struct {
	aead cipher.AEAD
	iv   [12]byte
	hp   cipher.Block
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context.
func expandLabel(secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = append(info, byte(n>>8), byte(n), byte(len(full)))
	info = append(info, full...)
	info = append(info, 0)
	return hkdf.Expand(sha256.New, secret, string(info), n)
}

// quicClientKeys derives the client's Initial keys from the DCID of its
// first Initial packet.
func quicClientKeys(dcid []byte) (*quicKeys, error) {
	initial, err := hkdf.Extract(sha256.New, dcid, quicV1Salt)
	if err != nil {
		return nil, err
	}
	secret, err := expandLabel(initial, "client in", 32)
	if err != nil {
		return nil, err
	}
	key, err := expandLabel(secret, "quic key", 16)
	if err != nil {
		return nil, err
	}
	iv, err := expandLabel(secret, "quic iv", 12)
	if err != nil {
		return nil, err
	}
	hp, err := expandLabel(secret, "quic hp", 16)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &quicKeys{aead: aead}
	copy(k.iv[:], iv)
	if k.hp, err = aes.NewCipher(hp); err != nil {
		return nil, err
	}
	return k, nil
}

// quicVarint reads a QUIC variable-length integer.
func quicVarint(b []byte) (v uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, false
	}
	v = uint64(b[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, n, true
}

// isQUICInitial is the cheap test run on every UDP datagram: a v1 long
// header of type Initial in a datagram padded as clients must pad it.
func isQUICInitial(b []byte) bool {
	return len(b) >= minQUICInitial && b[0]&0xf0 == 0xc0 && binary.BigEndian.Uint32(b[1:5]) == 1
}

// quicInitial is the parsed long header of an Initial packet.
type quicInitial struct {
	dcid      []byte
	pnOffset  int // where the (protected) packet number starts
	end       int // end of this packet within the datagram
	remainder []byte
}

func parseQUICInitial(b []byte) (quicInitial, error) {
	var q quicInitial
	if len(b) < 7 || b[0]&0xf0 != 0xc0 || binary.BigEndian.Uint32(b[1:5]) != 1 {
		return q, errors.New("not a QUIC v1 Initial packet")
	}
	off := 5
	dl := int(b[off])
	off++
	if dl > 20 || len(b) < off+dl+1 {
		return q, fmt.Errorf("destination connection ID length %d", dl)
	}
	q.dcid = b[off : off+dl]
	off += dl
	sl := int(b[off])
	off++
	if sl > 20 || len(b) < off+sl {
		return q, fmt.Errorf("source connection ID length %d", sl)
	}
	off += sl
	tokenLen, n, ok := quicVarint(b[off:])
	if !ok || uint64(len(b)-off-n) < tokenLen {
		return q, errors.New("token length runs past the datagram")
	}
	off += n + int(tokenLen)
	length, n, ok := quicVarint(b[off:])
	if !ok || uint64(len(b)-off-n) < length {
		return q, errors.New("packet length runs past the datagram")
	}
	off += n
	q.pnOffset = off
	q.end = off + int(length)
	if int(length) < 4+16 {
		return q, fmt.Errorf("packet length %d too short for header protection", length)
	}
	q.remainder = b[q.end:]
	return q, nil
}

// openQUICInitial removes header protection and decrypts one Initial
// packet, appending the plaintext frames to dst.
func openQUICInitial(k *quicKeys, b []byte, q quicInitial, dst []byte) ([]byte, error) {
	sample := b[q.pnOffset+4 : q.pnOffset+20]
	var mask [16]byte
	k.hp.Encrypt(mask[:], sample)
	var hdr [96]byte
	if q.pnOffset+4 > len(hdr) {
		return dst, errors.New("header too long")
	}
	h := hdr[:q.pnOffset]
	copy(h, b[:q.pnOffset])
	h[0] ^= mask[0] & 0x0f
	pnLen := int(h[0]&0x03) + 1
	var pn uint64
	for i := range pnLen {
		c := b[q.pnOffset+i] ^ mask[1+i]
		h = append(h, c)
		pn = pn<<8 | uint64(c)
	}
	nonce := k.iv
	for i := range 8 {
		nonce[11-i] ^= byte(pn >> (8 * i))
	}
	return k.aead.Open(dst, nonce[:], b[q.pnOffset+pnLen:q.end], h)
}

// quicConn gathers one connection's CRYPTO stream until the ClientHello is
// whole.
type quicConn struct {
	keys  *quicKeys
	have  []byte // contiguous CRYPTO bytes from offset 0
	frags []segment
	done  bool
}

// handleQUIC looks for a ClientHello in a client's Initial packets.
func (rd *Reader) handleQUIC(b []byte, src, dst netip.Addr, sp, dp uint16) {
	// Keyed by direction: the server's Initials (other keys) get their own
	// entry, which never decrypts, instead of spoiling the client's.
	key := flowKey{a: src.As16(), b: dst.As16(), pa: sp, pb: dp}
	c := rd.quic[key]
	if c != nil && c.done {
		return
	}
	for len(b) > 0 && b[0]&0xf0 == 0xc0 { // coalesced packets: Initials come first
		q, err := parseQUICInitial(b)
		if err != nil {
			if c != nil || len(b) >= minQUICInitial {
				rd.skip(ReasonTLS, "QUIC %s:%d: %v", src, sp, err)
			}
			return
		}
		if c == nil {
			keys, err := quicClientKeys(q.dcid)
			if err != nil {
				rd.skip(ReasonTLS, "QUIC %s:%d: keys: %v", src, sp, err)
				return
			}
			if rd.quic == nil || len(rd.quic) >= maxQUICConns {
				rd.quic = make(map[flowKey]*quicConn)
			}
			c = &quicConn{keys: keys}
			rd.quic[key] = c
		}
		plain, err := openQUICInitial(c.keys, b, q, rd.quicBuf[:0])
		rd.quicBuf = plain[:0]
		if err != nil {
			// A server's Initial on the same tuple, or not QUIC after all.
			return
		}
		if err := c.addFrames(plain); err != nil {
			rd.skip(ReasonTLS, "QUIC %s:%d: %v", src, sp, err)
			c.done = true
			return
		}
		if rd.quicHello(c, src, dst, sp, dp) {
			return
		}
		b = q.remainder
	}
}

// addFrames takes the CRYPTO frames of a decrypted Initial payload.
func (c *quicConn) addFrames(p []byte) error {
	for len(p) > 0 {
		typ, n, ok := quicVarint(p)
		if !ok {
			return errors.New("truncated frame type")
		}
		p = p[n:]
		switch typ {
		case 0x00, 0x01: // PADDING, PING
		case 0x02, 0x03: // ACK
			fields := 4
			for i := 0; i < fields; i++ {
				v, n, ok := quicVarint(p)
				if !ok {
					return errors.New("truncated ACK frame")
				}
				p = p[n:]
				if i == 2 { // ACK range count: a gap and a length each
					if v > 256 {
						return fmt.Errorf("ACK frame with %d ranges", v)
					}
					fields += 2 * int(v)
				}
			}
			if typ == 0x03 {
				for range 3 {
					if _, n, ok = quicVarint(p); !ok {
						return errors.New("truncated ACK ECN counts")
					}
					p = p[n:]
				}
			}
		case 0x06: // CRYPTO
			off, n, ok := quicVarint(p)
			if !ok {
				return errors.New("truncated CRYPTO offset")
			}
			p = p[n:]
			length, n, ok := quicVarint(p)
			if !ok || uint64(len(p)-n) < length {
				return errors.New("CRYPTO frame runs past the packet")
			}
			p = p[n:]
			if off+length > maxQUICCryptoBytes {
				return fmt.Errorf("CRYPTO data at offset %d beyond %d bytes", off, maxQUICCryptoBytes)
			}
			if len(c.frags) >= maxPendingSegs {
				return errors.New("too many CRYPTO fragments")
			}
			c.frags = append(c.frags, segment{seq: uint32(off), data: append([]byte(nil), p[:length]...)})
			p = p[length:]
		case 0x1c, 0x1d: // CONNECTION_CLOSE
			return nil
		default:
			return fmt.Errorf("frame type 0x%x in an Initial packet", typ)
		}
	}
	// Join fragments that now continue the contiguous prefix.
	for progress := true; progress; {
		progress = false
		for i := 0; i < len(c.frags); i++ {
			f := c.frags[i]
			if int(f.seq) > len(c.have) {
				continue
			}
			if end := int(f.seq) + len(f.data); end > len(c.have) {
				c.have = append(c.have, f.data[len(c.have)-int(f.seq):]...)
			}
			c.frags = append(c.frags[:i], c.frags[i+1:]...)
			i--
			progress = true
		}
	}
	return nil
}

// quicHello emits the TLS event once the ClientHello is whole.
func (rd *Reader) quicHello(c *quicConn, src, dst netip.Addr, sp, dp uint16) bool {
	typ, body, _, err := tlshello.ReadHandshake(c.have, maxQUICCryptoBytes)
	if errors.Is(err, tlshello.ErrIncomplete) {
		return false
	}
	c.done = true
	c.have, c.frags = nil, nil
	if err == nil && typ != tlshello.TypeClientHello {
		err = fmt.Errorf("first handshake message has type %d", typ)
	}
	if err == nil {
		err = tlshello.ParseClientHello(body, &rd.hello)
	}
	if err != nil {
		rd.skip(ReasonTLS, "QUIC %s:%d: %v", src, sp, err)
		return true
	}
	e := rd.emit(event.KindTLS)
	e.Proto = 17
	e.SrcIP, e.DstIP, e.SrcPort, e.DstPort = src, dst, sp, dp
	e.CommunityID = rd.cids.get(rd.seed, src, dst, sp, dp, 17)
	e.SNI = rd.hello.ServerName
	e.ALPN = append(e.ALPN, rd.hello.ALPN...)
	e.JA3, e.JA4 = rd.fingerprints.Fingerprints(&rd.hello, tlshello.TransportQUIC)
	return true
}
