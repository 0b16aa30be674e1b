package memory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/klauspost/compress/zstd"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// A segment file is
//
//	magic(8) | data | stats | footer(40)
//
// data is one zstd frame holding the columns; stats is small and
// uncompressed so that Open reads only the footer and the stats of each
// segment. The footer is dataLen u64, rawLen u64, statsLen u64,
// crc32c(data) u32, crc32c(stats) u32 and the magic again, little-endian.
const (
	segMagic   = "UMBRSEG1"
	footerSize = 8 + 8 + 8 + 4 + 4 + 8
	// maxRawBytes bounds the decompressed size a segment may claim, so a
	// corrupt footer cannot make the decoder allocate without limit.
	maxRawBytes = 1 << 31
	nCols       = 13 + 2*len(strFields) + 3*len(listFields)
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a segment whose bytes are not a valid segment.
var errCorrupt = errors.New("corrupt segment")

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errCorrupt, fmt.Sprintf(format, args...))
}

// encode returns the bytes of a segment file holding b's events.
func (b *builder) encode(enc *zstd.Encoder, raw []byte) (file []byte, st segStats) {
	eb := encBuf{raw: raw}
	return b.encodeBuf(enc, &eb)
}

// encBuf is the scratch space of one encoding goroutine, kept from
// segment to segment: the uncompressed columns of a 1M-event segment are
// tens of megabytes, and growing them afresh for every segment cost more
// CPU in copying than building the dictionaries.
type encBuf struct {
	raw  []byte // the uncompressed columns
	tmp  []byte // one column being built (a dictionary, the times)
	file []byte // the segment file; valid until the next encodeBuf
}

// encodeBuf is encode with the buffers of eb. The returned file is
// eb.file: it is valid until eb is used again.
func (b *builder) encodeBuf(enc *zstd.Encoder, eb *encBuf) (file []byte, st segStats) {
	raw := eb.raw[:0]
	raw = binary.AppendUvarint(raw, uint64(b.n))
	raw = binary.AppendUvarint(raw, uint64(nCols))
	col := func(c []byte) {
		raw = binary.AppendUvarint(raw, uint64(len(c)))
		raw = append(raw, c...)
	}
	eb.tmp = b.encodeTimes(eb.tmp[:0])
	col(eb.tmp)
	col(b.kinds)
	col(b.protos)
	col(b.mask)
	eb.tmp = b.addrs.appendDict(eb.tmp[:0])
	col(eb.tmp)
	col(b.src)
	col(b.dst)
	col(b.ansN)
	col(b.ans)
	col(b.srcPort)
	col(b.dstPort)
	col(b.origBytes)
	col(b.respBytes)
	for i := range b.strs {
		eb.tmp = b.strs[i].appendDict(eb.tmp[:0])
		col(eb.tmp)
		col(b.strs[i].codes)
	}
	for i := range b.lists {
		col(b.listN[i])
		eb.tmp = b.lists[i].appendDict(eb.tmp[:0])
		col(eb.tmp)
		col(b.lists[i].codes)
	}
	eb.raw = raw

	st = b.stats()
	stats := st.appendBinary(nil)
	file = eb.file[:0]
	if want := len(raw)/2 + len(stats) + 64; cap(file) < want {
		file = make([]byte, 0, want)
	}
	file = append(file, segMagic...)
	file = enc.EncodeAll(raw, file)
	dataLen := len(file) - len(segMagic)
	dataCRC := crc32.Checksum(file[len(segMagic):], crcTable)
	file = append(file, stats...)
	file = binary.LittleEndian.AppendUint64(file, uint64(dataLen))
	file = binary.LittleEndian.AppendUint64(file, uint64(len(raw)))
	file = binary.LittleEndian.AppendUint64(file, uint64(len(stats)))
	file = binary.LittleEndian.AppendUint32(file, dataCRC)
	file = binary.LittleEndian.AppendUint32(file, crc32.Checksum(stats, crcTable))
	file = append(file, segMagic...)
	eb.file = file
	return file, st
}

