// Package csv reads indicator lists published as CSV: a header row names
// the columns (indicator/value/ioc, type, description/comment,
// reference, source, tags, matched without regard to case), the delimiter
// (comma, semicolon or tab) is sniffed from the first row, and each row
// becomes an indicator.Record. Files such as the Burning Umbrella lists
// ("Indicator,Type,Description,Reference", CRLF line endings, duplicate
// rows) read as they are.
//
// Two other layouts are understood: a header whose columns are themselves
// type names ("md5,sha256,filename", "url,tags") gives one record per
// non-empty cell; and a first row that is already data (no recognisable
// header) means column 1 is the value and column 2, if it is a type word,
// the type.
//
// MISP's CSV export reads too (value, type, comment columns), including its
// composite attributes such as "domain|ip" and "ip-dst|port", which give
// one record per part.
package csv

import (
	"bufio"
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Options tune Read.
type Options struct {
	// Comma is the field delimiter; 0 sniffs ',', ';' or tab.
	Comma rune
	// Type is used for rows without a type (no type column, or an empty
	// cell); Unknown means detect it from the value.
	Type indicator.Type
	// Source is written into every record (see indicator.Record.Source)
	// unless the file has a source column.
	Source string
	// Tags are added to every record.
	Tags []string
	// OnReject, if set, sees each rejected row as it happens.
	OnReject func(*indicator.LineError)
}

type role int

const (
	roleNone role = iota
	roleValue
	roleType
	roleDesc
	roleRef
	roleSource
	roleTags
)

var headerRoles = map[string]role{
	"indicator": roleValue, "indicator value": roleValue, "value": roleValue, "ioc": roleValue, "ioc value": roleValue,
	"observable": roleValue, "observable value": roleValue, "iocs": roleValue, "indicators": roleValue,
	"type": roleType, "indicator type": roleType, "ioc type": roleType, "kind": roleType, "observable type": roleType,
	"description": roleDesc, "desc": roleDesc, "comment": roleDesc, "comments": roleDesc, "note": roleDesc,
	"notes": roleDesc, "context": roleDesc,
	"reference": roleRef, "references": roleRef, "ref": roleRef, "report": roleRef, "link": roleRef,
	"source": roleSource, "feed": roleSource, "provider": roleSource,
	"tags": roleTags, "tag": roleTags, "labels": roleTags, "label": roleTags,
}

// layout is what the header told us about the columns.
type layout struct {
	value, typ, desc, ref, source, tags int // -1 when absent
	typed                               []typedColumn
}

type typedColumn struct {
	col int
	t   indicator.Type
}

func foldHeader(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '_' || r == '-' || r == '.' }), " ")
}

// parseHeader reports the layout a header row describes, or ok=false when
// the row does not look like a header.
func parseHeader(row []string) (layout, bool) {
	l := layout{value: -1, typ: -1, desc: -1, ref: -1, source: -1, tags: -1}
	var typed []typedColumn
	for i, h := range row {
		f := foldHeader(h)
		switch headerRoles[f] {
		case roleValue:
			if l.value < 0 {
				l.value = i
			}
			continue
		case roleType:
			l.typ = i
			continue
		case roleDesc:
			l.desc = i
			continue
		case roleRef:
			l.ref = i
			continue
		case roleSource:
			l.source = i
			continue
		case roleTags:
			l.tags = i
			continue
		}
		if t, ok := indicator.ParseTypeWord(f); ok && f != "" {
			typed = append(typed, typedColumn{i, t})
		}
	}
	if l.value < 0 {
		// "md5,sha256" is a header; "10.0.0.0/8,cidr" is a data row.
		for _, h := range row {
			if _, _, err := indicator.Detect(h); err == nil {
				return l, false
			}
		}
		l.typed = typed
	}
	return l, l.value >= 0 || len(l.typed) > 0
}

// sniffComma picks the delimiter that occurs most often, outside quotes, in
// the first line that is neither blank nor a comment.
func sniffComma(br *bufio.Reader) rune {
	buf, _ := br.Peek(64 << 10)
	for len(buf) > 0 {
		line := buf
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line, buf = buf[:i], buf[i+1:]
		} else {
			buf = nil
		}
		line = bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")))
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		counts := map[byte]int{}
		quoted := false
		for _, c := range line {
			switch {
			case c == '"':
				quoted = !quoted
			case !quoted && (c == ',' || c == ';' || c == '\t'):
				counts[c]++
			}
		}
		best, n := byte(','), 0
		for _, c := range []byte{',', ';', '\t'} {
			if counts[c] > n {
				best, n = c, counts[c]
			}
		}
		return rune(best)
	}
	return ','
}

