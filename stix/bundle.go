package stix

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ObjectError reports one bad object in a stream. The stream itself is
// intact, so the reader can go on to the next object.
type ObjectError struct {
	Index int    // 0-based position in the objects array
	ID    string // the object's id when it could be read
	Err   error
}

func (e *ObjectError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("object %d (%s): %v", e.Index, e.ID, e.Err)
	}
	return fmt.Sprintf("object %d: %v", e.Index, e.Err)
}

func (e *ObjectError) Unwrap() error { return e.Err }

// Reader streams the objects of a STIX bundle, a TAXII envelope, a JSON
// array of objects or a single object, without holding them all in memory.
type Reader struct {
	src    io.Reader
	dec    *json.Decoder
	sc     *elementScanner // the objects array's elements (state 1)
	comma  bool            // an element was read: ',' or ']' comes next
	state  int             // 0 start, 1 inside objects array, 2 done
	index  int
	single json.RawMessage
	top    bool
	// BundleID is the id of the bundle once it has been read (it may follow
	// the objects array, in which case it is known only at the end).
	BundleID string
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	br := bufio.NewReaderSize(r, 1<<16)
	return &Reader{src: br, dec: json.NewDecoder(br)}
}

// Offset is the input byte offset reached so far, for error messages.
func (r *Reader) Offset() int64 {
	if r.sc != nil {
		return r.sc.offset()
	}
	return r.dec.InputOffset()
}

// enterArray hands the stream, just past the objects array's '[', to the
// element scanner.
func (r *Reader) enterArray() {
	r.sc = newElementScanner(io.MultiReader(r.dec.Buffered(), r.src), r.Offset())
	r.state = 1
}

// Next returns the next object. It returns io.EOF at the end, an
// *ObjectError for an object that is well-formed JSON but not a valid STIX
// object (the caller may continue), and any other error for input that
// cannot be read further.
func (r *Reader) Next() (Object, error) {
	switch r.state {
	case 0:
		if err := r.start(); err != nil {
			r.state = 2
			return Object{}, err
		}
		if r.single != nil {
			raw := r.single
			r.single = nil
			r.state = 2
			o, err := Parse(raw)
			if err != nil {
				return o, &ObjectError{Index: 0, ID: o.ID, Err: err}
			}
			r.index++
			return o, nil
		}
		if r.state == 2 {
			return Object{}, io.EOF
		}
		return r.Next()
	case 1:
		c, err := r.sc.peek()
		if err != nil {
			r.state = 2
			return Object{}, err
		}
		if c == ']' {
			r.sc.r++
			r.state = 3
			if err := r.finishTop(); err != nil {
				r.state = 2
				return Object{}, err
			}
			r.state = 2
			return Object{}, io.EOF
		}
		if r.comma {
			if c != ',' {
				r.state = 2
				return Object{}, fmt.Errorf("offset %d: expected ',' or ']' after object %d, found %q", r.Offset(), r.index-1, c)
			}
			r.sc.r++
		}
		at := r.Offset()
		el, err := r.sc.element()
		if err != nil {
			r.state = 2
			return Object{}, err
		}
		r.comma = true
		i := r.index
		r.index++
		o, err := parseCompact(append([]byte(nil), el...))
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Not JSON at all: nothing after it can be trusted.
			r.state = 2
			return Object{}, fmt.Errorf("offset %d: object %d: %w", at+se.Offset, i, se)
		}
		if err != nil {
			return o, &ObjectError{Index: i, ID: o.ID, Err: err}
		}
		return o, nil
	default:
		return Object{}, io.EOF
	}
}

func (r *Reader) syntax(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("offset %d: %w", r.Offset(), err)
}

