package zeek

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// A hand-written scanner rather than encoding/json: Zeek JSON records are
// flat objects (or nested one level for the "id" record), and walking them
// in place lets the decoder convert only the keys it maps, as on the TSV
// path.

// jsonFieldMaps holds, per log kind, every key that kind maps.
var jsonFieldMaps = func() map[event.Kind]map[string]field {
	m := map[event.Kind]map[string]field{}
	for k := event.KindUnknown; k <= event.KindGeneric; k++ {
		merged := map[string]field{}
		for n, f := range commonFields {
			merged[n] = f
		}
		for n, f := range kindFields[k] {
			merged[n] = f
		}
		m[k] = merged
	}
	return m
}()

// maxJSONDepth bounds nesting so that hostile input cannot recurse deeply.
const maxJSONDepth = 32

func (r *Reader) decodeJSON(e *event.Event, line []byte) error {
	kind := r.jsonKindOf(line)
	r.startRecord(e)
	e.Kind = kind
	r.escaped = bytes.IndexByte(line, '\\') >= 0
	s := jscan{b: line}
	if err := r.walkObject(e, &s, jsonFieldMaps[kind], 0, 0); err != nil {
		return err
	}
	s.skipWS()
	if s.i != len(s.b) {
		return fmt.Errorf("JSON: unexpected data after the object at byte %d", s.i)
	}
	return r.finish(e)
}

// jsonKindOf tells the log of a JSON record: its _path key, else the file
// name, else its keys (remembered for the rest of the file).
func (r *Reader) jsonKindOf(line []byte) event.Kind {
	if i := bytes.Index(line, []byte(`"_path"`)); i >= 0 {
		s := jscan{b: line, i: i + len(`"_path"`)}
		s.skipWS()
		if s.i < len(s.b) && s.b[s.i] == ':' {
			s.i++
			s.skipWS()
			if v, esc, err := s.str(); err == nil && !esc {
				return kindOfPath(string(v))
			}
		}
	}
	if r.nameKind != event.KindUnknown {
		return r.nameKind
	}
	if r.jsonKind == event.KindUnknown {
		r.jsonKind = inferKind(func(n string) bool { return hasKey(line, n) })
	}
	return r.jsonKind
}

// hasKey reports whether "name" appears quoted in line, either as a flat
// key or as the last part of a nested one.
func hasKey(line []byte, name string) bool {
	for off := 0; ; {
		i := bytes.Index(line[off:], []byte(name))
		if i < 0 {
			return false
		}
		i += off
		j := i + len(name)
		if i > 0 && (line[i-1] == '"' || line[i-1] == '.') && j < len(line) && line[j] == '"' {
			return true
		}
		off = j
	}
}

// walkObject reads the object at s and sets the mapped fields, flattening
// nested objects into dotted keys ("id": {"orig_h": ...} is id.orig_h).
func (r *Reader) walkObject(e *event.Event, s *jscan, fields map[string]field, prefix, depth int) error {
	s.skipWS()
	if !s.eat('{') {
		return s.errorf("expected '{'")
	}
	s.skipWS()
	if s.eat('}') {
		return nil
	}
	for {
		s.skipWS()
		key, esc, err := s.str()
		if err != nil {
			return err
		}
		if esc {
			if r.jkey, err = appendJSONString(r.jkey[:prefix], key); err != nil {
				return s.errorf("%v", err)
			}
		} else {
			r.jkey = append(r.jkey[:prefix], key...)
		}
		s.skipWS()
		if !s.eat(':') {
			return s.errorf("expected ':'")
		}
		s.skipWS()
		if s.i < len(s.b) && s.b[s.i] == '{' && depth < maxJSONDepth {
			r.jkey = append(r.jkey, '.')
			if err := r.walkObject(e, s, fields, len(r.jkey), depth+1); err != nil {
				return err
			}
		} else {
			kind, raw, esc, err := s.value(depth + 1)
			if err != nil {
				return err
			}
			if f := fields[string(r.jkey)]; f != fSkip {
				if err := r.setJSON(e, f, kind, raw, esc); err != nil {
					return fmt.Errorf("key %q: %v", clip(r.jkey), err)
				}
			}
		}
		s.skipWS()
		if s.eat('}') {
			return nil
		}
		if !s.eat(',') {
			return s.errorf("expected ',' or '}'")
		}
	}
}

