package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxPathValues bounds the values one object path may select from one
// object. Real objects come nowhere near it; reference cycles under [*]
// would otherwise grow tenfold per step.
const maxPathValues = 1 << 16

// binaryValue is a property value decoded from a *_hex or *_bin property;
// it compares as bytes, not as text.
type binaryValue string

// vkind classifies a property value the way stix2-matcher's type tables do.
type vkind uint8

const (
	vOther vkind = iota // null, objects, lists: never equal or ordered
	vInt
	vFloat
	vString
	vBinary
	vBool
)

type value struct {
	kind vkind
	i    int64
	f    float64
	s    string
	b    bool
}

func classify(v any) value {
	switch x := v.(type) {
	case string:
		return value{kind: vString, s: x}
	case binaryValue:
		return value{kind: vBinary, s: string(x)}
	case bool:
		return value{kind: vBool, b: x}
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return value{kind: vInt, i: i}
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return value{}
		}
		return value{kind: vFloat, f: f}
	case float64:
		return value{kind: vFloat, f: x}
	case int:
		return value{kind: vInt, i: int64(x)}
	case int64:
		return value{kind: vInt, i: x}
	}
	return value{}
}

func (v value) num() float64 {
	if v.kind == vInt {
		return float64(v.i)
	}
	return v.f
}

func litValue(l literal) value {
	switch l.kind {
	case litInt:
		return value{kind: vInt, i: l.i}
	case litFloat:
		return value{kind: vFloat, f: l.f}
	case litString:
		return value{kind: vString, s: l.s}
	case litBool:
		return value{kind: vBool, b: l.b}
	case litBinary:
		return value{kind: vBinary, s: l.s}
	}
	return value{}
}

// evalTest evaluates one comparison against one root object: true when
// some value selected by the path passes. Like the reference matcher it
// stops at the first passing value, so an error in a later value goes
// unnoticed.
func (ev *evaluator) evalTest(t *propTest, o *Observation, root map[string]any) (bool, error) {
	vals, err := ev.selectPath(t.path, o, root)
	if err != nil {
		return false, err
	}
	if t.op == OpExists {
		return (len(vals) > 0) != t.not, nil
	}
	for _, v := range vals {
		ok, err := t.pass(v)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// selectPath follows the path's steps from root, dereferencing *_ref and
// *_refs and decoding *_hex and *_bin values on the way.
func (ev *evaluator) selectPath(p objectPath, o *Observation, root map[string]any) ([]any, error) {
	ev.pathValues = 0
	cur := append(ev.pathBuf[:0], any(root))
	next := ev.pathBuf2[:0]
	for _, s := range p.steps {
		next = next[:0]
		switch s.kind {
		case stepKey:
			for _, v := range cur {
				var x any
				switch m := v.(type) {
				case map[string]any:
					y, ok := m[s.key]
					if !ok {
						continue
					}
					x = y
				case map[string]string:
					y, ok := m[s.key]
					if !ok {
						continue
					}
					x = y
				default:
					continue
				}
				x, err := decodeSuffix(s.key, x)
				if err != nil {
					return nil, err
				}
				next = append(next, x)
			}
			var err error
			if next, err = ev.deref(s.key, next, o); err != nil {
				return nil, err
			}
		case stepIndex:
			for _, v := range cur {
				switch l := v.(type) {
				case []any:
					if s.index >= 0 && s.index < len(l) {
						next = append(next, l[s.index])
					}
				case []string:
					if s.index >= 0 && s.index < len(l) {
						next = append(next, l[s.index])
					}
				}
			}
		case stepStar:
			for _, v := range cur {
				switch l := v.(type) {
				case []any:
					next = append(next, l...)
				case []string:
					for _, x := range l {
						next = append(next, x)
					}
				}
				if ev.pathValues+len(next) > maxPathValues {
					break // reported just below
				}
			}
		}
		cur, next = next, cur
		// Reference cycles under [*] can multiply the values at every
		// step; the work counts against the step budget.
		ev.pathValues += len(cur)
		if !ev.tick(len(cur)) || ev.pathValues > maxPathValues {
			if ev.err == nil {
				ev.err = ErrTooComplex
			}
			ev.pathBuf, ev.pathBuf2 = cur[:0], next[:0]
			return nil, ev.err
		}
		if len(cur) == 0 {
			break
		}
	}
	ev.pathBuf, ev.pathBuf2 = cur, next
	return cur, nil
}

func decodeSuffix(key string, v any) (any, error) {
	switch {
	case strings.HasSuffix(key, "_hex"):
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("property %s: want a hex string, got %T", key, v)
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("property %s: %v", key, err)
		}
		return binaryValue(b), nil
	case strings.HasSuffix(key, "_bin"):
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("property %s: want a base64 string, got %T", key, v)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("property %s: %v", key, err)
		}
		return binaryValue(b), nil
	}
	return v, nil
}

