package memory

import (
	"encoding/binary"
	"hash/maphash"
	"net/netip"
	"unsafe"

	"github.com/umbra-cti/umbra/telemetry/communityid"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Dictionary codes. Every dictionary-encoded value in a segment is one
// uvarint: 0 means absent, 1 means "the next entry of the dictionary, seen
// here for the first time", and k >= 2 refers back to entry k-2. Because the
// dictionary is kept in first-occurrence order, a value that appears once
// (a Zeek uid, an ephemeral flow) costs nothing in the index stream beyond
// its one byte code, and repeated values cost a short back-reference.
const (
	codeAbsent = 0
	codeNew    = 1
	codeBase   = 2
)

// bloomMode says how a column's values feed the segment's bloom filter.
type bloomMode uint8

const (
	bloomNone   bloomMode = iota
	bloomExact            // the lower-cased value
	bloomDomain           // the lower-cased value and every parent domain
)

// strField is one scalar string field of event.Event stored as a column.
type strField struct {
	name  string
	get   func(*event.Event) *string
	bloom bloomMode
}

// listField is one []string field of event.Event stored as a count column
// and a value column.
type listField struct {
	name  string
	get   func(*event.Event) *[]string
	bloom bloomMode
}

// The column order is part of segment format version 1: append only.
var strFields = [...]strField{
	{"sensor", func(e *event.Event) *string { return &e.Sensor }, bloomNone},
	{"uid", func(e *event.Event) *string { return &e.UID }, bloomNone},
	// No statistics for community ids: no matcher or pivot looks one up,
	// and a bloom filter over values unique to each flow cost 3 bytes a
	// conn event.
	{"community_id", func(e *event.Event) *string { return &e.CommunityID }, bloomNone},
	{"domain", func(e *event.Event) *string { return &e.Domain }, bloomDomain},
	{"url", func(e *event.Event) *string { return &e.URL }, bloomExact},
	{"host", func(e *event.Event) *string { return &e.Host }, bloomDomain},
	{"uri", func(e *event.Event) *string { return &e.URI }, bloomNone},
	{"sni", func(e *event.Event) *string { return &e.SNI }, bloomDomain},
	{"cert_sha1", func(e *event.Event) *string { return &e.CertSHA1 }, bloomExact},
	{"cert_sha256", func(e *event.Event) *string { return &e.CertSHA256 }, bloomExact},
	{"cert_serial", func(e *event.Event) *string { return &e.CertSerial }, bloomExact},
	{"cert_subject", func(e *event.Event) *string { return &e.CertSubject }, bloomNone},
	{"cert_issuer", func(e *event.Event) *string { return &e.CertIssuer }, bloomNone},
	{"ja3", func(e *event.Event) *string { return &e.JA3 }, bloomExact},
	{"ja3s", func(e *event.Event) *string { return &e.JA3S }, bloomExact},
	{"ja4", func(e *event.Event) *string { return &e.JA4 }, bloomExact},
	{"md5", func(e *event.Event) *string { return &e.MD5 }, bloomExact},
	{"sha1", func(e *event.Event) *string { return &e.SHA1 }, bloomExact},
	{"sha256", func(e *event.Event) *string { return &e.SHA256 }, bloomExact},
	{"file_name", func(e *event.Event) *string { return &e.FileName }, bloomExact},
	{"user", func(e *event.Event) *string { return &e.User }, bloomExact},
	{"user_agent", func(e *event.Event) *string { return &e.UserAgent }, bloomNone},
	{"app", func(e *event.Event) *string { return &e.App }, bloomNone},
	{"result", func(e *event.Event) *string { return &e.Result }, bloomNone},
}

var listFields = [...]listField{
	{"alpn", func(e *event.Event) *[]string { return &e.ALPN }, bloomNone},
	{"cert_names", func(e *event.Event) *[]string { return &e.CertNames }, bloomDomain},
	{"emails", func(e *event.Event) *[]string { return &e.Emails }, bloomExact},
	{"cookies", func(e *event.Event) *[]string { return &e.Cookies }, bloomNone},
}

// strOffsets and listOffsets are where in an event.Event each field of
// strFields and listFields lives, taken from their get functions once:
// builder.add reads every field of every event, and 28 indirect calls an
// event cost more than the look-ups of the fields that are set.
var strOffsets, listOffsets = fieldOffsets()

func fieldOffsets() (strs [len(strFields)]uintptr, lists [len(listFields)]uintptr) {
	var e event.Event
	base := uintptr(unsafe.Pointer(&e))
	for i := range strFields {
		strs[i] = uintptr(unsafe.Pointer(strFields[i].get(&e))) - base
	}
	for i := range listFields {
		lists[i] = uintptr(unsafe.Pointer(listFields[i].get(&e))) - base
	}
	return strs, lists
}

// strCol accumulates one dictionary-encoded string column. The values live
// in one arena and the dictionary is an open-addressing table of 64-bit
// slots, each the high half of the value's hash and its entry number plus
// one, so a segment of a million distinct Zeek uids costs no allocation per
// value, no pointers for the garbage collector to trace, and one probe of
// an 8-byte slot per look-up (a Go map took twice the memory and the time).
type strCol struct {
	// slots is the table: 0 = empty, else hash>>32<<32 | entry+1. Its
	// length is 1<<bits, and a value's probe starts at the top bits of
	// its hash, so growing the table re-places slots without hashing the
	// values again or reading them from the arena.
	slots []uint64
	bits  uint8
	arena []byte
	ends  []uint32 // entry i is arena[ends[i-1]:ends[i]]
	codes []byte
	// last is the previous value and its entry: sensors, fingerprints and
	// the uid of a flow's second event repeat the row before.
	last   string
	lastID uint32
}

var dictSeed = maphash.MakeSeed()

// minSlotBits gives the table size of a new column, 256 slots: most
// columns of a segment hold a few hundred distinct values at most.
const (
	minSlotBits = 8
	minSlots    = 1 << minSlotBits
)

func (c *strCol) entry(i uint32) []byte {
	start := uint32(0)
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.arena[start:c.ends[i]]
}

// add appends the code of a non-empty value.
func (c *strCol) add(s string) {
	if len(c.ends) > 0 && s == c.last {
		c.codes = binary.AppendUvarint(c.codes, uint64(c.lastID)+codeBase)
		return
	}
	// Keep the table at most half full, so probe runs stay short.
	if 2*(len(c.ends)+1) > len(c.slots) {
		c.grow()
	}
	h := maphash.String(dictSeed, s)
	tag := h >> 32 << 32
	mask := uint64(len(c.slots) - 1)
	for i := h >> (64 - c.bits); ; i = (i + 1) & mask {
		v := c.slots[i]
		if v == 0 {
			id := uint32(len(c.ends))
			c.slots[i] = tag | uint64(id+1)
			c.arena = append(c.arena, s...)
			c.ends = append(c.ends, uint32(len(c.arena)))
			c.codes = append(c.codes, codeNew)
			c.last, c.lastID = s, id
			return
		}
		if v&^0xffffffff == tag {
			if id := uint32(v) - 1; string(c.entry(id)) == s {
				c.codes = binary.AppendUvarint(c.codes, uint64(id)+codeBase)
				c.last, c.lastID = s, id
				return
			}
		}
	}
}

// grow doubles the table (or makes the first one) and re-places its
// slots.
func (c *strCol) grow() {
	old := c.slots
	bits := max(c.bits+1, minSlotBits)
	n := 1 << bits
	if len(old) == 0 && cap(old) >= n {
		c.slots = old[:n] // an emptied table, kept by reset
		clear(c.slots)
		old = nil
	} else {
		c.slots = make([]uint64, n)
	}
	c.bits = bits
	mask := uint64(n - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := v >> (64 - bits)
		for c.slots[i] != 0 {
			i = (i + 1) & mask
		}
		c.slots[i] = v
	}
}

// windowed marks the columns whose values are nearly all distinct (a
// flow's uid and community id): they are looked up in a small
// direct-mapped table of recent values (see addRecent) instead of the
// whole dictionary.
var windowed = [len(strFields)]bool{1: true, 2: true}

// recentBits sizes the table of addRecent: 64k slots, 512 KB, which stays
// in the CPU cache where a table of every uid of a segment does not.
const recentBits = 16

// addRecent appends the code of a non-empty value, looking it up only
// among recently added values: a value whose slot was taken since by
// another becomes a second entry of the dictionary, which decodes the
// same (an entry is any string; the reader does not require them to be
// distinct). A uid repeats within seconds (the dns, http, ssl and files
// records of one connection), so this keeps nearly all of the
// dictionary's saving at a fraction of the cost: a segment of a million
// new uids took one cache miss each in the full table.
func (c *strCol) addRecent(s string) {
	if len(c.ends) > 0 && s == c.last {
		c.codes = binary.AppendUvarint(c.codes, uint64(c.lastID)+codeBase)
		return
	}
	if len(c.slots) != 1<<recentBits {
		c.slots = make([]uint64, 1<<recentBits)
		c.bits = recentBits
	}
	h := maphash.String(dictSeed, s)
	tag := h >> 32 << 32
	i := h >> (64 - recentBits)
	if v := c.slots[i]; v&^0xffffffff == tag && v != 0 {
		if id := uint32(v) - 1; string(c.entry(id)) == s {
			c.codes = binary.AppendUvarint(c.codes, uint64(id)+codeBase)
			c.last, c.lastID = s, id
			return
		}
	}
	id := uint32(len(c.ends))
	c.slots[i] = tag | uint64(id+1)
	c.arena = append(c.arena, s...)
	c.ends = append(c.ends, uint32(len(c.arena)))
	c.codes = append(c.codes, codeNew)
	c.last, c.lastID = s, id
}

func (c *strCol) len() int { return len(c.ends) }

// reset empties the column for the next segment. The table keeps its
// size, so a reused builder does not grow it again from minSlots; only a
// table far larger than the last segment needed is dropped, so a column
// that once held a million uids does not clear megabytes for every later
// segment of a few thousand events.
func (c *strCol) reset() {
	if len(c.slots) > 1<<16 && 16*len(c.ends) < len(c.slots) {
		c.slots, c.bits = c.slots[:0], 0
	} else {
		clear(c.slots)
	}
	c.arena = c.arena[:0]
	c.ends = c.ends[:0]
	c.codes = c.codes[:0]
	c.last = ""
}

// appendDict writes the dictionary: a count, the lengths, then the bytes.
func (c *strCol) appendDict(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(c.ends)))
	prev := uint32(0)
	for _, e := range c.ends {
		b = binary.AppendUvarint(b, uint64(e-prev))
		prev = e
	}
	return append(b, c.arena...)
}