// Read streams the CSV in r (name is used in messages), sending each new
// indicator to emit. Records may share their References slice: copy it
// before changing it. Bad rows are counted and described in the returned
// Summary and reading goes on; the error is non-nil only when the input
// cannot be read further or emit fails, and the Summary is valid even then.
func Read(r io.Reader, name string, opts Options, emit func(indicator.Record) error) (indicator.Summary, error) {
	col := indicator.NewCollector(name, emit, opts.OnReject)
	br := bufio.NewReaderSize(r, 64<<10)
	// A UTF-8 byte order mark would otherwise stick to the first header.
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	comma := opts.Comma
	if comma == 0 {
		comma = sniffComma(br)
	}
	cr := stdcsv.NewReader(br)
	cr.Comma = comma
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	var l layout
	haveLayout := false
	cache := &rowCache{words: map[string]indicator.Type{}}
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *stdcsv.ParseError
			if errors.As(err, &pe) {
				// encoding/csv resumes after the bad record; an unclosed
				// quote makes the rest of the file that record.
				col.Reject(pe.StartLine, "csv syntax", err)
				continue
			}
			return col.Summary(), fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if !haveLayout {
			haveLayout = true
			var ok bool
			if l, ok = parseHeader(row); ok {
				continue
			}
			// No header: the first row is data.
			l = layout{value: 0, typ: -1, desc: -1, ref: -1, source: -1, tags: -1}
			if len(row) > 1 {
				if _, ok := indicator.ParseTypeWord(row[1]); ok {
					l.typ = 1
				}
			}
		}
		if err := readRow(col, row, line, l, &opts, cache); err != nil {
			return col.Summary(), err
		}
	}
	return col.Summary(), nil
}

func cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

// rowCache keeps what consecutive rows usually share.
type rowCache struct {
	words map[string]indicator.Type // type words, folded once
	refs  []string
}

func readRow(col *indicator.Collector, row []string, line int, l layout, opts *Options, cache *rowCache) error {
	base := indicator.Record{
		Description: cell(row, l.desc),
		Source:      cell(row, l.source),
	}
	if base.Source == "" {
		base.Source = opts.Source
	}
	if ref := cell(row, l.ref); ref != "" {
		// Lists usually cite one report on every row; share its slice.
		if len(cache.refs) == 0 || cache.refs[0] != ref {
			cache.refs = []string{ref}
		}
		base.References = cache.refs
	}
	base.Tags = append(splitTags(cell(row, l.tags)), opts.Tags...)

	if len(l.typed) > 0 {
		found := false
		for _, tc := range l.typed {
			v := cell(row, tc.col)
			if v == "" {
				continue
			}
			found = true
			if err := add(col, base, line, tc.t, v, true); err != nil {
				return err
			}
		}
		if !found {
			col.Reject(line, "no value", fmt.Errorf("no indicator in any typed column"))
		}
		return nil
	}

	v := cell(row, l.value)
	if v == "" {
		col.Reject(line, "no value", fmt.Errorf("column %d (indicator) is empty", l.value+1))
		return nil
	}
	t, hinted := opts.Type, opts.Type != indicator.Unknown
	if w := cell(row, l.typ); strings.IndexByte(w, '|') > 0 {
		return addComposite(col, base, line, l, w, v)
	} else if w != "" {
		wt, ok := cache.words[w]
		if !ok {
			wt, _ = indicator.ParseTypeWord(w)
			if len(cache.words) < 1000 {
				cache.words[w] = wt
			}
		}
		if wt == indicator.Unknown {
			col.Reject(line, "unknown type", fmt.Errorf("column %d: unknown indicator type %q", l.typ+1, w))
			return nil
		}
		t, hinted = wt, true
	}
	return add(col, base, line, t, v, hinted)
}

func add(col *indicator.Collector, r indicator.Record, line int, t indicator.Type, v string, hinted bool) error {
	var err error
	if hinted {
		r.Type, r.Value, err = indicator.Coerce(t, v)
	} else {
		r.Type, r.Value, err = indicator.Detect(v)
	}
	if err != nil {
		col.Reject(line, "", err)
		return nil
	}
	return col.Add(r, line)
}

// addComposite reads MISP's composite attributes, where the type and the
// value name two things at once: "domain|ip" = "evil.example.com|203.0.113.5",
// "filename|md5", "ip-dst|port" = "203.0.113.5|443". Each part becomes a
// record; a port part becomes a "port:N" tag on the others.
func addComposite(col *indicator.Collector, base indicator.Record, line int, l layout, word, value string) error {
	words := strings.Split(word, "|")
	values := strings.Split(value, "|")
	if len(words) != len(values) {
		col.Reject(line, "bad composite", fmt.Errorf("type %q has %d parts, value %q has %d", word, len(words), value, len(values)))
		return nil
	}
	types := make([]indicator.Type, len(words))
	for i, w := range words {
		if strings.EqualFold(strings.TrimSpace(w), "port") {
			base.Tags = append(base.Tags[:len(base.Tags):len(base.Tags)], "port:"+strings.TrimSpace(values[i]))
			continue
		}
		t, ok := indicator.ParseTypeWord(w)
		if !ok {
			col.Reject(line, "unknown type", fmt.Errorf("column %d: unknown indicator type %q in %q", l.typ+1, w, word))
			return nil
		}
		types[i] = t
	}
	for i, t := range types {
		if t == indicator.Unknown {
			continue // the port
		}
		if err := add(col, base, line, t, values[i], true); err != nil {
			return err
		}
	}
	return nil
}

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Sniff reports whether head, the first bytes of a file, looks like a CSV
// indicator list this package reads: its first data line is a header
// naming an indicator column (or type-named columns). Importers that
// auto-detect formats should try the more specific readers (openioc,
// zeekintel, maltrail) first and fall back to intel/plain.
func Sniff(head []byte) bool {
	br := bufio.NewReader(bytes.NewReader(head))
	comma := sniffComma(br)
	cr := stdcsv.NewReader(br)
	cr.Comma = comma
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	row, err := cr.Read()
	if err != nil || len(row) < 2 {
		return false
	}
	l, ok := parseHeader(row)
	return ok && (l.value >= 0 || len(l.typed) > 0)
}