// start reads up to the first element of the objects array.
func (r *Reader) start() error {
	tok, err := r.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("empty input: no STIX content")
		}
		return r.syntax(err)
	}
	switch tok {
	case json.Delim('['):
		r.top = false
		r.enterArray()
		return nil
	case json.Delim('{'):
	default:
		return fmt.Errorf("offset %d: expected a JSON object or array, found %v", r.Offset(), tok)
	}
	// Walk the top-level object's keys until "objects"; remember the others
	// in case this is a single STIX object rather than a container.
	fields := map[string]json.RawMessage{}
	for r.dec.More() {
		kt, err := r.dec.Token()
		if err != nil {
			return r.syntax(err)
		}
		key, _ := kt.(string)
		if key == "objects" {
			t, err := r.dec.Token()
			if err != nil {
				return r.syntax(err)
			}
			if t != json.Delim('[') {
				return fmt.Errorf("offset %d: \"objects\" is not an array", r.Offset())
			}
			if typ, ok := fields["type"]; ok && string(typ) != `"bundle"` {
				return fmt.Errorf("top-level object of type %s has \"objects\"; expected a bundle", typ)
			}
			r.noteBundleID(fields)
			r.top = true
			r.enterArray()
			return nil
		}
		var v json.RawMessage
		if err := r.dec.Decode(&v); err != nil {
			return r.syntax(err)
		}
		fields[key] = v
	}
	if _, err := r.dec.Token(); err != nil { // }
		return r.syntax(err)
	}
	if typ, ok := fields["type"]; ok && string(typ) == `"bundle"` {
		r.noteBundleID(fields)
		r.state = 2 // a bundle without objects
		return nil
	}
	if _, ok := fields["type"]; !ok {
		if _, more := fields["more"]; more {
			r.state = 2 // an empty TAXII envelope
			return nil
		}
		return fmt.Errorf("top-level JSON object has neither \"type\" nor \"objects\"")
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	r.single = raw
	return nil
}

func (r *Reader) noteBundleID(fields map[string]json.RawMessage) {
	if id, ok := fields["id"]; ok {
		_ = json.Unmarshal(id, &r.BundleID)
	}
}

// finishTop reads the rest of the container after the objects array.
func (r *Reader) finishTop() error {
	if !r.top {
		return nil
	}
	for {
		c, err := r.sc.peek()
		if err != nil {
			return err
		}
		switch c {
		case '}':
			r.sc.r++
			return nil
		case ',':
			r.sc.r++
		default:
			return fmt.Errorf("offset %d: expected ',' or '}' after the objects array, found %q", r.Offset(), c)
		}
		if _, err := r.sc.peek(); err != nil {
			return err
		}
		at := r.Offset()
		k, err := r.sc.element()
		var key string
		if err == nil && json.Unmarshal(k, &key) != nil {
			err = fmt.Errorf("offset %d: expected a property name", at)
		}
		if err != nil {
			return err
		}
		if c, err := r.sc.peek(); err != nil || c != ':' {
			return fmt.Errorf("offset %d: expected ':' after %q", r.Offset(), key)
		}
		r.sc.r++
		if _, err := r.sc.peek(); err != nil {
			return err
		}
		at = r.Offset()
		v, err := r.sc.element()
		if err != nil {
			return err
		}
		if !json.Valid(v) {
			return fmt.Errorf("offset %d: %q is not valid JSON", at, key)
		}
		if key == "id" {
			_ = json.Unmarshal(v, &r.BundleID)
		}
	}
}

// Writer streams objects into a STIX 2.1 bundle.
type Writer struct {
	w      *bufio.Writer
	n      int
	closed bool
	err    error
}

// NewWriter starts a bundle with a fresh id on w.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriterSize(w, 1<<16)
	_, err := fmt.Fprintf(bw, "{\"type\":\"bundle\",\"id\":%q,\"objects\":[", NewID("bundle"))
	return &Writer{w: bw, err: err}
}

// Write appends one object to the bundle.
func (w *Writer) Write(o Object) error {
	if w.err != nil {
		return w.err
	}
	if w.n > 0 {
		w.err = w.w.WriteByte(',')
	}
	w.w.WriteByte('\n')
	_, w.err = w.w.Write(o.Raw)
	w.n++
	return w.err
}

// Count is the number of objects written so far.
func (w *Writer) Count() int { return w.n }

// Close ends the bundle and flushes it. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if _, err := w.w.WriteString("\n]}\n"); err != nil {
		return err
	}
	return w.w.Flush()
}