// addrCol is the dictionary shared by every address of a segment (source,
// destination, DNS answers), each address as 16 bytes. IPv4 addresses,
// nearly all of them, are looked up in an open-addressing table of 64-bit
// slots (the address in the high half, its entry plus one in the low).
type addrCol struct {
	slots4 []uint64 // 0 = empty; len is a power of two, at most half full
	n4     int
	dict6  map[[16]byte]uint32
	vals   []netip.Addr
}

// slot4 is where the probe for IPv4 address k starts (Fibonacci hashing).
func slot4(k uint32, mask uint64) uint64 { return uint64(k) * 0x9e3779b97f4a7c15 >> 32 & mask }

func (c *addrCol) add(codes []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(codes, codeAbsent)
	}
	if a.Is4() {
		b := a.As4()
		k := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		if 2*(c.n4+1) > len(c.slots4) {
			c.grow4()
		}
		mask := uint64(len(c.slots4) - 1)
		for i := slot4(k, mask); ; i = (i + 1) & mask {
			v := c.slots4[i]
			if v == 0 {
				c.slots4[i] = uint64(k)<<32 | uint64(len(c.vals)+1)
				c.n4++
				c.vals = append(c.vals, a)
				return append(codes, codeNew)
			}
			if uint32(v>>32) == k {
				return binary.AppendUvarint(codes, uint64(uint32(v)-1)+codeBase)
			}
		}
	}
	if c.dict6 == nil {
		c.dict6 = make(map[[16]byte]uint32)
	}
	k := a.As16()
	if id, ok := c.dict6[k]; ok {
		return binary.AppendUvarint(codes, uint64(id)+codeBase)
	}
	c.dict6[k] = uint32(len(c.vals))
	c.vals = append(c.vals, a.WithZone(""))
	return append(codes, codeNew)
}