// encodeTimes writes the time unit as a power of ten, then zigzag deltas in
// that unit: Zeek prints microseconds, so deltas shrink by 1000.
func (b *builder) encodeTimes(dst []byte) []byte {
	var or9, or6, or3 bool
	for _, t := range b.times {
		or9 = or9 || t%1e9 != 0
		or6 = or6 || t%1e6 != 0
		or3 = or3 || t%1e3 != 0
	}
	exp, unit := byte(9), int64(1e9)
	switch {
	case or3:
		exp, unit = 0, 1
	case or6:
		exp, unit = 3, 1e3
	case or9:
		exp, unit = 6, 1e6
	}
	dst = append(dst, exp)
	prev := int64(0)
	for _, t := range b.times {
		dst = binary.AppendVarint(dst, (t-prev)/unit)
		prev = t
	}
	return dst
}

// readFooter checks the magic numbers and lengths of a segment of size
// bytes whose last footerSize bytes are foot, and returns the offsets.
type footer struct {
	dataLen, rawLen, statsLen uint64
	dataCRC, statsCRC         uint32
}

func parseFooter(foot []byte, size int64) (footer, error) {
	var f footer
	if size < int64(len(segMagic)+footerSize) || len(foot) != footerSize {
		return f, corruptf("%d bytes: too short for a segment (truncated?)", size)
	}
	if string(foot[footerSize-8:]) != segMagic {
		return f, corruptf("no footer magic at byte %d (truncated or not a segment)", size-8)
	}
	f.dataLen = binary.LittleEndian.Uint64(foot[0:])
	f.rawLen = binary.LittleEndian.Uint64(foot[8:])
	f.statsLen = binary.LittleEndian.Uint64(foot[16:])
	f.dataCRC = binary.LittleEndian.Uint32(foot[24:])
	f.statsCRC = binary.LittleEndian.Uint32(foot[28:])
	body := uint64(size) - uint64(len(segMagic)+footerSize)
	if f.dataLen > body || f.statsLen > body || f.dataLen+f.statsLen != body {
		return f, corruptf("footer lengths data %d + stats %d do not add up to %d bytes", f.dataLen, f.statsLen, body)
	}
	if f.rawLen > maxRawBytes {
		return f, corruptf("footer claims %d decompressed bytes", f.rawLen)
	}
	return f, nil
}

// readStats parses and checks the stats region of a segment.
func readStats(stats []byte, f footer) (segStats, error) {
	if crc32.Checksum(stats, crcTable) != f.statsCRC {
		return segStats{}, corruptf("stats checksum mismatch")
	}
	return parseStats(stats)
}

// segment decodes the rows of one segment in order into a reused Event.
type segment struct {
	n, row int
	st     segStats

	unit  int64
	prevT int64
	times cursor

	kinds, protos []byte
	mask          cursor
	addrs         dictAddr
	src, dst      cursor
	ansN, ans     cursor
	srcPort       cursor
	dstPort       cursor
	origBytes     cursor
	respBytes     cursor
	strs          [len(strFields)]dictStr
	listN         [len(listFields)]cursor
	lists         [len(listFields)]dictStr
}

// decodeSegment checks and decompresses a whole segment file. raw is
// scratch space for the decompressed columns; the returned segment refers
// to it, so raw must not be reused before the segment is done.
//
// With view, the string dictionaries are views of raw instead of copies,
// for a scan that materialises few rows (a filtered one): the dictionary
// tests read the views in place, and the strings of a materialised row
// are copied one by one as they leave (see dictStr).
func decodeSegment(file []byte, dec *zstd.Decoder, raw []byte, view bool) (*segment, []byte, error) {
	if len(file) < len(segMagic)+footerSize {
		return nil, raw, corruptf("%d bytes: too short for a segment (truncated?)", len(file))
	}
	if string(file[:len(segMagic)]) != segMagic {
		return nil, raw, corruptf("no segment magic at byte 0")
	}
	f, err := parseFooter(file[len(file)-footerSize:], int64(len(file)))
	if err != nil {
		return nil, raw, err
	}
	data := file[len(segMagic) : len(segMagic)+int(f.dataLen)]
	stats := file[len(segMagic)+int(f.dataLen) : len(file)-footerSize]
	st, err := readStats(stats, f)
	if err != nil {
		return nil, raw, err
	}
	if crc32.Checksum(data, crcTable) != f.dataCRC {
		return nil, raw, corruptf("data checksum mismatch")
	}
	if cap(raw) < int(f.rawLen) {
		// A quarter more, so that the next segment, a little larger,
		// reuses the buffer instead of allocating tens of megabytes again.
		raw = make([]byte, 0, f.rawLen+f.rawLen/4)
	}
	raw, err = dec.DecodeAll(data, raw[:0])
	if err != nil {
		return nil, raw, corruptf("data: %v", err)
	}
	if uint64(len(raw)) != f.rawLen {
		return nil, raw, corruptf("data decompresses to %d bytes, footer says %d", len(raw), f.rawLen)
	}
	s, err := parseColumns(raw, view)
	if err != nil {
		return nil, raw, err
	}
	if uint64(s.n) != st.Events {
		return nil, raw, corruptf("%d rows but stats say %d", s.n, st.Events)
	}
	s.st = st
	return s, raw, nil
}

func parseColumns(raw []byte, view bool) (*segment, error) {
	c := cursor{b: raw, name: "header"}
	n, err := c.uvarint()
	if err != nil {
		return nil, err
	}
	cols, err := c.uvarint()
	if err != nil {
		return nil, err
	}
	if cols != uint64(nCols) {
		return nil, corruptf("%d columns, want %d", cols, nCols)
	}
	// Every row takes at least one byte in the kind column, which bounds n
	// by the data size before anything is allocated from it.
	if n > uint64(len(raw)) {
		return nil, corruptf("%d rows in %d bytes", n, len(raw))
	}
	next := func(name string) (cursor, error) {
		l, err := c.uvarint()
		if err != nil {
			return cursor{}, err
		}
		if l > uint64(len(c.b)) {
			return cursor{}, corruptf("column %s: %d bytes, %d left", name, l, len(c.b))
		}
		col := cursor{b: c.b[:l], name: name}
		c.b = c.b[l:]
		return col, nil
	}
	s := &segment{n: int(n)}
	var errs []error
	must := func(name string) cursor {
		col, err := next(name)
		errs = append(errs, err)
		return col
	}
	s.times = must("time")
	kinds, protos := must("kind"), must("proto")
	s.kinds, s.protos = kinds.b, protos.b
	s.mask = must("mask")
	addrDict := must("addr_dict")
	s.src, s.dst, s.ansN, s.ans = must("src_ip"), must("dst_ip"), must("answers_n"), must("answers")
	s.srcPort, s.dstPort = must("src_port"), must("dst_port")
	s.origBytes, s.respBytes = must("orig_bytes"), must("resp_bytes")
	var strDicts [len(strFields)]cursor
	for i := range strFields {
		strDicts[i] = must(strFields[i].name + "_dict")
		s.strs[i].codes = must(strFields[i].name)
	}
	var listDicts [len(listFields)]cursor
	for i := range listFields {
		s.listN[i] = must(listFields[i].name + "_n")
		listDicts[i] = must(listFields[i].name + "_dict")
		s.lists[i].codes = must(listFields[i].name)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(c.b) != 0 {
		return nil, corruptf("%d bytes after the last column", len(c.b))
	}
	if len(s.kinds) != s.n || len(s.protos) != s.n {
		return nil, corruptf("kind/proto columns hold %d/%d rows, want %d", len(s.kinds), len(s.protos), s.n)
	}
	if s.n > 0 {
		exp, err := s.times.byte1()
		if err != nil {
			return nil, err
		}
		switch exp {
		case 0:
			s.unit = 1
		case 3:
			s.unit = 1e3
		case 6:
			s.unit = 1e6
		case 9:
			s.unit = 1e9
		default:
			return nil, corruptf("column time: unit 10^%d", exp)
		}
	}
	if err := s.addrs.parse(addrDict); err != nil {
		return nil, err
	}
	for i := range strFields {
		if err := s.strs[i].parse(strDicts[i], view); err != nil {
			return nil, err
		}
	}
	for i := range listFields {
		if err := s.lists[i].parse(listDicts[i], view); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// rowIDs is one row with its codes read and resolved to dictionary
// entries, but nothing materialised: a scan that tests the entries first
// (Filter.MatchRows) builds an event only for the rows that can match.
type rowIDs struct {
	t        int64
	src, dst int32 // address entries; -1 when absent
	p        [4]uint64
	mask     uint64
	strs     [len(strFields)]int32 // valid for the mask's string bits
	listN    [len(listFields)]int
	lists    []int32 // the list entries in field order; -1 for an empty value
	ans      []int32
}

// next fills e with the next row. It returns false when the rows are done.
// It is nextIDs and fill in one pass, kept separate because a full scan
// (a retro-hunt) decodes every row and the fused loop is about 15% faster.
func (s *segment) next(e *event.Event) (bool, error) {
	if s.row >= s.n {
		return false, nil
	}
	i := s.row
	s.row++
	e.Reset()
	d, err := s.times.varint()
	if err != nil {
		return false, s.rowErr(i, err)
	}
	s.prevT += d * s.unit
	if s.prevT != noTime {
		e.Time = time.Unix(0, s.prevT).UTC()
	}
	e.Kind = event.Kind(s.kinds[i])
	e.Proto = s.protos[i]
	if e.SrcIP, err = s.addrs.value(&s.src); err != nil {
		return false, s.rowErr(i, err)
	}
	if e.DstIP, err = s.addrs.value(&s.dst); err != nil {
		return false, s.rowErr(i, err)
	}
	var p [4]uint64
	for j, c := range [...]*cursor{&s.srcPort, &s.dstPort, &s.origBytes, &s.respBytes} {
		if p[j], err = c.uvarint(); err != nil {
			return false, s.rowErr(i, err)
		}
	}
	if p[0] > 0xffff || p[1] > 0xffff {
		return false, s.rowErr(i, corruptf("port %d/%d", p[0], p[1]))
	}
	e.SrcPort, e.DstPort, e.OrigBytes, e.RespBytes = uint16(p[0]), uint16(p[1]), p[2], p[3]
	mask, err := s.mask.uvarint()
	if err != nil {
		return false, s.rowErr(i, err)
	}
	if mask >= maskCIDDerived<<1 {
		return false, s.rowErr(i, corruptf("column mask: bits %#x", mask))
	}
	for m := mask & (1<<len(strFields) - 1); m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		if *strFields[j].get(e), err = s.strs[j].value(); err != nil {
			return false, s.rowErr(i, err)
		}
	}
	if mask&maskCIDDerived != 0 {
		deriveCID(e)
	}
	for m := mask >> len(strFields) & (1<<len(listFields) - 1); m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		k, err := s.listN[j].count()
		if err != nil {
			return false, s.rowErr(i, err)
		}
		l := listFields[j].get(e)
		for range k {
			v, err := s.lists[j].value()
			if err != nil {
				return false, s.rowErr(i, err)
			}
			*l = append(*l, v)
		}
	}
	if mask&maskAnswers != 0 {
		na, err := s.ansN.count()
		if err != nil {
			return false, s.rowErr(i, err)
		}
		for range na {
			a, err := s.addrs.value(&s.ans)
			if err != nil {
				return false, s.rowErr(i, err)
			}
			e.Answers = append(e.Answers, a)
		}
	}
	if s.row == s.n {
		if err := s.finish(); err != nil {
			return false, err
		}
	}
	return true, nil
}

// nextIDs reads the next row's codes into r. It returns false when the
// rows are done.
func (s *segment) nextIDs(r *rowIDs) (bool, error) {
	if s.row >= s.n {
		return false, nil
	}
	i := s.row
	s.row++
	d, err := s.times.varint()
	if err != nil {
		return false, s.rowErr(i, err)
	}
	s.prevT += d * s.unit
	r.t = s.prevT
	if r.src, err = s.addrs.id(&s.src); err != nil {
		return false, s.rowErr(i, err)
	}
	if r.dst, err = s.addrs.id(&s.dst); err != nil {
		return false, s.rowErr(i, err)
	}
	for j, c := range [...]*cursor{&s.srcPort, &s.dstPort, &s.origBytes, &s.respBytes} {
		if r.p[j], err = c.uvarint(); err != nil {
			return false, s.rowErr(i, err)
		}
	}
	if r.p[0] > 0xffff || r.p[1] > 0xffff {
		return false, s.rowErr(i, corruptf("port %d/%d", r.p[0], r.p[1]))
	}
	mask, err := s.mask.uvarint()
	if err != nil {
		return false, s.rowErr(i, err)
	}
	if mask >= maskCIDDerived<<1 {
		return false, s.rowErr(i, corruptf("column mask: bits %#x", mask))
	}
	r.mask = mask
	for m := mask & (1<<len(strFields) - 1); m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		if r.strs[j], err = s.strs[j].id(); err != nil {
			return false, s.rowErr(i, err)
		}
	}
	r.lists = r.lists[:0]
	for m := mask >> len(strFields) & (1<<len(listFields) - 1); m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		k, err := s.listN[j].count()
		if err != nil {
			return false, s.rowErr(i, err)
		}
		r.listN[j] = k
		for range k {
			id, err := s.lists[j].id()
			if err != nil {
				return false, s.rowErr(i, err)
			}
			r.lists = append(r.lists, id)
		}
	}
	r.ans = r.ans[:0]
	if mask&maskAnswers != 0 {
		na, err := s.ansN.count()
		if err != nil {
			return false, s.rowErr(i, err)
		}
		for range na {
			a, err := s.addrs.id(&s.ans)
			if err != nil {
				return false, s.rowErr(i, err)
			}
			r.ans = append(r.ans, a)
		}
	}
	if s.row == s.n {
		if err := s.finish(); err != nil {
			return false, err
		}
	}
	return true, nil
}

// fill materialises the row r (read by nextIDs) into e.
func (s *segment) fill(r *rowIDs, e *event.Event) {
	e.Reset()
	if r.t != noTime {
		e.Time = time.Unix(0, r.t).UTC()
	}
	i := s.row - 1
	e.Kind = event.Kind(s.kinds[i])
	e.Proto = s.protos[i]
	e.SrcIP, e.DstIP = s.addrs.at(r.src), s.addrs.at(r.dst)
	e.SrcPort, e.DstPort, e.OrigBytes, e.RespBytes = uint16(r.p[0]), uint16(r.p[1]), r.p[2], r.p[3]
	for m := r.mask & (1<<len(strFields) - 1); m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		*strFields[j].get(e) = s.strs[j].at(r.strs[j])
	}
	if r.mask&maskCIDDerived != 0 {
		deriveCID(e)
	}
	k := 0
	for m := r.mask >> len(strFields) & (1<<len(listFields) - 1); m != 0; m &= m - 1 {
		j := bits.TrailingZeros64(m)
		l := listFields[j].get(e)
		for _, id := range r.lists[k : k+r.listN[j]] {
			*l = append(*l, s.lists[j].at(id))
		}
		k += r.listN[j]
	}
	for _, id := range r.ans {
		e.Answers = append(e.Answers, s.addrs.at(id))
	}
}

// finish checks that the last row used every byte and dictionary entry, so
// a corruption that happens to decode still does not pass silently.
func (s *segment) finish() error {
	for _, c := range [...]*cursor{&s.times, &s.mask, &s.src, &s.dst, &s.ansN, &s.ans, &s.srcPort, &s.dstPort, &s.origBytes, &s.respBytes} {
		if len(c.b) != 0 {
			return corruptf("column %s: %d bytes left after the last row", c.name, len(c.b))
		}
	}
	if s.addrs.next != s.addrs.len() {
		return corruptf("address dictionary: %d of %d entries used", s.addrs.next, s.addrs.len())
	}
	for i := range s.strs {
		if err := s.strs[i].done(); err != nil {
			return err
		}
	}
	for i := range s.lists {
		if err := s.lists[i].done(); err != nil {
			return err
		}
		if len(s.listN[i].b) != 0 {
			return corruptf("column %s: bytes left after the last row", s.listN[i].name)
		}
	}
	return nil
}

func (s *segment) rowErr(row int, err error) error {
	return fmt.Errorf("row %d: %w", row, err)
}

// cursor reads one column.
type cursor struct {
	b    []byte
	name string
}

func (c *cursor) uvarint() (uint64, error) {
	if len(c.b) > 0 && c.b[0] < 0x80 {
		v := c.b[0]
		c.b = c.b[1:]
		return uint64(v), nil
	}
	v, n := binary.Uvarint(c.b)
	if n <= 0 {
		return 0, corruptf("column %s: bad or missing varint", c.name)
	}
	c.b = c.b[n:]
	return v, nil
}

func (c *cursor) varint() (int64, error) {
	v, n := binary.Varint(c.b)
	if n <= 0 {
		return 0, corruptf("column %s: bad or missing varint", c.name)
	}
	c.b = c.b[n:]
	return v, nil
}

func (c *cursor) byte1() (byte, error) {
	if len(c.b) == 0 {
		return 0, corruptf("column %s: empty", c.name)
	}
	v := c.b[0]
	c.b = c.b[1:]
	return v, nil
}

// count reads a list length, bounded by what the column could still hold.
func (c *cursor) count() (int, error) {
	v, err := c.uvarint()
	if err != nil {
		return 0, err
	}
	if v > 1<<20 {
		return 0, corruptf("column %s: list of %d values", c.name, v)
	}
	return int(v), nil
}

// dictStr decodes one dictionary-encoded string column. The entries are
// substrings of all, entry i ending at ends[i]: four bytes an entry and
// nothing for the garbage collector to scan, where a []string of them
// took sixteen (and lengths eight more) and every pointer was marked — a
// segment's uid dictionary has an entry per flow.
//
// With view set, all is the decompressed column itself, valid only while
// the segment is read: entry (for the row filters, which keep nothing)
// returns views, and value and at, whose strings leave with the event,
// return copies. A filtered hunt copied every dictionary (a segment's
// uids are tens of megabytes) to build a few rows.
type dictStr struct {
	all   string
	ends  []uint32
	view  bool
	next  int
	codes cursor
}

func (d *dictStr) parse(c cursor, view bool) error {
	n, err := c.uvarint()
	if err != nil {
		return err
	}
	if n > uint64(len(c.b)) {
		return corruptf("column %s: %d entries in %d bytes", c.name, n, len(c.b))
	}
	ends := make([]uint32, n)
	total := uint64(0)
	for i := range ends {
		l, err := c.uvarint()
		if err != nil {
			return err
		}
		if l == 0 || l > uint64(len(c.b)) {
			return corruptf("column %s: entry %d of %d bytes", c.name, i, l)
		}
		total += l
		if total > uint64(len(c.b)) {
			return corruptf("column %s: entries hold more than the column's %d bytes", c.name, len(c.b))
		}
		ends[i] = uint32(total)
	}
	if total != uint64(len(c.b)) {
		return corruptf("column %s: entries hold %d bytes, column has %d", c.name, total, len(c.b))
	}
	if d.view = view; view {
		d.all = unsafe.String(unsafe.SliceData(c.b), len(c.b))
	} else {
		// One string for the whole dictionary: the values are substrings
		// of it, so they stay valid after the decompression buffer is
		// reused.
		d.all = string(c.b)
	}
	d.ends = ends
	return nil
}

// out is entry i as it leaves the segment: a copy of a view.
func (d *dictStr) out(i int) string {
	if d.view {
		return strings.Clone(d.entry(i))
	}
	return d.entry(i)
}

// len is the number of entries.
func (d *dictStr) len() int { return len(d.ends) }

// entry is entry i.
func (d *dictStr) entry(i int) string {
	start := uint32(0)
	if i > 0 {
		start = d.ends[i-1]
	}
	return d.all[start:d.ends[i]]
}

func (d *dictStr) value() (string, error) {
	code, err := d.codes.uvarint()
	if err != nil {
		return "", err
	}
	switch {
	case code == codeAbsent:
		return "", nil
	case code == codeNew:
		if d.next >= len(d.ends) {
			return "", corruptf("column %s: dictionary exhausted", d.codes.name)
		}
		d.next++
		return d.out(d.next - 1), nil
	case code-codeBase < uint64(d.next):
		return d.out(int(code - codeBase)), nil
	}
	return "", corruptf("column %s: reference %d to an entry not seen yet", d.codes.name, code-codeBase)
}

