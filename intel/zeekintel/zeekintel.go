// Package zeekintel reads Zeek Intel framework input files: the
// tab-separated files loaded with Intel::read_files, headed by a line such
// as
//
//	#fields	indicator	indicator_type	meta.source	meta.desc	meta.url
//
// The reader accepts what Zeek's ASCII input reader accepts, so a file it
// takes is a file a sensor would take:
//
//   - the first line that is not a comment must be the "#fields" header, and
//     it must name indicator, indicator_type and meta.source (Zeek refuses
//     the whole file otherwise); other columns (meta.do_notice,
//     meta.if_in, ...) may appear in any order and are ignored;
//   - other lines starting with '#' are comments;
//   - fields are separated by single tabs; "-" is an unset field and
//     "(empty)" an empty one; \xHH escapes are decoded;
//   - indicator_type must be a fully qualified Intel::Type name
//     (Intel::ADDR, not ADDR); a line with too few fields, an unknown type
//     or an unset required field is skipped, as Zeek skips it.
//
// Like Zeek, the reader skips blank lines, removes a trailing CR, does not
// count a trailing empty field ("a\tb\t" has two fields, as C++ getline
// splits it), and reads a second "#fields" line as a data line (which then
// fails on its type).
//
// Intel types map to indicator types as ADDR→IPv4/IPv6, SUBNET→CIDR,
// DOMAIN, URL (Zeek writes URLs without a scheme; http:// is assumed),
// EMAIL, SOFTWARE→UserAgent (Zeek matches it against HTTP user-agents),
// CERT_HASH→CertSHA1 (or CertSHA256 by length), FILE_HASH→MD5/SHA1/SHA256
// by length, FILE_NAME, and Intel::JA3 / Intel::JA3S / Intel::JA4, which
// the widely used JA3/JA4 Zeek packages add. USER_NAME and PUBKEY_HASH have
// no indicator type yet and are rejected with that reason. Lines with
// meta.remove=T (removals) or meta.whitelist=T (allowlist entries) are not
// indicators and are rejected with their own reasons.
package zeekintel

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Options tune Read.
type Options struct {
	// Tags are added to every record.
	Tags []string
	// OnReject, if set, sees each rejected line as it happens.
	OnReject func(*indicator.LineError)
}

// intelTypes maps Zeek's Intel::Type names to indicator types.
var intelTypes = map[string]indicator.Type{
	"Intel::ADDR":      indicator.IPv4,
	"Intel::SUBNET":    indicator.CIDR,
	"Intel::URL":       indicator.URL,
	"Intel::SOFTWARE":  indicator.UserAgent,
	"Intel::EMAIL":     indicator.Email,
	"Intel::DOMAIN":    indicator.Domain,
	"Intel::CERT_HASH": indicator.CertSHA1,
	"Intel::FILE_HASH": indicator.MD5,
	"Intel::FILE_NAME": indicator.FileName,
	"Intel::JA3":       indicator.JA3,
	"Intel::JA3S":      indicator.JA3S,
	"Intel::JA4":       indicator.JA4,
	// Valid in Zeek, but umbra has no type for them.
	"Intel::USER_NAME":   indicator.Unknown,
	"Intel::PUBKEY_HASH": indicator.Unknown,
}

// IntelType returns the Zeek Intel::Type name for an indicator type, and
// false when Zeek has none. Exporters use it to write files this package
// (and Zeek) reads.
func IntelType(t indicator.Type) (string, bool) {
	switch t {
	case indicator.IPv4, indicator.IPv6:
		return "Intel::ADDR", true
	case indicator.CIDR:
		return "Intel::SUBNET", true
	case indicator.URL:
		return "Intel::URL", true
	case indicator.UserAgent:
		return "Intel::SOFTWARE", true
	case indicator.Email:
		return "Intel::EMAIL", true
	case indicator.Domain:
		return "Intel::DOMAIN", true
	case indicator.CertSHA1, indicator.CertSHA256:
		return "Intel::CERT_HASH", true
	case indicator.MD5, indicator.SHA1, indicator.SHA256, indicator.SHA512:
		return "Intel::FILE_HASH", true
	case indicator.FileName:
		return "Intel::FILE_NAME", true
	}
	return "", false
}

const (
	unsetField = "-"
	emptyField = "(empty)"
)

type columns struct {
	indicator, typ, source, desc, url, remove, whitelist int // -1 when absent
	need                                                 int // fields a line must have
}

// maxLineBytes bounds one line; longer lines are rejected, not buffered.
const maxLineBytes = 64 << 10

