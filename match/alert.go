package match

import (
	"bufio"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/stix"
	"github.com/umbra-cti/umbra/telemetry/event"
)

// Alert is one sighting as `umbra match` prints it, one JSON object per
// line. Scripts rely on the JSON names; keep them stable.
type Alert struct {
	Time   time.Time `json:"ts"` // event time, printed in UTC with milliseconds
	UID    string    `json:"uid"`
	Sensor string    `json:"sensor"`
	Where  string    `json:"where"`
	// Host is our side of the event (event.Event.OurSide): the internal address or
	// the account the alert is about.
	Host          string            `json:"host,omitempty"`
	Indicator     string            `json:"indicator"` // the observed value
	IndicatorType string            `json:"indicator_type"`
	Matched       string            `json:"matched"` // the indicator value that matched it
	IndicatorIDs  []string          `json:"indicator_ids"`
	Sources       []string          `json:"sources"`
	Actors        []indicator.Actor `json:"actors"`
	// Pattern and Related are set by multi-observation rules (Complex):
	// the rule that fired and the earlier observations that completed it.
	Pattern string        `json:"pattern,omitempty"`
	Related []Observation `json:"related,omitempty"`
	// TLP is the narrowest marking of the intel that raised the alert,
	// stamped by whoever records it (the snapshot does not know markings;
	// see sighting/alertlog). It is written only when above clear, so an
	// unstamped alert prints as before.
	TLP stix.TLP `json:"tlp,omitempty"`
}

// Observation is an earlier event that contributed to a Complex alert.
type Observation struct {
	Time      time.Time `json:"ts"`
	UID       string    `json:"uid"`
	Where     string    `json:"where"`
	Indicator string    `json:"indicator"`
}

// Alert returns the alert for hit h found in ev, with its provenance.
func (s *Snapshot) Alert(ev *event.Event, h Hit) Alert {
	a := Alert{
		Time:          ev.Time,
		UID:           ev.UID,
		Sensor:        ev.Sensor,
		Where:         h.Where,
		Host:          ev.OurSide(),
		Indicator:     h.ObservedValue(),
		IndicatorType: h.Type.String(),
		Matched:       h.MatchedValue(),
		IndicatorIDs:  []string{},
		Sources:       []string{},
		Actors:        []indicator.Actor{},
	}
	ids, sources, actors := s.prov.record(h.ref)
	for _, w := range ids {
		a.IndicatorIDs = append(a.IndicatorIDs, string(s.prov.appendID(nil, w)))
	}
	for _, w := range sources {
		a.Sources = append(a.Sources, s.prov.strs[w])
	}
	for _, w := range actors {
		a.Actors = append(a.Actors, s.prov.actors[w])
	}
	return a
}

// MarshalJSON encodes a as AppendJSON does.
func (a Alert) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil), nil }

