// Package zeek decodes Zeek logs — ASCII (TSV) and JSON, any log type —
// into normalised events.
//
// One Reader handles both encodings, line by line: header lines start with
// '#', JSON records with '{', anything else is a TSV record. conn, dns,
// http, ssl, x509, files, smtp, notice and weird logs are mapped onto the
// Event's observables; every other log becomes a KindGeneric event carrying
// its 5-tuple.
//
// The log type comes from the #path header or the _path key, else from the
// file name (rotated names such as conn.2018-03-24-10-00-00.log.gz work),
// else from the column names. TSV whose header was cut off is read with
// Zeek's stock column order for the log the file name names.
//
// Values are unescaped as Zeek escapes them (\xNN, \\), in TSV and JSON
// alike, so both encodings of one record give the same Event. Hashes and
// JA3 values are lower-cased; the rest is kept as logged.
//
// The TSV path finds a line's separators in one pass of vector compares
// (SSE2 on amd64, eight bytes per word elsewhere) and converts only the
// columns it maps, parsing addresses, ports, counts and times without
// allocating; bench/zeek-decode.md has the figures.
package zeek

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

func init() {
	newReader := func(r io.Reader, name string) (source.Decoder, error) { return NewReader(r, name), nil }
	source.Register(source.FormatZeekTSV, newReader)
	source.Register(source.FormatZeekJSON, newReader)
}

// column is one TSV column: what it means and whether it holds a set or
// vector (split on the set separator).
type column struct {
	f     field
	multi bool
	name  string
}

// mappedColumn is a column the Event takes a value from, flattened from
// cols so that the per-record loop reads one small table.
type mappedColumn struct {
	i     int // index in cols
	f     field
	multi bool
}

// Reader decodes one Zeek log stream. It is not safe for concurrent use.
type Reader struct {
	name     string
	lines    *source.LineReader
	err      error
	nameKind event.Kind // from the file name, when it names a known log

	// TSV header state.
	sep      []byte
	setSep   []byte
	empty    []byte
	unset    []byte
	path     string
	fields   []string
	types    []string
	cols     []column
	mapped   []mappedColumn // the columns that are not fSkip, in order
	head     bool           // a one-byte separator, and the first six mapped columns are ts, uid and the 5-tuple's four, side by side (see decodeHead)
	headCol  int            // the column of the head's ts: 0 unless unmapped columns (a cluster's _node_name) come first
	noHead   bool           // tests: decode every column through the loop
	bounds   []int          // scratch: the separators of the current line (see decodeTSV)
	escaped  bool           // the current TSV line has a backslash somewhere
	kind     event.Kind
	prepared bool

	// JSON state: the kind guessed from the keys of a file without _path,
	// and buffers for the current key and decoded string.
	jsonKind event.Kind
	jkey     []byte
	jstr     []byte

	stats  source.Stats
	intern *[4096]string

	// The address cache of addr, and its hit-rate watch.
	addrs                             *[addrSlots]addrSlot
	addrs6                            *[addr6Slots]addr6Slot
	addrLookups, addrMisses, addrSkip int
	scratch                           []byte

	// Values unique to a record (uid, community_id, a DNS query name not
	// in the intern cache) are gathered in own and, when the record is
	// complete, copied into chunk, a block of ownChunk bytes that the
	// strings of many records share: one allocation per block of records
	// instead of one per record (which was a sixth of decoding's CPU with
	// the garbage collection it caused). A value kept after its record
	// therefore keeps its block alive, at most ownChunk bytes; a record
	// whose query name fills the intern cache keeps its own string, so
	// the cache never does.
	own           []byte
	chunk         []byte
	owned         []ownedValue
	pendingUID    bool
	pendingDomain bool    // e.Domain waits in owned
	internFill    *string // the cache slot that e.Domain goes into
}

// ownedValue is a field of the current Event waiting for its string.
type ownedValue struct {
	dst        *string
	start, end int
}

// unique queues val to become *dst when the record is complete (see own).
func (r *Reader) unique(dst *string, val []byte) {
	start := len(r.own)
	r.own = append(r.own, val...)
	r.owned = append(r.owned, ownedValue{dst, start, len(r.own)})
}