// grow4 doubles the IPv4 table and re-inserts its slots.
func (c *addrCol) grow4() {
	old := c.slots4
	c.slots4 = make([]uint64, max(minSlots, 2*len(old)))
	mask := uint64(len(c.slots4) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := slot4(uint32(v>>32), mask)
		for c.slots4[i] != 0 {
			i = (i + 1) & mask
		}
		c.slots4[i] = v
	}
}

func (c *addrCol) reset() {
	clear(c.slots4)
	c.n4 = 0
	clear(c.dict6)
	c.vals = c.vals[:0]
}

// appendDict writes the count, one family bit per address (so an IPv4
// address does not come back as an IPv4-mapped IPv6 one), then 16 bytes each.
func (c *addrCol) appendDict(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(c.vals)))
	fam := make([]byte, (len(c.vals)+7)/8)
	for i, a := range c.vals {
		if a.Is4() {
			fam[i/8] |= 1 << (i % 8)
		}
	}
	b = append(b, fam...)
	for _, a := range c.vals {
		v := a.As16()
		b = append(b, v[:]...)
	}
	return b
}

// builder accumulates the events of one segment, column by column, as they
// are appended, so that a flush only compresses.
type builder struct {
	n          int
	times      []int64
	minT, maxT int64
	kinds      []byte
	protos     []byte
	kindSet    uint32
	// mask has one uvarint a row saying which string fields, lists and
	// answers it holds; absent values take no code at all, so a conn
	// event's row touches a handful of columns, not thirty.
	mask []byte

	addrs                addrCol
	src, dst, ansN, ans  []byte
	srcPort, dstPort     []byte
	origBytes, respBytes []byte
	strs                 [len(strFields)]strCol
	listN                [len(listFields)][]byte
	lists                [len(listFields)]strCol
	cidBuf               [communityid.Len]byte
}

