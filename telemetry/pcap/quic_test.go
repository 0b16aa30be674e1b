package pcap

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/pcap/synth"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 9001 Appendix A: the client's Initial for DCID 8394c8f03e515708.
const (
	rfcDCID   = "8394c8f03e515708"
	rfcHeader = "c300000001088394c8f03e5157080000449e00000002" // unprotected, packet number 2
	// The CRYPTO frame holding the ClientHello (SNI example.com, ALPN
	// "alpn"); 917 bytes of PADDING follow it.
	rfcFrames = `060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868
04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578
616d706c652e636f6dff01000100000a00080006001d00170018001000070005
04616c706e000500050100000000003300260024001d00209370b2c9caa47fba
baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400
0d0010000e0403050306030203080408050806002d00020101001c0002400100
3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000
75300901100f088394c8f03e51570806048000ffff`
	// The first 38 bytes of the protected packet the RFC prints.
	rfcProtectedPrefix = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9b"
)

func TestQUICInitialKeysRFC9001(t *testing.T) {
	initial, err := hkdf.Extract(sha256.New, unhex(t, rfcDCID), quicV1Salt)
	if err != nil {
		t.Fatal(err)
	}
	client, _ := expandLabel(initial, "client in", 32)
	key, _ := expandLabel(client, "quic key", 16)
	iv, _ := expandLabel(client, "quic iv", 12)
	hp, _ := expandLabel(client, "quic hp", 16)
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"initial_secret", initial, "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"},
		{"client_initial_secret", client, "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"},
		{"key", key, "1f369613dd76d5467730efcbe3b1a22d"},
		{"iv", iv, "fa044b2f42a3fd3b46fb255c"},
		{"hp", hp, "9f50449e04a0e810283a1e9933adedd2"},
	} {
		if hex.EncodeToString(c.got) != c.want {
			t.Errorf("%s = %x, want %s", c.name, c.got, c.want)
		}
	}
}

// sealInitial protects a client Initial as a QUIC stack would: header is
// the unprotected header ending in a pnLen-byte packet number, frames the
// plaintext, padded to fill the header's length field.
func sealInitial(t testing.TB, dcid, header, frames []byte) []byte {
	t.Helper()
	k, err := quicClientKeys(dcid)
	if err != nil {
		t.Fatal(err)
	}
	pnLen := int(header[0]&3) + 1
	pnOffset := len(header) - pnLen
	var pn uint64
	for _, c := range header[pnOffset:] {
		pn = pn<<8 | uint64(c)
	}
	nonce := k.iv
	for i := range 8 {
		nonce[11-i] ^= byte(pn >> (8 * i))
	}
	// The length field (2-byte varint before the packet number) covers the
	// packet number, the payload and the 16-byte tag.
	length := int(binary.BigEndian.Uint16(header[pnOffset-2:]) & 0x3fff)
	plain := make([]byte, length-pnLen-16)
	copy(plain, frames)
	out := k.aead.Seal(append([]byte(nil), header...), nonce[:], plain, header)
	var mask [16]byte
	k.hp.Encrypt(mask[:], out[pnOffset+4:pnOffset+20])
	out[0] ^= mask[0] & 0x0f
	for i := range pnLen {
		out[pnOffset+i] ^= mask[1+i]
	}
	return out
}

func TestQUICInitialRFC9001Packet(t *testing.T) {
	pkt := sealInitial(t, unhex(t, rfcDCID), unhex(t, rfcHeader), unhex(t, rfcFrames))
	// Sealing the RFC's plaintext must give the RFC's protected bytes: this
	// checks the nonce, the AEAD and the header protection, which
	// openQUICInitial undoes with the same keys.
	if got := hex.EncodeToString(pkt[:38]); got != rfcProtectedPrefix || len(pkt) != 1200 {
		t.Fatalf("protected packet starts %s (%d bytes), want %s (1200)", got, len(pkt), rfcProtectedPrefix)
	}
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		return w.UDP(client4, server4, 50443, 443, pkt)
	})
	evs, st := decode(t, data)
	if len(evs) != 1 || st.SkippedTotal() != 0 {
		t.Fatalf("events %+v problems %v", evs, st.Problems)
	}
	e := evs[0]
	ciphers := sha256.Sum256([]byte("1301,1302")) // the hello offers TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384
	if e.Kind != event.KindTLS || e.Proto != 17 || e.SNI != "example.com" || strings.Join(e.ALPN, ",") != "alpn" ||
		!strings.HasPrefix(e.JA4, "q13d0211an_"+hex.EncodeToString(ciphers[:])[:12]+"_") {
		t.Fatalf("event %+v", e)
	}
}

func TestQUICClientHelloAcrossPackets(t *testing.T) {
	// A ClientHello larger than one Initial (as with post-quantum key
	// shares) in two CRYPTO frames, the second datagram captured first.
	dcid := unhex(t, "0011223344556677")
	rec := synth.ClientHello(synth.HelloSpec{SNI: "h3.example", ALPN: []string{"h3"}, TLS13: true, GREASE: true})
	msg := rec[5:]
	half := len(msg) / 2
	frame := func(off int, data []byte) []byte {
		f := []byte{0x06, 0x40 | byte(off>>8), byte(off), 0x40 | byte(len(data)>>8), byte(len(data))}
		return append(f, data...)
	}
	header := func(pn byte) []byte {
		h := []byte{0xc0, 0, 0, 0, 1, byte(len(dcid))}
		h = append(h, dcid...)
		h = append(h, 0, 0)                                // no SCID, no token
		h = append(h, 0x40|byte(1182>>8), byte(1182&0xff)) // length: 1182 makes a 1200-byte datagram
		return append(h, pn)
	}
	second := sealInitial(t, dcid, header(1), frame(half, msg[half:]))
	first := sealInitial(t, dcid, header(0), append([]byte{0x01}, frame(0, msg[:half])...)) // PING, CRYPTO
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		if err := w.UDP(client6, server6, 50444, 443, second); err != nil {
			return err
		}
		return w.UDP(client6, server6, 50444, 443, first)
	})
	evs, st := decode(t, data)
	if len(evs) != 1 || evs[0].SNI != "h3.example" || !strings.HasPrefix(evs[0].JA4, "q13d") || st.SkippedTotal() != 0 {
		t.Fatalf("events %+v problems %v", evs, st.Problems)
	}
}

func TestQUICGarbageInitial(t *testing.T) {
	junk := make([]byte, 1300)
	for i := range junk {
		junk[i] = byte(i * 13)
	}
	copy(junk, []byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x44, 0x9e})
	data := capture(t, synth.Ethernet, func(w *synth.Writer) error {
		return w.UDP(client4, server4, 50445, 443, junk)
	})
	evs, _ := decode(t, data)
	if len(evs) != 0 {
		t.Fatalf("events from junk: %+v", evs)
	}
}
