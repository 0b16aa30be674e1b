package zeek

import (
	"bytes"
	"fmt"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source/jsonscan"
)

// jsonscan rather than encoding/json: Zeek JSON records are flat objects
// (or nested one level for the "id" record), and walking them in place lets
// the decoder convert only the keys it maps, as on the TSV path.

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

func (r *Reader) decodeJSON(e *event.Event, line []byte) error {
	kind := r.jsonKindOf(line)
	r.startRecord(e)
	e.Kind = kind
	r.escaped = bytes.IndexByte(line, '\\') >= 0
	s := jsonscan.New(line)
	if err := r.walkObject(e, &s, jsonFieldMaps[kind], 0, 0); err != nil {
		return err
	}
	if s.Rest() {
		return fmt.Errorf("JSON: unexpected data after the object at byte %d", s.Pos())
	}
	return r.finish(e)
}

// jsonKindOf tells the log of a JSON record: its _path key, else the file
// name, else its keys (remembered for the rest of the file).
func (r *Reader) jsonKindOf(line []byte) event.Kind {
	if i := bytes.Index(line, []byte(`"_path"`)); i >= 0 {
		s := jsonscan.New(line[i+len(`"_path"`):])
		if s.Eat(':') {
			if v, esc, err := s.Str(); err == nil && !esc {
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
func (r *Reader) walkObject(e *event.Event, s *jsonscan.Scanner, fields map[string]field, prefix, depth int) error {
	if !s.Eat('{') {
		return s.Errorf("expected '{'")
	}
	if s.Eat('}') {
		return nil
	}
	for {
		key, esc, err := s.Key()
		if err != nil {
			return err
		}
		if esc {
			if r.jkey, err = jsonscan.AppendString(r.jkey[:prefix], key); err != nil {
				return s.Errorf("%v", err)
			}
		} else {
			r.jkey = append(r.jkey[:prefix], key...)
		}
		if c, _ := s.PeekByte(); c == '{' && depth < jsonscan.MaxDepth {
			r.jkey = append(r.jkey, '.')
			if err := r.walkObject(e, s, fields, len(r.jkey), depth+1); err != nil {
				return err
			}
		} else {
			kind, raw, esc, err := s.Value(depth + 1)
			if err != nil {
				return err
			}
			if f := fields[string(r.jkey)]; f != fSkip {
				if err := r.setJSON(e, f, kind, raw, esc, depth+1); err != nil {
					return fmt.Errorf("key %q: %v", clip(r.jkey), err)
				}
			}
		}
		if s.Eat('}') {
			return nil
		}
		if !s.Eat(',') {
			return s.Errorf("expected ',' or '}'")
		}
	}
}

// setJSON sets a mapped value; arrays set each string or number element.
func (r *Reader) setJSON(e *event.Event, f field, kind jsonscan.Kind, raw []byte, esc bool, depth int) error {
	switch kind {
	case jsonscan.String:
		return r.setJSONString(e, f, raw, esc)
	case jsonscan.Number:
		return r.set(e, f, raw)
	case jsonscan.Array:
		return jsonscan.Elements(raw, depth, func(s *jsonscan.Scanner) error {
			k, v, esc, err := s.Value(depth + 1)
			if err != nil {
				return err
			}
			switch k {
			case jsonscan.String:
				return r.setJSONString(e, f, v, esc)
			case jsonscan.Number:
				return r.set(e, f, v)
			}
			return nil
		})
	}
	return nil // null, booleans, nested objects too deep: nothing to map
}

func (r *Reader) setJSONString(e *event.Event, f field, raw []byte, esc bool) error {
	if esc {
		var err error
		if r.jstr, err = jsonscan.AppendString(r.jstr[:0], raw); err != nil {
			return err
		}
		raw = r.jstr
	}
	// Zeek escapes bytes in JSON strings as it does in TSV (\xNN, \\).
	return r.setTSV(e, f, raw)
}