func (b *builder) add(e *event.Event, ns int64) {
	if b.n == 0 || ns < b.minT {
		b.minT = ns
	}
	if b.n == 0 || ns > b.maxT {
		b.maxT = ns
	}
	b.n++
	b.times = append(b.times, ns)
	b.kinds = append(b.kinds, byte(e.Kind))
	b.protos = append(b.protos, e.Proto)
	if e.Kind < 32 {
		b.kindSet |= 1 << e.Kind
	}
	b.src = b.addrs.add(b.src, e.SrcIP)
	b.dst = b.addrs.add(b.dst, e.DstIP)
	b.srcPort = binary.AppendUvarint(b.srcPort, uint64(e.SrcPort))
	b.dstPort = binary.AppendUvarint(b.dstPort, uint64(e.DstPort))
	b.origBytes = binary.AppendUvarint(b.origBytes, e.OrigBytes)
	b.respBytes = binary.AppendUvarint(b.respBytes, e.RespBytes)
	var mask uint64
	p := unsafe.Pointer(e)
	for i := range strFields {
		if v := *(*string)(unsafe.Add(p, strOffsets[i])); v != "" {
			if i == fieldCID && b.derivable(e, v) {
				mask |= maskCIDDerived
				continue
			}
			mask |= 1 << i
			if windowed[i] {
				b.strs[i].addRecent(v)
			} else {
				b.strs[i].add(v)
			}
		}
	}
	for i := range listFields {
		l := *(*[]string)(unsafe.Add(p, listOffsets[i]))
		if len(l) == 0 {
			continue
		}
		mask |= 1 << (len(strFields) + i)
		b.listN[i] = binary.AppendUvarint(b.listN[i], uint64(len(l)))
		for _, v := range l {
			if v == "" {
				b.lists[i].codes = append(b.lists[i].codes, codeAbsent)
				continue
			}
			b.lists[i].add(v)
		}
	}
	if len(e.Answers) > 0 {
		mask |= maskAnswers
		b.ansN = binary.AppendUvarint(b.ansN, uint64(len(e.Answers)))
		for _, a := range e.Answers {
			b.ans = b.addrs.add(b.ans, a)
		}
	}
	b.mask = binary.AppendUvarint(b.mask, mask)
}

