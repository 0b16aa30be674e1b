// Package eve decodes Suricata EVE JSON (one JSON object per line) into
// normalised events.
//
// flow and netflow records become KindConn, dns KindDNS (EVE DNS formats
// v1, v2 and v3), tls and quic KindTLS, http KindHTTP, fileinfo KindFile,
// smtp KindSMTP, alert KindAlert and anomaly KindWeird; any other event type is
// KindGeneric with its 5-tuple. Application-layer objects are mapped
// whatever the event type, so an alert carrying "http" or "tls" metadata
// keeps its host name, SNI and hashes.
package eve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

func init() {
	source.Register(source.FormatEVE, func(r io.Reader, name string) (source.Decoder, error) { return NewReader(r, name), nil })
}

// Reader decodes one EVE stream. It is not safe for concurrent use.
type Reader struct {
	name  string
	lines *source.LineReader
	err   error
	stats source.Stats
	rec   recordState
	key   []byte // the dotted path of the current key
	str   []byte // scratch for decoded strings
}

// NewReader returns a Reader for r; name is used in error messages.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, lines: source.NewLineReader(r)}
}

// Stats returns the counts of good and bad records so far.
func (r *Reader) Stats() source.Stats { return r.stats }

// Next decodes the next record into e. It returns io.EOF at the end, a
// *source.RecordError for a bad record that was skipped (call Next again),
// or another error when the input cannot be read.
func (r *Reader) Next(e *event.Event) error {
	for {
		if r.err != nil {
			return r.err
		}
		line, err := r.lines.Next()
		if errors.Is(err, source.ErrLineTooLong) {
			return r.bad("%v", err)
		}
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("%s:%d: %w", r.name, r.lines.Line()+1, err)
			}
			r.err = err
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := r.decode(e, line); err != nil {
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

// timeLayout is EVE's timestamp: microseconds and a numeric zone
// without a colon ("2018-05-24T12:00:00.123456+0000").
const timeLayout = "2006-01-02T15:04:05.999999999-0700"

// protoNumber maps EVE's protocol names; Suricata writes the number for
// protocols it has no name for.
func protoNumber(s string) uint8 {
	switch strings.ToUpper(s) {
	case "TCP":
		return 6
	case "UDP":
		return 17
	case "ICMP":
		return 1
	case "IPV6-ICMP", "ICMPV6":
		return 58
	case "SCTP":
		return 132
	}
	if n, err := strconv.ParseUint(s, 10, 8); err == nil {
		return uint8(n)
	}
	return 0
}

// serial turns EVE's "00:C7:D4:28" into Zeek's form, "C7D428": upper-case
// hex without separators or leading zeros, so that both match the same
// indicator.
func serial(s string) string {
	s = strings.ToUpper(strings.ReplaceAll(s, ":", ""))
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

// fingerprint turns EVE's colon-separated SHA-1 into plain lowercase hex.
func fingerprint(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, ":", ""))
}

func appendCookieNames(dst []string, header string) []string {
	for _, pair := range strings.Split(header, ";") {
		name, _, _ := strings.Cut(pair, "=")
		if name = strings.TrimSpace(name); name != "" {
			dst = append(dst, name)
		}
	}
	return dst
}

// appendAddrs appends the addresses of "Name <a@b>" or "<a@b>" values.
func appendAddrs(dst []string, vals ...string) []string {
	for _, v := range vals {
		if i := strings.LastIndexByte(v, '<'); i >= 0 {
			v = v[i+1:]
			if j := strings.IndexByte(v, '>'); j >= 0 {
				v = v[:j]
			}
		}
		if v = strings.TrimSpace(v); v != "" {
			dst = append(dst, v)
		}
	}
	return dst
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