// startRecord resets e and the per-record state before a record is decoded.
func (r *Reader) startRecord(e *event.Event) {
	e.Reset()
	e.Sensor = "zeek"
	e.Kind = r.kind
	r.own, r.owned, r.pendingUID = r.own[:0], r.owned[:0], false
	r.pendingDomain, r.internFill = false, nil
}

// NewReader returns a Reader for r; name is the file name used in error
// messages and, when a log has no #path, to tell its type
// (see PathFromName).
func NewReader(r io.Reader, name string) *Reader {
	zr := &Reader{
		name:   name,
		lines:  source.NewLineReader(r),
		intern: new([4096]string),
	}
	zr.nameKind = kindOfName(name)
	zr.resetHeader()
	return zr
}

func (r *Reader) resetHeader() {
	r.sep = []byte{'\t'}
	r.setSep = []byte{','}
	r.empty = []byte("(empty)")
	r.unset = []byte("-")
	r.path = ""
	r.fields = r.fields[:0]
	r.types = r.types[:0]
	r.prepared = false
}

// Stats returns the counts of good and bad records so far.
func (r *Reader) Stats() source.Stats { return r.stats }

// Next decodes the next record into e, which it resets first (callers
// need not). It returns io.EOF at the end, a
// *source.RecordError for a bad record that was skipped (call Next again),
// or another error when the input cannot be read.
func (r *Reader) Next(e *event.Event) error {
	for {
		if r.err != nil {
			return r.err
		}
		line, err := r.lines.Next()
		if err != nil && errors.Is(err, source.ErrLineTooLong) {
			return r.bad("%v", err)
		}
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("%s:%d: %w", r.name, r.lines.Line()+1, err)
			}
			r.err = err
			return err
		}
		if len(line) == 0 {
			continue
		}
		switch line[0] {
		case '#':
			if err := r.header(line); err != nil {
				return r.bad("%v", err)
			}
			continue
		case '{':
			err = r.decodeJSON(e, line)
		default:
			err = r.decodeTSV(e, line)
		}
		if err != nil {
			return r.bad("%v", err)
		}
		r.stats.Records++
		return nil
	}
}

func (r *Reader) bad(format string, args ...any) error {
	re := &source.RecordError{Name: r.name, Line: r.lines.Line(), Offset: r.lines.Offset(), Reason: fmt.Sprintf(format, args...)}
	r.stats.Add(re)
	return re
}

// header applies one '#' line.
func (r *Reader) header(line []byte) error {
	if v, ok := bytes.CutPrefix(line, []byte("#separator ")); ok {
		r.resetHeader()
		sep := unescapeSeparator(v)
		if len(sep) == 0 {
			return fmt.Errorf("#separator %q: empty separator", clip(v))
		}
		r.sep = sep
		return nil
	}
	name, rest, _ := bytes.Cut(line, r.sep)
	switch string(name) {
	case "#set_separator":
		if len(rest) == 0 {
			return errors.New("#set_separator is empty")
		}
		r.setSep = append([]byte(nil), rest...)
	case "#empty_field":
		r.empty = append([]byte(nil), rest...)
	case "#unset_field":
		r.unset = append([]byte(nil), rest...)
	case "#path":
		r.path = string(rest)
		r.prepared = false
	case "#fields":
		r.fields = r.splitNames(r.fields[:0], rest)
		r.prepared = false
	case "#types":
		r.types = r.splitNames(r.types[:0], rest)
		r.prepared = false
	}
	// #open, #close and unknown comments carry nothing for an Event.
	return nil
}

func (r *Reader) splitNames(dst []string, b []byte) []string {
	// Some writers end every line with a separator (RITA's test logs do);
	// a trailing empty column is not a column.
	b = bytes.TrimSuffix(b, r.sep)
	for len(b) > 0 {
		v, rest, found := bytes.Cut(b, r.sep)
		dst = append(dst, string(v))
		if !found {
			break
		}
		b = rest
	}
	return dst
}