func (o *Observation) resolve(id string) (any, bool) {
	if v, ok := o.Objects[id]; ok {
		return v, true
	}
	v, ok := o.Refs[id]
	return v, ok
}

// deref replaces references by the objects they name. Unresolvable
// references are dropped; a reference that is not a string is an error.
func (ev *evaluator) deref(key string, vals []any, o *Observation) ([]any, error) {
	switch {
	case strings.HasSuffix(key, "_ref"):
		out := vals[:0]
		for _, v := range vals {
			id, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("reference property %s holds %v, not a string", key, v)
			}
			if obj, ok := o.resolve(id); ok {
				out = append(out, obj)
			}
		}
		return out, nil
	case strings.HasSuffix(key, "_refs"):
		out := vals[:0]
		for _, v := range vals {
			var l []any
			switch x := v.(type) {
			case []any:
				l = x
			case []string:
				for _, id := range x {
					l = append(l, id)
				}
			default:
				return nil, fmt.Errorf("reference list property %s holds %v, not a list", key, v)
			}
			ev.pathValues += len(l)
			if !ev.tick(len(l)) || ev.pathValues > maxPathValues {
				if ev.err == nil {
					ev.err = ErrTooComplex
				}
				return nil, ev.err
			}
			var objs []any
			for _, r := range l {
				id, ok := r.(string)
				if !ok {
					return nil, fmt.Errorf("reference list property %s holds %v, not a string", key, v)
				}
				if obj, ok := o.resolve(id); ok {
					objs = append(objs, obj)
				}
			}
			if len(objs) > 0 {
				out = append(out, objs)
			}
		}
		return out, nil
	}
	return vals, nil
}

// pass applies the comparison to one value.
func (t *propTest) pass(raw any) (bool, error) {
	switch t.op {
	case OpEQ, OpNEQ:
		eq, err := t.equal(raw)
		if err != nil {
			return false, err
		}
		return eq != (t.op == OpNEQ) != t.not, nil
	case OpLT, OpLE, OpGT, OpGE:
		c, ok, err := t.compare(raw)
		if err != nil || !ok {
			// Incomparable types fail even under NOT, as in stix2-matcher.
			return false, err
		}
		var r bool
		switch t.op {
		case OpLT:
			r = c < 0 && c != cmpInvalid
		case OpLE:
			r = c <= 0 && c != cmpInvalid
		case OpGT:
			r = c > 0 && c != cmpInvalid
		case OpGE:
			r = c >= 0 && c != cmpInvalid
		}
		return r != t.not, nil
	case OpIn:
		in, err := t.inSet(raw)
		return in != t.not, err
	case OpLike, OpMatches:
		var s string
		switch v := raw.(type) {
		case string:
			s = norm.NFC.String(v)
		case binaryValue:
			if !t.m.binary {
				return t.not, nil
			}
			if t.op == OpLike {
				// The reference matcher decodes binary as UTF-8 for LIKE.
				if !utf8.ValidString(string(v)) {
					return false, fmt.Errorf("LIKE %s: binary value is not UTF-8", t.lit.text)
				}
				s = norm.NFC.String(string(v))
			} else {
				s = latin1(string(v))
			}
		default:
			return t.not, nil
		}
		return t.m.re.MatchString(s) != t.not, nil
	case OpIsSubset, OpIsSuperset:
		s, ok := raw.(string)
		if !ok {
			return t.not, nil
		}
		c, err := parseCIDR(s)
		if err != nil {
			return false, fmt.Errorf("%s %s: value %v", t.op, t.lit.text, err)
		}
		var r bool
		if t.op == OpIsSubset {
			r = t.cidr.contains(c)
		} else {
			r = c.contains(t.cidr)
		}
		return r != t.not, nil
	}
	return false, fmt.Errorf("unsupported operator %s", t.op)
}