// Read streams the Zeek intel file in r (name is used in messages),
// sending each new indicator to emit. Bad lines are counted and described
// in the returned Summary and reading goes on. The error is non-nil when
// the file has no usable #fields header (Zeek would load nothing from it),
// when r fails, or when emit does; the Summary is valid even then.
func Read(r io.Reader, name string, opts Options, emit func(indicator.Record) error) (indicator.Summary, error) {
	col := indicator.NewCollector(name, emit, opts.OnReject)
	br := bufio.NewReaderSize(r, maxLineBytes)
	var cols *columns
	line := 0
	for {
		raw, err := br.ReadSlice('\n')
		if len(raw) > 0 || err == nil {
			line++
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			col.Reject(line, "line too long", fmt.Errorf("line longer than %d bytes", maxLineBytes))
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return col.Summary(), fmt.Errorf("%s:%d: %w", name, line, err)
			}
			if err == io.EOF {
				break
			}
			continue
		}
		if err != nil && err != io.EOF {
			return col.Summary(), fmt.Errorf("%s:%d: %w", name, line, err)
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
		switch {
		case s == "":
		case strings.HasPrefix(s, "#fields\t") && len(s) > len("#fields\t"):
			if cols != nil {
				// Zeek's reader hands a later #fields line on as data.
				if e := readLine(col, s[len("#fields\t"):], line, cols, &opts); e != nil {
					return col.Summary(), e
				}
				break
			}
			c, herr := parseFields(s[len("#fields\t"):])
			if herr != nil {
				return col.Summary(), fmt.Errorf("%s:%d: %v", name, line, herr)
			}
			cols = c
		case s[0] == '#':
		case cols == nil:
			return col.Summary(), fmt.Errorf("%s:%d: data before the #fields header", name, line)
		default:
			if e := readLine(col, s, line, cols, &opts); e != nil {
				return col.Summary(), e
			}
		}
		if err == io.EOF {
			break
		}
	}
	if cols == nil && line > 0 {
		return col.Summary(), fmt.Errorf("%s: no #fields header", name)
	}
	return col.Summary(), nil
}

func parseFields(h string) (*columns, error) {
	c := &columns{indicator: -1, typ: -1, source: -1, desc: -1, url: -1, remove: -1, whitelist: -1}
	for i, f := range strings.Split(h, "\t") {
		p := map[string]*int{"indicator": &c.indicator, "indicator_type": &c.typ, "meta.source": &c.source,
			"meta.desc": &c.desc, "meta.url": &c.url, "meta.remove": &c.remove, "meta.whitelist": &c.whitelist}[f]
		if p != nil {
			*p = i
		}
	}
	for _, req := range []struct {
		name string
		pos  int
	}{{"indicator", c.indicator}, {"indicator_type", c.typ}, {"meta.source", c.source}} {
		if req.pos < 0 {
			return nil, fmt.Errorf("#fields does not name the required field %s", req.name)
		}
	}
	for _, p := range []int{c.indicator, c.typ, c.source, c.desc, c.url, c.remove, c.whitelist} {
		if p+1 > c.need {
			c.need = p + 1
		}
	}
	return c, nil
}

// field returns column i decoded, and whether it is set.
func field(parts []string, i int) (string, bool) {
	if i < 0 || i >= len(parts) || parts[i] == unsetField {
		return "", false
	}
	if parts[i] == emptyField {
		return "", true
	}
	return unescape(parts[i]), true
}

// unescape decodes the \xHH escapes Zeek's ASCII format uses.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if hi, ok := unhex(s[i+2]); ok {
				if lo, ok := unhex(s[i+3]); ok {
					b.WriteByte(hi<<4 | lo)
					i += 3
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func readLine(col *indicator.Collector, s string, line int, c *columns, opts *Options) error {
	parts := strings.Split(s, "\t")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1] // getline yields no empty last field
	}
	if len(parts) < c.need {
		col.Reject(line, "not enough fields", fmt.Errorf("%d fields, the #fields header needs %d", len(parts), c.need))
		return nil
	}
	value, ok1 := field(parts, c.indicator)
	typeName, ok2 := field(parts, c.typ)
	source, ok3 := field(parts, c.source)
	if !ok1 || !ok2 || !ok3 {
		col.Reject(line, "unset required field", fmt.Errorf("indicator, indicator_type and meta.source must be set"))
		return nil
	}
	t, known := intelTypes[typeName]
	if !known {
		col.Reject(line, "unknown type", fmt.Errorf("%q is not an Intel::Type", typeName))
		return nil
	}
	if t == indicator.Unknown {
		col.Reject(line, "unsupported type", fmt.Errorf("%s has no umbra indicator type", typeName))
		return nil
	}
	if v, _ := field(parts, c.remove); v == "T" {
		col.Reject(line, "removal entry", fmt.Errorf("meta.remove=T removes %q; it is not an indicator", value))
		return nil
	}
	if v, _ := field(parts, c.whitelist); v == "T" {
		col.Reject(line, "allowlist entry", fmt.Errorf("meta.whitelist=T allowlists %q; it is not an indicator", value))
		return nil
	}
	rec := indicator.Record{Source: source, Tags: opts.Tags}
	rec.Description, _ = field(parts, c.desc)
	if u, ok := field(parts, c.url); ok && u != "" {
		rec.References = []string{u}
	}
	var err error
	if rec.Type, rec.Value, err = indicator.Coerce(t, value); err != nil {
		col.Reject(line, "", err)
		return nil
	}
	return col.Add(rec, line)
}

// Sniff reports whether head, the first bytes of a file, looks like a
// Zeek intel file: a "#fields" header naming indicator_type.
func Sniff(head []byte) bool {
	for _, l := range strings.Split(string(head), "\n") {
		if strings.HasPrefix(l, "#fields\t") {
			return strings.Contains(l, "\tindicator_type")
		}
		if l != "" && l[0] != '#' {
			return false
		}
	}
	return false
}