// unescapeSeparator decodes the value of "#separator", written as \x09 by
// Zeek and as \t by some tools.
func unescapeSeparator(v []byte) []byte {
	var out []byte
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\' && i+3 < len(v) && v[i+1] == 'x' && hexDigit[v[i+2]] != notHex && hexDigit[v[i+3]] != notHex:
			out = append(out, hexDigit[v[i+2]]<<4|hexDigit[v[i+3]])
			i += 3
		case v[i] == '\\' && i+1 < len(v) && v[i+1] == 't':
			out = append(out, '\t')
			i++
		default:
			out = append(out, v[i])
		}
	}
	return out
}

// prepare maps the columns of the current header.
func (r *Reader) prepare() error {
	r.kind = event.KindGeneric
	names := r.fields
	switch {
	case r.path != "":
		r.kind = kindOfPath(r.path)
	case r.nameKind != event.KindUnknown:
		r.kind = r.nameKind
	case len(names) > 0:
		r.kind = inferKind(func(n string) bool {
			for _, f := range names {
				if f == n {
					return true
				}
			}
			return false
		})
	}
	if len(names) == 0 {
		names = defaultFields[r.kind]
		if names == nil {
			return errors.New("data line before any #fields header, and the file name does not name a stock Zeek log")
		}
	}
	r.cols = r.cols[:0]
	for i, n := range names {
		c := column{f: fieldFor(r.kind, n), name: n}
		if i < len(r.types) && len(r.fields) > 0 {
			t := r.types[i]
			c.multi = strings.HasPrefix(t, "set[") || strings.HasPrefix(t, "vector[")
		} else {
			c.multi = c.f.multiDefault()
		}
		r.cols = append(r.cols, c)
	}
	r.mapped = r.mapped[:0]
	for i, c := range r.cols {
		if c.f != fSkip {
			r.mapped = append(r.mapped, mappedColumn{i: i, f: c.f, multi: c.multi})
		}
	}
	// The head may follow unmapped columns: logs of a Zeek cluster often
	// start with the worker's _node_name.
	r.head = !r.noHead && len(r.sep) == 1 && len(r.mapped) >= len(headFields)
	if r.head {
		r.headCol = r.mapped[0].i
	}
	for k, f := range headFields {
		r.head = r.head && r.mapped[k] == mappedColumn{i: r.headCol + k, f: f}
	}
	r.prepared = true
	return nil
}

func (r *Reader) decodeTSV(e *event.Event, line []byte) error {
	if !r.prepared {
		if err := r.prepare(); err != nil {
			return err
		}
	}
	sep := r.sep
	n := len(r.cols)
	if bytes.HasSuffix(line, sep) && bytes.Count(line, sep) == n {
		line = line[:len(line)-len(sep)] // see splitNames
	}
	r.startRecord(e)
	// Find every separator first: the count tells a truncated line before
	// any value is judged, and then only the mapped columns are touched.
	// bounds[i] is where field i starts minus len(sep), bounds[i+1] where
	// it ends.
	// Most lines have no escapes; the separator scan also tells whether
	// this one has, which spares every field its own search.
	bounds := append(r.bounds[:0], -len(sep))
	if len(sep) == 1 {
		bounds, r.escaped = appendByteIndexes(bounds, line, sep[0], n)
	} else {
		for off := 0; len(bounds) <= n; {
			i := bytes.Index(line[off:], sep)
			if i < 0 {
				break
			}
			bounds = append(bounds, off+i)
			off += i + len(sep)
		}
		r.escaped = bytes.IndexByte(line, '\\') >= 0
	}
	r.bounds = bounds
	if len(bounds) > n {
		// The scan stopped after n separators, so as not to index every
		// one of a hostile line of millions.
		return fmt.Errorf("%d fields, the header declares %d", bytes.Count(line, sep)+1, n)
	}
	bounds = append(bounds, len(line))
	if fields := len(bounds) - 1; fields != n {
		return fmt.Errorf("%d fields, the header declares %d (truncated line?)", fields, n)
	}
	unset, empty := r.unset, r.empty
	var unset0, empty0 byte // first bytes: most values start with neither
	if len(unset) > 0 {
		unset0 = unset[0]
	}
	if len(empty) > 0 {
		empty0 = empty[0]
	}
	mapped := r.mapped
	if r.head && !r.escaped {
		if err := r.decodeHead(e, line, bounds[r.headCol:]); err != nil {
			return err
		}
		mapped = mapped[len(headFields):]
	}
	for _, m := range mapped {
		val := line[bounds[m.i]+len(sep) : bounds[m.i+1]]
		if m.multi || r.escaped {
			if err := r.column(e, m.i, val); err != nil {
				return err
			}
			continue
		}
		// The plain case of column, without its calls.
		if len(val) == 0 || val[0] == unset0 || val[0] == empty0 {
			if string(val) == string(unset) || string(val) == string(empty) {
				continue
			}
		}
		// The columns of every log, as set does them, without its call.
		var err error
		switch m.f {
		case fTS:
			var t time.Time
			if t, err = parseTime(val); err == nil {
				e.Time = t
			}
		case fOrigH, fRespH:
			var a netip.Addr
			if r.addrSkip > 0 { // r.addr, inlined by hand for the hot loop
				r.addrSkip--
				a, err = parseAddr(val)
			} else {
				a, err = r.addrCached(val)
			}
			if err == nil {
				if m.f == fOrigH {
					e.SrcIP = a
				} else {
					e.DstIP = a
				}
			}
		case fOrigP:
			e.SrcPort, err = parsePort(val)
		case fRespP:
			e.DstPort, err = parsePort(val)
		case fOrigBytes:
			e.OrigBytes, err = parseCount(val)
		case fRespBytes:
			e.RespBytes, err = parseCount(val)
		case fUID:
			r.unique(&e.UID, val)
			r.pendingUID = true
		case fCommunityID:
			r.unique(&e.CommunityID, val)
		case fProto:
			e.Proto = protoNumber(val, e.Proto)
		default:
			err = r.set(e, m.f, val)
		}
		if err != nil {
			return fmt.Errorf("field %d (%s): %v", m.i+1, r.cols[m.i].name, err)
		}
	}
	return r.finish(e)
}

