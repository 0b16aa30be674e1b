// Package jsonscan walks one JSON text in place, for the telemetry decoders
// whose records are JSON objects (Zeek JSON logs, Suricata EVE).
//
// A decoder walks a record key by key and converts only the values it maps,
// without building maps or reflecting over structs: decoding then costs
// about one pass over the bytes. The scanner validates the syntax of
// everything it passes over; it does not check UTF-8.
package jsonscan

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of JSON values.
const (
	Invalid Kind = iota
	String
	Number
	Bool
	Null
	Array
	Object
)

// MaxDepth bounds nesting, so that hostile input cannot recurse deeply.
const MaxDepth = 32

// Scanner is a cursor over one JSON text.
type Scanner struct {
	b []byte
	i int
}

// New returns a Scanner at the start of b.
func New(b []byte) Scanner { return Scanner{b: b} }

// Pos is the byte offset of the cursor.
func (s *Scanner) Pos() int { return s.i }

// Rest reports whether anything but whitespace is left.
func (s *Scanner) Rest() bool {
	s.SkipSpace()
	return s.i < len(s.b)
}

// PeekByte returns the next byte without consuming it, after whitespace.
func (s *Scanner) PeekByte() (byte, bool) {
	s.SkipSpace()
	if s.i < len(s.b) {
		return s.b[s.i], true
	}
	return 0, false
}

// Errorf returns an error that says where the cursor is.
func (s *Scanner) Errorf(format string, args ...any) error {
	return fmt.Errorf("JSON: byte %d: %s", s.i, fmt.Sprintf(format, args...))
}

// SkipSpace moves past JSON whitespace.
func (s *Scanner) SkipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Eat consumes c if it is the next byte after whitespace.
func (s *Scanner) Eat(c byte) bool {
	s.SkipSpace()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// Str reads a string and returns its raw content (between the quotes) and
// whether it has escapes, to be decoded with AppendString.
func (s *Scanner) Str() (raw []byte, escaped bool, err error) {
	if !s.Eat('"') {
		if s.i >= len(s.b) {
			return nil, false, s.Errorf("unexpected end of input")
		}
		return nil, false, s.Errorf("expected a string")
	}
	start := s.i
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			s.i = j + 1
			return s.b[start:j], escaped, nil
		case c < 0x20:
			s.i = j
			return nil, false, s.Errorf("control character in string")
		}
	}
	s.i = len(s.b)
	return nil, false, s.Errorf("unterminated string")
}

// Key reads an object key and the colon after it.
func (s *Scanner) Key() (raw []byte, escaped bool, err error) {
	raw, escaped, err = s.Str()
	if err == nil && !s.Eat(':') {
		err = s.Errorf("expected ':'")
	}
	return raw, escaped, err
}

// Value reads any value. For strings raw is the content between the
// quotes; for the other kinds it is the value's text. depth is the nesting
// of the value, checked against MaxDepth.
func (s *Scanner) Value(depth int) (kind Kind, raw []byte, escaped bool, err error) {
	s.SkipSpace()
	if s.i >= len(s.b) {
		return Invalid, nil, false, s.Errorf("unexpected end of input")
	}
	if depth > MaxDepth {
		return Invalid, nil, false, s.Errorf("nested too deeply")
	}
	start := s.i
	switch c := s.b[s.i]; c {
	case '"':
		raw, escaped, err = s.Str()
		return String, raw, escaped, err
	case '{', '[':
		kind, end := Object, byte('}')
		if c == '[' {
			kind, end = Array, ']'
		}
		s.i++
		if s.Eat(end) {
			return kind, s.b[start:s.i], false, nil
		}
		for {
			if kind == Object {
				if _, _, err := s.Key(); err != nil {
					return Invalid, nil, false, err
				}
			}
			if _, _, _, err := s.Value(depth + 1); err != nil {
				return Invalid, nil, false, err
			}
			if s.Eat(end) {
				return kind, s.b[start:s.i], false, nil
			}
			if !s.Eat(',') {
				return Invalid, nil, false, s.Errorf("expected ',' or '%c'", end)
			}
		}
	case 't':
		return s.literal("true", Bool)
	case 'f':
		return s.literal("false", Bool)
	case 'n':
		return s.literal("null", Null)
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
		return Invalid, nil, false, s.Errorf("unexpected character %q", s.b[start])
	}
	return Number, s.b[start:s.i], false, nil
}

func (s *Scanner) literal(word string, kind Kind) (Kind, []byte, bool, error) {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return Invalid, nil, false, s.Errorf("invalid literal")
	}
	s.i += len(word)
	return kind, s.b[s.i-len(word) : s.i], false, nil
}

// Elements calls fn for each element of the array whose text (from Value)
// is raw, with a scanner positioned at the element; fn must consume it.
func Elements(raw []byte, depth int, fn func(s *Scanner) error) error {
	s := New(raw)
	if !s.Eat('[') {
		return s.Errorf("expected '['")
	}
	if s.Eat(']') {
		return nil
	}
	for {
		if depth > MaxDepth {
			return s.Errorf("nested too deeply")
		}
		if err := fn(&s); err != nil {
			return err
		}
		if s.Eat(']') {
			return nil
		}
		if !s.Eat(',') {
			return s.Errorf("expected ',' or ']'")
		}
	}
}

// ErrBadEscape reports a malformed escape in a string.
var ErrBadEscape = errors.New("JSON: bad escape in string")

// AppendString appends the decoded content of a string whose raw content
// (from Str or Value) had escapes.
func AppendString(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(raw) {
			return dst, ErrBadEscape
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
				return dst, ErrBadEscape
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
			return dst, ErrBadEscape
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
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}
