package stix

import (
	"errors"
	"fmt"
	"io"
)

// elementScanner cuts the elements of a JSON array out of a stream and
// compacts them in the same pass. Going through encoding/json's Decoder
// for each element, then Parse's own passes, read every byte of a bundle
// seven times (BenchmarkReader); this reads it once, and Parse's single
// Unmarshal checks what it cut.
//
// It only tracks strings and nesting; whether an element is valid JSON is
// decided by the Unmarshal that follows, which the Reader treats as fatal
// when the element is not JSON at all.
type elementScanner struct {
	src  io.Reader
	buf  []byte
	r, w int
	off  int64 // input offset of buf[0]
	eof  error
	out  []byte // scratch for the element being cut
}

// maxElementBytes bounds one element, so that a stream that never closes a
// brace cannot take all memory.
const maxElementBytes = 256 << 20

func newElementScanner(src io.Reader, base int64) *elementScanner {
	return &elementScanner{src: src, buf: make([]byte, 1<<16), off: base}
}

// offset is the input offset of the next unread byte.
func (s *elementScanner) offset() int64 { return s.off + int64(s.r) }

// fill reads more input; false at the end (s.eof says why).
func (s *elementScanner) fill() bool {
	if s.eof != nil {
		return false
	}
	if s.r > 0 {
		n := copy(s.buf, s.buf[s.r:s.w])
		s.off += int64(s.r)
		s.r, s.w = 0, n
	}
	for s.w < len(s.buf) {
		n, err := s.src.Read(s.buf[s.w:])
		s.w += n
		if err != nil {
			s.eof = err
			break
		}
		if n > 0 {
			break
		}
	}
	return s.w > s.r
}

func (s *elementScanner) fail() error {
	if s.eof != nil && !errors.Is(s.eof, io.EOF) {
		return s.eof
	}
	return fmt.Errorf("offset %d: %w", s.offset(), io.ErrUnexpectedEOF)
}

// peek skips whitespace and returns the next byte without consuming it.
func (s *elementScanner) peek() (byte, error) {
	for {
		for s.r < s.w {
			switch c := s.buf[s.r]; c {
			case ' ', '\t', '\r', '\n':
				s.r++
			default:
				return c, nil
			}
		}
		if !s.fill() {
			return 0, s.fail()
		}
	}
}

// element cuts the next value out of the stream, compacted. The slice is
// valid until the next call.
func (s *elementScanner) element() ([]byte, error) {
	s.out = s.out[:0]
	depth := 0
	inString, escaped := false, false
	started := false
	for {
		if s.r >= s.w && !s.fill() {
			if started && depth == 0 && !inString {
				return s.out, nil // a scalar at the very end
			}
			return nil, s.fail()
		}
		chunk := s.buf[s.r:s.w]
		i := 0
		for ; i < len(chunk); i++ {
			c := chunk[i]
			if inString {
				s.out = append(s.out, c)
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
					if depth == 0 {
						s.r += i + 1
						return s.out, nil
					}
				}
				continue
			}
			switch c {
			case ' ', '\t', '\r', '\n':
				if started && depth == 0 {
					s.r += i
					return s.out, nil
				}
				continue
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				if depth == 0 {
					// the end of the enclosing array or object
					s.r += i
					if !started {
						return nil, fmt.Errorf("offset %d: unexpected %q", s.offset(), c)
					}
					return s.out, nil
				}
				depth--
			case ',':
				if depth == 0 {
					s.r += i
					if !started {
						return nil, fmt.Errorf("offset %d: unexpected ','", s.offset())
					}
					return s.out, nil
				}
			}
			started = true
			s.out = append(s.out, c)
			if depth == 0 && (c == '}' || c == ']') {
				s.r += i + 1
				return s.out, nil
			}
		}
		s.r += i
		if len(s.out) > maxElementBytes {
			return nil, fmt.Errorf("offset %d: an element larger than %d bytes", s.offset(), maxElementBytes)
		}
	}
}
