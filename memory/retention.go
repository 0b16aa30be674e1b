package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/umbra-cti/umbra/telemetry/event"
)

const policyName = "retention.json"

// Policy is how much history the memory keeps. Zero fields mean no limit.
type Policy struct {
	MaxAge   time.Duration
	MaxBytes int64
}

// policyFile is the form of retention.json: an age a person can read.
type policyFile struct {
	MaxAge   string `json:"max_age,omitempty"` // Go duration, e.g. "2160h0m0s"
	MaxBytes int64  `json:"max_bytes,omitempty"`
}

// Policy returns the stored retention policy (zero when none was set).
func (s *Store) Policy() (Policy, error) {
	var p Policy
	b, err := os.ReadFile(filepath.Join(s.dir, policyName))
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("memory: %w", err)
	}
	var pf policyFile
	if err := json.Unmarshal(b, &pf); err != nil {
		return p, fmt.Errorf("memory: %s: %w", filepath.Join(s.dir, policyName), err)
	}
	if pf.MaxAge != "" {
		if p.MaxAge, err = time.ParseDuration(pf.MaxAge); err != nil || p.MaxAge < 0 {
			return p, fmt.Errorf("memory: %s: bad max_age %q", filepath.Join(s.dir, policyName), pf.MaxAge)
		}
	}
	p.MaxBytes = pf.MaxBytes
	return p, nil
}

// SetPolicy stores p in the memory directory.
func (s *Store) SetPolicy(p Policy) error {
	if p.MaxAge < 0 || p.MaxBytes < 0 {
		return fmt.Errorf("memory: negative retention %v / %d bytes", p.MaxAge, p.MaxBytes)
	}
	pf := policyFile{MaxBytes: p.MaxBytes}
	if p.MaxAge > 0 {
		pf.MaxAge = p.MaxAge.String()
	}
	b, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeAtomic(policyName, append(b, '\n'))
}

// Enforce drops, oldest first, the segments whose events are all older
// than now - MaxAge, then more until the memory fits MaxBytes. It returns
// how many segments and bytes it dropped. Events without a time count as
// the oldest.
func (s *Store) Enforce(now time.Time) (segments int, bytes int64, err error) {
	p, err := s.Policy()
	if err != nil {
		return 0, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var total int64
	for _, sg := range s.segs {
		total += sg.Bytes
	}
	drop := make(map[*seg]bool)
	// s.segs is ordered by MinT: the oldest come first.
	for _, sg := range s.segs {
		old := p.MaxAge > 0 && sg.MaxT < now.Add(-p.MaxAge).UnixNano()
		big := p.MaxBytes > 0 && total > p.MaxBytes
		if !old && !big {
			continue
		}
		drop[sg] = true
		total -= sg.Bytes
		segments++
		bytes += sg.Bytes
	}
	if segments == 0 {
		return 0, 0, nil
	}
	return segments, bytes, s.replace(drop, nil)
}

// replace commits a manifest without the dropped segments and with the
// added ones, then deletes the dropped files. A crash before the deletes
// leaves files the next Open removes as uncommitted.
func (s *Store) replace(drop map[*seg]bool, add []*seg) error {
	keep := make([]*seg, 0, len(s.segs)+len(add))
	for _, sg := range s.segs {
		if !drop[sg] {
			keep = append(keep, sg)
		}
	}
	keep = append(keep, add...)
	if err := s.commit(keep, s.cps); err != nil {
		return err
	}
	s.segs = keep
	s.sortSegs()
	for sg := range drop {
		os.Remove(filepath.Join(s.dir, sg.Name))
	}
	return nil
}

// Compact merges, within each day, segments smaller than a quarter of the
// segment size into bigger ones, so that many small flushes do not leave
// many small files. It returns how many segments it merged away.
func (s *Store) Compact(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// compactDay borrows the pending list; the background writer must
	// not add to it meanwhile.
	if err := s.waitSpills(); err != nil {
		return 0, err
	}
	small := uint64(s.opts.SegmentEvents / 4)
	groups := make(map[int64][]*seg)
	for _, sg := range s.segs {
		if sg.Events < small {
			groups[sg.Day] = append(groups[sg.Day], sg)
		}
	}
	days := make([]int64, 0, len(groups))
	for d, g := range groups {
		if len(g) > 1 {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	merged := 0
	for _, d := range days {
		if err := ctx.Err(); err != nil {
			return merged, err
		}
		n, err := s.compactDay(d, groups[d])
		merged += n
		if err != nil {
			return merged, err
		}
	}
	return merged, nil
}

func (s *Store) compactDay(day int64, group []*seg) (int, error) {
	dec, err := newDecoder()
	if err != nil {
		return 0, err
	}
	defer dec.Close()
	enc, err := newEncoder(s.opts.CompactLevel)
	if err != nil {
		return 0, err
	}
	defer enc.Close()
	ingestEnc := s.enc
	s.enc = enc
	defer func() { s.enc = ingestEnc }()
	var (
		b         builder
		e         event.Event
		raw, file []byte
		out       []*seg
	)
	// Events of one day go through a fresh builder; spill is reused to
	// write the merged segments, but they join the manifest here, not at
	// the next Flush, so they are taken off the pending list.
	pendingBefore := len(s.pending)
	cleanup := func() {
		for _, sg := range s.pending[pendingBefore:] {
			os.Remove(filepath.Join(s.dir, sg.Name))
		}
		s.pending = s.pending[:pendingBefore]
	}
	for _, sg := range group {
		path := filepath.Join(s.dir, sg.Name)
		if file, err = readInto(path, file); err != nil {
			cleanup()
			return 0, fmt.Errorf("memory: compact %s: %w", path, err)
		}
		var sd *segment
		if sd, raw, err = decodeSegment(file, dec, raw, false); err != nil {
			cleanup()
			return 0, fmt.Errorf("memory: compact %s: %w", path, err)
		}
		for {
			ok, err := sd.next(&e)
			if err != nil {
				cleanup()
				return 0, fmt.Errorf("memory: compact %s: %w", path, err)
			}
			if !ok {
				break
			}
			ns, err := eventNanos(&e)
			if err != nil {
				cleanup()
				return 0, err
			}
			b.add(&e, ns)
			if b.n >= s.opts.SegmentEvents {
				if err := s.spill(day, &b); err != nil {
					cleanup()
					return 0, err
				}
			}
		}
	}
	if err := s.spill(day, &b); err != nil {
		cleanup()
		return 0, err
	}
	out = append(out, s.pending[pendingBefore:]...)
	s.pending = s.pending[:pendingBefore]
	drop := make(map[*seg]bool, len(group))
	for _, sg := range group {
		drop[sg] = true
	}
	if err := s.replace(drop, out); err != nil {
		for _, sg := range out {
			os.Remove(filepath.Join(s.dir, sg.Name))
		}
		return 0, err
	}
	return len(group) - len(out), nil
}

// ParseAge parses a retention age: Go durations ("36h") or whole days ("90d").
func ParseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(d, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("bad age %q: want days like 90d or a duration like 36h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad age %q: want days like 90d or a duration like 36h", s)
	}
	return v, nil
}

// ParseBytes parses a size such as 50GB, 512MiB or 1000000 (bytes).
func ParseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
	}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || n*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("bad size %q: want a number with an optional unit such as 50GB or 512MiB", s)
	}
	return int64(n * float64(mult)), nil
}