// setJSON sets a mapped value; arrays set each string or number element.
func (r *Reader) setJSON(e *event.Event, f field, kind byte, raw []byte, esc bool) error {
	switch kind {
	case 's':
		return r.setJSONString(e, f, raw, esc)
	case 'n':
		return r.set(e, f, raw)
	case 'a':
		s := jscan{b: raw}
		s.eat('[')
		s.skipWS()
		if s.eat(']') {
			return nil
		}
		for {
			k, v, esc, err := s.value(1)
			if err != nil {
				return err
			}
			switch k {
			case 's':
				err = r.setJSONString(e, f, v, esc)
			case 'n':
				err = r.set(e, f, v)
			}
			if err != nil {
				return err
			}
			s.skipWS()
			if s.eat(']') {
				return nil
			}
			if !s.eat(',') {
				return s.errorf("expected ',' or ']'")
			}
		}
	}
	return nil // null, booleans, nested objects too deep: nothing to map
}

func (r *Reader) setJSONString(e *event.Event, f field, raw []byte, esc bool) error {
	if esc {
		var err error
		if r.jstr, err = appendJSONString(r.jstr[:0], raw); err != nil {
			return err
		}
		raw = r.jstr
	}
	// Zeek escapes bytes in JSON strings as it does in TSV (\xNN, \\).
	return r.setTSV(e, f, raw)
}

// jscan is a cursor over one JSON text.
type jscan struct {
	b []byte
	i int
}

func (s *jscan) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON: byte %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *jscan) skipWS() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string at the cursor and returns its raw content (between
// the quotes) and whether it contains escapes.
func (s *jscan) str() ([]byte, bool, error) {
	if !s.eat('"') {
		return nil, false, s.errorf("expected a string")
	}
	start, esc := s.i, false
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			esc = true
			j++
		case c == '"':
			s.i = j + 1
			return s.b[start:j], esc, nil
		case c < 0x20:
			s.i = j
			return nil, false, s.errorf("control character in string")
		}
	}
	s.i = len(s.b)
	return nil, false, s.errorf("unterminated string")
}

// value reads any value at the cursor. kind is 's' string (raw content),
// 'n' number, 'a' array, 'o' object, 'b' boolean, 'z' null.
func (s *jscan) value(depth int) (kind byte, raw []byte, esc bool, err error) {
	s.skipWS()
	if s.i >= len(s.b) {
		return 0, nil, false, s.errorf("unexpected end of input")
	}
	if depth > maxJSONDepth {
		return 0, nil, false, s.errorf("nested too deeply")
	}
	start := s.i
	switch c := s.b[s.i]; c {
	case '"':
		raw, esc, err = s.str()
		return 's', raw, esc, err
	case '{', '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		s.i++
		s.skipWS()
		if s.eat(end) {
			return kindOf(c), s.b[start:s.i], false, nil
		}
		for {
			if c == '{' {
				s.skipWS()
				if _, _, err := s.str(); err != nil {
					return 0, nil, false, err
				}
				s.skipWS()
				if !s.eat(':') {
					return 0, nil, false, s.errorf("expected ':'")
				}
			}
			if _, _, _, err := s.value(depth + 1); err != nil {
				return 0, nil, false, err
			}
			s.skipWS()
			if s.eat(end) {
				return kindOf(c), s.b[start:s.i], false, nil
			}
			if !s.eat(',') {
				return 0, nil, false, s.errorf("expected ',' or '%c'", end)
			}
		}
	case 't':
		return s.literal("true", 'b')
	case 'f':
		return s.literal("false", 'b')
	case 'n':
		return s.literal("null", 'z')
	}
	digits := 0
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
	}
	if digits == 0 {
		return 0, nil, false, s.errorf("unexpected character %q", s.b[start])
	}
	return 'n', s.b[start:s.i], false, nil
}

func kindOf(open byte) byte {
	if open == '{' {
		return 'o'
	}
	return 'a'
}

func (s *jscan) literal(word string, kind byte) (byte, []byte, bool, error) {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return 0, nil, false, s.errorf("invalid literal")
	}
	s.i += len(word)
	return kind, s.b[s.i-len(word) : s.i], false, nil
}

var errBadEscape = errors.New("JSON: bad escape in string")

// appendJSONString appends the decoded content of a JSON string.
func appendJSONString(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(raw) {
			return dst, errBadEscape
		}
		switch raw[i] {
		case '"', '\\', '/':
			dst = append(dst, raw[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r1, ok := hex4(raw[i+1:])
			if !ok {
				return dst, errBadEscape
			}
			i += 4
			if utf16.IsSurrogate(r1) {
				if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if r2, ok := hex4(raw[i+3:]); ok {
						if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
							dst = utf8.AppendRune(dst, r)
							i += 6
							continue
						}
					}
				}
				r1 = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r1)
		default:
			return dst, errBadEscape
		}
	}
	return dst, nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}