// id reads the next code: the entry it refers to, or -1 when absent.
func (d *dictStr) id() (int32, error) {
	code, err := d.codes.uvarint()
	if err != nil {
		return 0, err
	}
	switch {
	case code == codeAbsent:
		return -1, nil
	case code == codeNew:
		if d.next >= len(d.ends) {
			return 0, corruptf("column %s: dictionary exhausted", d.codes.name)
		}
		d.next++
		return int32(d.next - 1), nil
	case code-codeBase < uint64(d.next):
		return int32(code - codeBase), nil
	}
	return 0, corruptf("column %s: reference %d to an entry not seen yet", d.codes.name, code-codeBase)
}

// at is entry id, or "" for -1.
func (d *dictStr) at(id int32) string {
	if id < 0 {
		return ""
	}
	return d.out(int(id))
}

func (d *dictStr) done() error {
	if len(d.codes.b) != 0 || d.next != len(d.ends) {
		return corruptf("column %s: bytes or dictionary entries left after the last row", d.codes.name)
	}
	return nil
}

// dictAddr decodes the address dictionary.
type dictAddr struct {
	// The entries stay where the column is, in the decompressed
	// segment (which outlives the segment's reading): 16 bytes each,
	// and a bit each that marks IPv4. A []netip.Addr of them was 24
	// bytes an entry, a third of it pointers for the collector to mark.
	b, fam []byte
	next   int
}

func (d *dictAddr) parse(c cursor) error {
	n, err := c.uvarint()
	if err != nil {
		return err
	}
	fam := (n + 7) / 8
	if n > uint64(len(c.b)) || fam+16*n != uint64(len(c.b)) {
		return corruptf("column %s: %d addresses in %d bytes", c.name, n, len(c.b))
	}
	d.fam, d.b = c.b[:fam], c.b[fam:]
	for i := range d.len() {
		if d.fam[i/8]&(1<<(i%8)) != 0 {
			if a := netip.AddrFrom16([16]byte(d.b[16*i : 16*i+16])); !a.Is4In6() {
				return corruptf("column %s: entry %d marked IPv4 but is %s", c.name, i, a)
			}
		}
	}
	return nil
}

// len is the number of entries.
func (d *dictAddr) len() int { return len(d.b) / 16 }

// entry is address entry i.
func (d *dictAddr) entry(i int) netip.Addr {
	a := netip.AddrFrom16([16]byte(d.b[16*i : 16*i+16]))
	if d.fam[i/8]&(1<<(i%8)) != 0 {
		a = a.Unmap()
	}
	return a
}

// id reads the next code of c: the address entry it refers to, or -1
// when absent.
func (d *dictAddr) id(c *cursor) (int32, error) {
	code, err := c.uvarint()
	if err != nil {
		return 0, err
	}
	switch {
	case code == codeAbsent:
		return -1, nil
	case code == codeNew:
		if d.next >= d.len() {
			return 0, corruptf("column %s: address dictionary exhausted", c.name)
		}
		d.next++
		return int32(d.next - 1), nil
	case code-codeBase < uint64(d.next):
		return int32(code - codeBase), nil
	}
	return 0, corruptf("column %s: reference %d to an address not seen yet", c.name, code-codeBase)
}

// at is address entry id, or the zero Addr for -1.
func (d *dictAddr) at(id int32) netip.Addr {
	if id < 0 {
		return netip.Addr{}
	}
	return d.entry(int(id))
}

func (d *dictAddr) value(c *cursor) (netip.Addr, error) {
	code, err := c.uvarint()
	if err != nil {
		return netip.Addr{}, err
	}
	switch {
	case code == codeAbsent:
		return netip.Addr{}, nil
	case code == codeNew:
		if d.next >= d.len() {
			return netip.Addr{}, corruptf("column %s: address dictionary exhausted", c.name)
		}
		d.next++
		return d.entry(d.next - 1), nil
	case code-codeBase < uint64(d.next):
		return d.entry(int(code - codeBase)), nil
	}
	return netip.Addr{}, corruptf("column %s: reference %d to an address not seen yet", c.name, code-codeBase)
}