// headFields are the columns most Zeek logs start with, in this order.
var headFields = [...]field{fTS, fUID, fOrigH, fOrigP, fRespH, fRespP}

// decodeHead converts the six headFields columns of a line, separated by
// one byte and without escapes: the column loop's work for them without
// its per-column dispatch. bounds starts at the separator before the
// head's first column (see decodeTSV).
func (r *Reader) decodeHead(e *event.Event, line []byte, bounds []int) error {
	_ = bounds[6]
	var err error
	k := 0
	if v := line[bounds[0]+1 : bounds[1]]; !r.unsetValue(v) {
		if e.Time, err = parseTime(v); err != nil {
			goto bad
		}
	}
	k = 1
	if v := line[bounds[1]+1 : bounds[2]]; !r.unsetValue(v) {
		r.unique(&e.UID, v)
		r.pendingUID = true
	}
	k = 2
	if v := line[bounds[2]+1 : bounds[3]]; !r.unsetValue(v) {
		if e.SrcIP, err = r.addr(v); err != nil {
			goto bad
		}
	}
	k = 3
	if v := line[bounds[3]+1 : bounds[4]]; !r.unsetValue(v) {
		if e.SrcPort, err = parsePort(v); err != nil {
			goto bad
		}
	}
	k = 4
	if v := line[bounds[4]+1 : bounds[5]]; !r.unsetValue(v) {
		if e.DstIP, err = r.addr(v); err != nil {
			goto bad
		}
	}
	k = 5
	if v := line[bounds[5]+1 : bounds[6]]; !r.unsetValue(v) {
		if e.DstPort, err = parsePort(v); err != nil {
			goto bad
		}
	}
	return nil
bad:
	return fmt.Errorf("field %d (%s): %v", r.headCol+k+1, r.cols[r.headCol+k].name, err)
}

// unsetValue reports whether v is the log's unset or empty value.
func (r *Reader) unsetValue(v []byte) bool {
	return (len(v) == len(r.unset) || len(v) == len(r.empty)) && (string(v) == string(r.unset) || string(v) == string(r.empty))
}

// column converts the value of column i.
func (r *Reader) column(e *event.Event, i int, val []byte) error {
	c := &r.cols[i]
	if bytes.Equal(val, r.unset) || bytes.Equal(val, r.empty) {
		return nil
	}
	if !c.multi {
		if err := r.setTSV(e, c.f, val); err != nil {
			return fmt.Errorf("field %d (%s): %v", i+1, c.name, err)
		}
		return nil
	}
	for len(val) > 0 {
		elem, rest, found := bytes.Cut(val, r.setSep)
		if err := r.setTSV(e, c.f, elem); err != nil {
			return fmt.Errorf("field %d (%s): %v", i+1, c.name, err)
		}
		if !found {
			break
		}
		val = rest
	}
	return nil
}

