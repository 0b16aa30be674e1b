// Package plain reads plain indicator lists: one value per line, as
// blocklists are published and as IOC sections are pasted out of reports.
//
// Each line's first word is the value; its type is detected (see
// indicator.Detect) after refanging, so "hxxp://evil[.]com/x" and
// "evil [.] com" read as they should. The rest of the line, less a leading
// "#", "-" or "//", becomes the description. Blank lines, comment lines
// (starting with #, // or ;) and section headings (a line ending in ':'
// without a dot that is not itself an indicator, e.g. "C2 domains:") are
// not data.
// List bullets ("-", "*", "•", "1.", "2)") before a value are ignored, and
// an address written with its port ("203.0.113.5:8443") is the address
// with a "port:8443" tag.
//
// With Options.Type set, every non-comment line is taken whole as a value
// of that type, which is how user-agent and cookie lists are read.
package plain

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/intel/indicator"
)

// Options tune Read.
type Options struct {
	// Type, when not Unknown, is the type of every value, and each line
	// is one value (spaces included).
	Type indicator.Type
	// Source, References and Tags are copied into every record.
	Source     string
	References []string
	Tags       []string
	// OnReject, if set, sees each rejected line as it happens.
	OnReject func(*indicator.LineError)
}

// maxLineBytes bounds one line; longer lines are rejected, not buffered.
const maxLineBytes = 64 << 10

// Read streams the list in r (name is used in messages), sending each new
// indicator to emit. Bad lines are counted and described in the returned
// Summary and reading goes on; the error is non-nil only when r fails or
// emit does, and the Summary is valid even then.
func Read(r io.Reader, name string, opts Options, emit func(indicator.Record) error) (indicator.Summary, error) {
	col := indicator.NewCollector(name, emit, opts.OnReject)
	br := bufio.NewReaderSize(r, maxLineBytes)
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
			if err == io.EOF {
				break
			}
			if err != nil {
				return col.Summary(), fmt.Errorf("%s:%d: %w", name, line, err)
			}
			continue
		}
		if len(raw) > 0 {
			if line == 1 {
				raw = []byte(strings.TrimPrefix(string(raw), "\ufeff"))
			}
			if e := readLine(col, string(raw), line, &opts); e != nil {
				return col.Summary(), e
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return col.Summary(), fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	return col.Summary(), nil
}

func isComment(s string) bool {
	return s == "" || s[0] == '#' || s[0] == ';' || strings.HasPrefix(s, "//")
}

func readLine(col *indicator.Collector, s string, line int, opts *Options) error {
	s = strings.TrimSpace(s)
	if isComment(s) {
		return nil
	}
	rec := indicator.Record{Source: opts.Source, References: opts.References, Tags: opts.Tags}
	var err error
	if opts.Type != indicator.Unknown {
		rec.Type, rec.Value, err = indicator.Coerce(opts.Type, s)
		if err != nil {
			col.Reject(line, "", err)
			return nil
		}
		return col.Add(rec, line)
	}

	s = stripBullet(indicator.Refang(s))
	value, rest := s, ""
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		value, rest = s[:i], strings.TrimSpace(s[i+1:])
	}
	if value[0] == '+' && rest != "" {
		// "+86 138 0000 0000": a phone number written with spaces.
		if t, v, err := indicator.Detect(s); err == nil && t == indicator.Phone {
			rec.Type, rec.Value = t, v
			return col.Add(rec, line)
		}
	}
	if ap, ok := addrPort(value); ok {
		// "203.0.113.5:8443": the address, with the port as a tag.
		rec.Tags = append(rec.Tags[:len(rec.Tags):len(rec.Tags)], "port:"+strconv.Itoa(int(ap.Port())))
		value = ap.Addr().String()
	}
	rec.Type, rec.Value, err = indicator.Detect(value)
	if err != nil {
		if strings.HasSuffix(s, ":") && strings.IndexByte(s, '.') < 0 {
			return nil // a section heading such as "C2 servers:"; "evil.com:" is not one
		}
		col.Reject(line, "", err)
		return nil
	}
	rec.Description = strings.TrimSpace(trimAnyPrefix(rest, "#", "//", "-", "–", "—"))
	return col.Add(rec, line)
}

func trimAnyPrefix(s string, prefixes ...string) string {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return s[len(p):]
		}
	}
	return s
}

// stripBullet removes a list marker before the value.
func stripBullet(s string) string {
	for _, b := range []string{"- ", "* ", "• ", "+ "} {
		if strings.HasPrefix(s, b) {
			return strings.TrimSpace(s[len(b):])
		}
	}
	// "12. value" or "3) value"
	i := 0
	for i < len(s) && i < 4 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(s) && (s[i] == '.' || s[i] == ')') && (s[i+1] == ' ' || s[i+1] == '\t') {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}

// addrPort parses "203.0.113.5:8443" or "[2001:db8::1]:443". The cheap
// checks first spare netip its error value on every other line.
func addrPort(s string) (netip.AddrPort, bool) {
	if len(s) < 4 || s[len(s)-1] < '0' || s[len(s)-1] > '9' || strings.IndexByte(s, ':') < 0 {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(s)
	return ap, err == nil
}