// AppendJSON appends a as one JSON object (no newline) to dst.
func (a *Alert) AppendJSON(dst []byte) []byte {
	dst = appendHead(dst, a.Time, a.UID, true, a.Sensor, a.Where)
	if a.Host != "" {
		dst = append(dst, `,"host":`...)
		dst = appendString(dst, a.Host)
	}
	dst = append(dst, `,"indicator":`...)
	dst = appendString(dst, a.Indicator)
	dst = append(dst, `,"indicator_type":`...)
	dst = appendString(dst, a.IndicatorType)
	dst = append(dst, `,"matched":`...)
	dst = appendString(dst, a.Matched)
	dst = append(dst, `,"indicator_ids":[`...)
	for i, id := range a.IndicatorIDs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, id)
	}
	dst = append(dst, `],"sources":[`...)
	for i, src := range a.Sources {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, src)
	}
	dst = append(dst, `],"actors":[`...)
	for i, act := range a.Actors {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendActor(dst, act)
	}
	dst = append(dst, ']')
	if a.Pattern != "" {
		dst = append(dst, `,"pattern":`...)
		dst = appendString(dst, a.Pattern)
	}
	if len(a.Related) > 0 {
		dst = append(dst, `,"related":[`...)
		for i, o := range a.Related {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHead(dst, o.Time, o.UID, false, "", o.Where)
			dst = append(dst, `,"indicator":`...)
			dst = appendString(dst, o.Indicator)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if a.TLP != stix.TLPClear {
		dst = append(dst, `,"tlp":`...)
		dst = appendString(dst, a.TLP.String())
	}
	return append(dst, '}')
}

// AppendAlertJSON appends the alert for hit h in ev as JSON, byte for byte
// what s.Alert(ev, h).AppendJSON would, without building the Alert: the
// encoding reads the provenance table directly and does not allocate
// (apart from growing dst, and formatting an address for address hits).
func (s *Snapshot) AppendAlertJSON(dst []byte, ev *event.Event, h Hit) []byte {
	dst = appendHead(dst, ev.Time, ev.UID, true, ev.Sensor, h.Where)
	dst = append(dst, `,"indicator":`...)
	if h.Addr.IsValid() {
		dst = append(dst, '"')
		dst = h.Addr.AppendTo(dst)
		dst = append(dst, '"')
	} else {
		dst = appendString(dst, h.Observed)
	}
	dst = append(dst, `,"indicator_type":`...)
	dst = appendString(dst, h.Type.String())
	dst = append(dst, `,"matched":`...)
	switch {
	case h.Prefix.IsValid():
		dst = append(dst, '"')
		if h.Type == indicator.CIDR {
			dst = h.Prefix.AppendTo(dst)
		} else {
			dst = h.Prefix.Addr().AppendTo(dst)
		}
		dst = append(dst, '"')
	case h.Matched != "":
		dst = appendString(dst, h.Matched)
	default:
		dst = appendLowerHex(dst, h.Observed)
	}
	ids, sources, actors := s.prov.record(h.ref)
	dst = append(dst, `,"indicator_ids":[`...)
	for i, w := range ids {
		if i > 0 {
			dst = append(dst, ',')
		}
		if w&otherIDBit != 0 {
			dst = appendString(dst, s.prov.otherIDs[w&^otherIDBit])
		} else {
			dst = append(dst, '"')
			dst = s.prov.appendID(dst, w) // hex and dashes need no escaping
			dst = append(dst, '"')
		}
	}
	dst = append(dst, `],"sources":[`...)
	for i, w := range sources {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s.prov.strs[w])
	}
	dst = append(dst, `],"actors":[`...)
	for i, w := range actors {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendActor(dst, s.prov.actors[w])
	}
	return append(dst, "]}"...)
}

const tsLayout = "2006-01-02T15:04:05.000Z"

// appendHead opens an alert object; observations have no sensor field.
func appendHead(dst []byte, t time.Time, uid string, withSensor bool, sensor, where string) []byte {
	dst = append(dst, `{"ts":"`...)
	dst = t.UTC().AppendFormat(dst, tsLayout)
	dst = append(dst, `","uid":`...)
	dst = appendString(dst, uid)
	if withSensor {
		dst = append(dst, `,"sensor":`...)
		dst = appendString(dst, sensor)
	}
	dst = append(dst, `,"where":`...)
	return appendString(dst, where)
}

func appendActor(dst []byte, a indicator.Actor) []byte {
	dst = append(dst, `{"name":`...)
	dst = appendString(dst, a.Name)
	dst = append(dst, `,"confidence":`...)
	dst = strconv.AppendInt(dst, int64(a.Confidence), 10)
	return append(dst, '}')
}

// safeASCII marks the bytes that appear verbatim inside a JSON string.
// '<', '>' and '&' are escaped as encoding/json does, so that alerts stay
// inert when pasted into HTML.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does: indicator values and event fields are hostile.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendLowerHex appends a hex digest lowercased as a JSON string; digests
// are reported in their canonical spelling. Hits on digests only come from
// values that decoded as hex, so nothing needs escaping.
func appendLowerHex(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// Writer writes alerts as JSON lines through a buffer. It is not safe for
// concurrent use; give each goroutine its own or serialise the calls.
type Writer struct {
	w   *bufio.Writer
	buf []byte
}

// NewWriter returns a Writer on w. Call Flush when done.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 1024)}
}

// Write writes one alert line.
func (w *Writer) Write(a *Alert) error {
	w.buf = append(a.AppendJSON(w.buf[:0]), '\n')
	_, err := w.w.Write(w.buf)
	return err
}

// WriteHit writes the alert line for hit h in ev without building an
// Alert; this is the path `umbra match` takes for every hit.
func (w *Writer) WriteHit(s *Snapshot, ev *event.Event, h Hit) error {
	w.buf = append(s.AppendAlertJSON(w.buf[:0], ev, h), '\n')
	_, err := w.w.Write(w.buf)
	return err
}

// Flush writes any buffered lines to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }
