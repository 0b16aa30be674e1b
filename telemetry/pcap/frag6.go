package pcap

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// IPv6 reassembly limits: a datagram is at most 64 KiB, and a capture full
// of never-completed fragments must not grow the table without bound.
const (
	maxFrag6Datagrams = 4096
	maxFrag6Pieces    = 64
	maxFrag6Bytes     = 65535
)

type frag6Key struct {
	src, dst netip.Addr
	id       uint32
}

type frag6Piece struct {
	off  int
	data []byte
}

type frag6Datagram struct {
	pieces   []frag6Piece
	total    int // length of the datagram, known from the last fragment; -1 before
	lastSeen time.Time
}

// frag6Table reassembles IPv6 fragments (RFC 8200 section 4.5). Overlapping
// fragments are an error, as the RFC requires receivers to treat them.
type frag6Table struct {
	m map[frag6Key]*frag6Datagram
}

// add stores one fragment and returns the whole datagram's payload once
// every byte has arrived.
func (t *frag6Table) add(src, dst netip.Addr, id uint32, off int, more bool, data []byte, ts time.Time) ([]byte, error) {
	if t.m == nil {
		t.m = make(map[frag6Key]*frag6Datagram)
	}
	if more && len(data)%8 != 0 {
		return nil, fmt.Errorf("non-final fragment of %d bytes is not a multiple of 8", len(data))
	}
	end := off + len(data)
	if end > maxFrag6Bytes {
		return nil, fmt.Errorf("fragment ends at %d, past the 65535-byte limit", end)
	}
	k := frag6Key{src, dst, id}
	dg := t.m[k]
	if dg == nil {
		if len(t.m) >= maxFrag6Datagrams {
			return nil, errors.New("too many datagrams being reassembled")
		}
		dg = &frag6Datagram{total: -1}
		t.m[k] = dg
	}
	dg.lastSeen = ts
	if !more {
		if dg.total >= 0 && dg.total != end {
			delete(t.m, k)
			return nil, errors.New("two final fragments disagree on the length")
		}
		dg.total = end
	}
	for _, p := range dg.pieces {
		if off < p.off+len(p.data) && p.off < end {
			delete(t.m, k)
			return nil, fmt.Errorf("fragment [%d,%d) overlaps [%d,%d)", off, end, p.off, p.off+len(p.data))
		}
	}
	if dg.total >= 0 && end > dg.total {
		delete(t.m, k)
		return nil, errors.New("fragment beyond the final fragment")
	}
	if len(dg.pieces) >= maxFrag6Pieces {
		delete(t.m, k)
		return nil, fmt.Errorf("more than %d fragments", maxFrag6Pieces)
	}
	dg.pieces = append(dg.pieces, frag6Piece{off, append([]byte(nil), data...)})
	if dg.total < 0 {
		return nil, nil
	}
	have := 0
	for _, p := range dg.pieces {
		have += len(p.data)
	}
	if have != dg.total {
		return nil, nil
	}
	whole := make([]byte, dg.total)
	for _, p := range dg.pieces {
		copy(whole[p.off:], p.data)
	}
	delete(t.m, k)
	return whole, nil
}

// discardOlderThan forgets datagrams idle since before cutoff (all when
// cutoff is zero).
func (t *frag6Table) discardOlderThan(cutoff time.Time) {
	for k, dg := range t.m {
		if cutoff.IsZero() || dg.lastSeen.Before(cutoff) {
			delete(t.m, k)
		}
	}
}