// cmpInvalid marks a binary/string comparison the spec declares false.
const cmpInvalid = 2

// timeOf converts a JSON string for comparison with a timestamp literal.
func timeOf(raw any, lit literal) (time.Time, bool, error) {
	s, ok := raw.(string)
	if !ok {
		return time.Time{}, false, nil
	}
	tm, err := parseTimestamp(s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("comparing with %s: invalid timestamp in JSON %q", lit.text, s)
	}
	return tm, true, nil
}

func (t *propTest) equal(raw any) (bool, error) {
	if t.lit.kind == litTime {
		v, ok, err := timeOf(raw, t.lit)
		if err != nil || !ok {
			return false, err
		}
		return t.lit.t.Equal(v), nil
	}
	return equalValues(litValue(t.lit), classify(raw), true), nil
}

// equalValues is Python equality across the matcher's types; binStr allows
// the spec's string-to-binary comparison (used by =, not by IN).
func equalValues(a, b value, binStr bool) bool {
	switch {
	case (a.kind == vInt || a.kind == vFloat) && (b.kind == vInt || b.kind == vFloat):
		if a.kind == vInt && b.kind == vInt {
			return a.i == b.i
		}
		return a.num() == b.num()
	case a.kind == vString && b.kind == vString, a.kind == vBinary && b.kind == vBinary:
		return a.s == b.s
	case a.kind == vBool && b.kind == vBool:
		return a.b == b.b
	case binStr && a.kind == vBinary && b.kind == vString:
		s, ok := asLatin1Bytes(b.s)
		return ok && s == a.s
	case binStr && a.kind == vString && b.kind == vBinary:
		s, ok := asLatin1Bytes(a.s)
		return ok && s == b.s
	}
	return false
}

// compare orders the value against the literal: -1, 0, 1, or cmpInvalid
// for a string that cannot be read as binary. ok is false for types that
// have no order between them.
func (t *propTest) compare(raw any) (c int, ok bool, err error) {
	if t.lit.kind == litTime {
		v, ok, err := timeOf(raw, t.lit)
		if err != nil || !ok {
			return 0, false, err
		}
		return v.Compare(t.lit.t), true, nil
	}
	a, l := classify(raw), litValue(t.lit)
	switch {
	case (a.kind == vInt || a.kind == vFloat) && (l.kind == vInt || l.kind == vFloat):
		if a.kind == vInt && l.kind == vInt {
			return cmpInt(a.i, l.i), true, nil
		}
		x, y := a.num(), l.num()
		switch {
		case x < y:
			return -1, true, nil
		case x > y:
			return 1, true, nil
		case x == y:
			return 0, true, nil
		}
		return 0, false, nil // NaN
	case a.kind == vString && l.kind == vString, a.kind == vBinary && l.kind == vBinary:
		return strings.Compare(a.s, l.s), true, nil
	case a.kind == vBinary && l.kind == vString:
		s, ok := asLatin1Bytes(l.s)
		if !ok {
			return cmpInvalid, true, nil
		}
		return strings.Compare(a.s, s), true, nil
	case a.kind == vString && l.kind == vBinary:
		s, ok := asLatin1Bytes(a.s)
		if !ok {
			return cmpInvalid, true, nil
		}
		return strings.Compare(s, l.s), true, nil
	}
	return 0, false, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// inSet is Python's "value in set": no string/binary crossover, and JSON
// strings read as timestamps when the set holds timestamps.
func (t *propTest) inSet(raw any) (bool, error) {
	if len(t.set) == 0 {
		return false, nil
	}
	if t.set[0].kind == litTime {
		v, ok, err := timeOf(raw, t.set[0])
		if err != nil || !ok {
			return false, err
		}
		return slices.ContainsFunc(t.set, func(l literal) bool { return l.t.Equal(v) }), nil
	}
	v := classify(raw)
	if v.kind == vOther {
		return false, nil
	}
	for _, l := range t.set {
		if equalValues(litValue(l), v, false) {
			return true, nil
		}
	}
	return false, nil
}