// setTSV undoes Zeek's \xNN escaping where present and sets the value.
func (r *Reader) setTSV(e *event.Event, f field, val []byte) error {
	if r.escaped && bytes.IndexByte(val, '\\') >= 0 {
		r.scratch = unescapeZeek(r.scratch[:0], val)
		val = r.scratch
	}
	return r.set(e, f, val)
}

// finish completes an event from the fields that depend on each other.
func (r *Reader) finish(e *event.Event) error {
	if len(r.owned) > 0 {
		var s string
		if r.internFill != nil {
			// The query name goes into the intern cache and may stay
			// there long after its record: the record gets a string of
			// its own, so the cache never keeps a block alive.
			s = string(r.own)
		} else {
			s = r.ownString()
		}
		for _, o := range r.owned {
			*o.dst = s[o.start:o.end]
		}
		r.owned = r.owned[:0]
		if r.internFill != nil {
			*r.internFill = e.Domain
			r.internFill = nil
		}
	}
	if e.Proto == 1 && e.SrcIP.Is6() && !e.SrcIP.Is4In6() {
		e.Proto = 58 // Zeek says "icmp" for ICMPv6 too
	}
	if e.Kind == event.KindX509 && e.UID == "" {
		// Zeek 6 dropped the file id from x509.log: the fingerprint is
		// the record's key there (ssl.log's cert_chain_fps points at it),
		// so alerts on certificate values still name their record.
		e.UID = e.CertSHA256
		if e.UID == "" {
			e.UID = e.CertSHA1
		}
	}
	if (e.Kind == event.KindHTTP || e.Kind == event.KindSMTP) && e.Proto == 0 {
		e.Proto = 6 // neither log has a proto column; both run over TCP only
	}
	if e.Kind == event.KindHTTP && e.URI != "" {
		switch {
		case strings.HasPrefix(e.URI, "http://") || strings.HasPrefix(e.URI, "https://"):
			e.URL = e.URI // proxy request with an absolute target
		case e.Host != "":
			e.URL = "http://" + e.Host + e.URI
		}
	}
	return nil
}

// ownChunk is the size of the blocks that records' own values are
// copied into (see Reader.own).
const ownChunk = 4096

// ownString returns the record's own values as one string, carved from
// the current block. The bytes of a block are written once, in order,
// and never again, so the strings made from them never change.
func (r *Reader) ownString() string {
	n := len(r.own)
	if n == 0 {
		return "" // values that were all empty (the fuzzer found &chunk[0] of an empty block)
	}
	if n > ownChunk/8 {
		return string(r.own)
	}
	if len(r.chunk)+n > cap(r.chunk) {
		r.chunk = make([]byte, 0, ownChunk)
	}
	start := len(r.chunk)
	r.chunk = append(r.chunk, r.own...)
	return unsafe.String(&r.chunk[start], n)
}

// str returns val as a string, sharing one copy among repeated values
// (host names, user agents, JA3 hashes) so that repeated records do not
// allocate. The cache is direct-mapped and fixed in size: a miss costs one
// hash more than a plain conversion, and memory stays bounded whatever the
// cardinality of the column.
func (r *Reader) str(val []byte) string {
	if len(val) > maxInternBytes {
		return string(val)
	}
	slot := r.internSlot(val)
	if *slot == string(val) {
		return *slot
	}
	*slot = string(val)
	return *slot
}

// internSlot returns the cache slot of val.
func (r *Reader) internSlot(val []byte) *string {
	return &r.intern[maphash.Bytes(internSeed, val)%uint64(len(r.intern))]
}

var internSeed = maphash.MakeSeed()

// maxInternBytes keeps huge values (a hostile 16 MiB URI) out of the cache,
// so that it holds at most 4096 short strings.
const maxInternBytes = 512

// clip bounds hostile values quoted in error messages.
func clip(b []byte) string {
	const max = 64
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