// capBytes is the memory b's columns hold, used or not.
func (b *builder) capBytes() int {
	n := cap(b.times)*8 + cap(b.kinds) + cap(b.protos) + cap(b.mask) +
		cap(b.src) + cap(b.dst) + cap(b.ansN) + cap(b.ans) + cap(b.srcPort) + cap(b.dstPort) +
		cap(b.origBytes) + cap(b.respBytes) + cap(b.addrs.vals)*24 + cap(b.addrs.slots4)*8
	for i := range b.strs {
		n += b.strs[i].capBytes()
	}
	for i := range b.lists {
		n += cap(b.listN[i]) + b.lists[i].capBytes()
	}
	return n
}

func (c *strCol) capBytes() int {
	return cap(c.slots)*8 + cap(c.arena) + cap(c.ends)*4 + cap(c.codes)
}

// maskAnswers is the mask bit of DNS answers, after the strings and lists.
const maskAnswers = 1 << (len(strFields) + len(listFields))

// maskCIDDerived is the mask bit of a row whose community id is the one
// its 5-tuple gives with the default seed 0, as Zeek and Suricata write
// it: the row stores no community id and the reader computes it again.
// A community id is a SHA-1 in base64, 28 random characters that no
// encoder can shrink; stored, it took 13 of the 44 bytes an event of the
// simulated scenario took, more than the uid.
const maskCIDDerived = maskAnswers << 1

// fieldCID is the index of the community_id string field.
const fieldCID = 2

func init() {
	if strFields[fieldCID].name != "community_id" {
		panic("memory: fieldCID does not name the community_id column")
	}
}

// derivable says whether the community id v of e is the one e's 5-tuple
// gives.
func (b *builder) derivable(e *event.Event, v string) bool {
	if len(v) != communityid.Len {
		return false
	}
	c := communityid.AppendV1(b.cidBuf[:0], 0, e.SrcIP, e.DstIP, e.SrcPort, e.DstPort, e.Proto)
	return string(c) == v
}

// deriveCID sets the community id of a row read with maskCIDDerived.
func deriveCID(e *event.Event) {
	e.CommunityID = communityid.V1(0, e.SrcIP, e.DstIP, e.SrcPort, e.DstPort, e.Proto)
}

func (b *builder) reset() {
	b.n = 0
	b.times = b.times[:0]
	b.kinds, b.protos, b.mask = b.kinds[:0], b.protos[:0], b.mask[:0]
	b.kindSet = 0
	b.addrs.reset()
	b.src, b.dst, b.ansN, b.ans = b.src[:0], b.dst[:0], b.ansN[:0], b.ans[:0]
	b.srcPort, b.dstPort = b.srcPort[:0], b.dstPort[:0]
	b.origBytes, b.respBytes = b.origBytes[:0], b.respBytes[:0]
	for i := range b.strs {
		b.strs[i].reset()
	}
	for i := range b.lists {
		b.listN[i] = b.listN[i][:0]
		b.lists[i].reset()
	}
}
