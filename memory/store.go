// Package memory is umbra's network memory: months of normalised telemetry
// kept in compressed, columnar, time-partitioned segments, so that a hunt can
// re-run detection over history whenever intel changes.
//
// Events are buffered per UTC day, column by column, and written as
// immutable segment files (dictionary-encoded strings, 16-byte addresses,
// delta-encoded times, zstd). Each segment carries statistics — time range,
// address range and a bloom filter over its domains, SNI, hosts, hashes and
// fingerprints — so that Scan skips segments that cannot match. A full
// segment is encoded and written by a background goroutine while Append
// fills the next one.
//
// A MANIFEST file, replaced atomically (write, fsync, rename, fsync dir),
// is the commit point: it names the live segments and the per-source
// checkpoints. Segment files not in it are leftovers of an interrupted
// flush and are removed on Open, so after a crash at any point every event
// whose Flush returned is there exactly once, and a source re-read from its
// checkpoint is not stored twice. An ingest can also make every segment
// cut a commit point (SetCutHook, Cut): the cut's segments and the
// checkpoint of the events before it are committed together once the
// background writer has written them, so a crash in the middle of a long
// file costs a segment or two of work, never a duplicate.
package memory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/umbra-cti/umbra/telemetry/event"
)

const (
	dirName        = "memory"
	manifestName   = "MANIFEST"
	lockName       = "LOCK"
	quarantineName = "quarantine"
	segExt         = ".seg"
	tmpExt         = ".tmp"
	dayNanos       = int64(24 * time.Hour)

	// DefaultSegmentEvents is how many events of one day are buffered
	// before they are written out as a segment.
	DefaultSegmentEvents = 1 << 20
)

// Options tune a Store; the zero value gives the defaults.
type Options struct {
	// SegmentEvents bounds the events of one segment, and so the memory
	// one partition's buffer takes (roughly 60 bytes an event).
	SegmentEvents int
	// Level is the zstd level of segment data as it is ingested. The
	// default is the fastest level (with entropy coding of every
	// literal, see newEncoder): on the simulated studio's Zeek logs it
	// is both smaller and 2.5 to 5 times cheaper than the default level.
	Level zstd.EncoderLevel
	// CompactLevel is the zstd level of segments rewritten by Compact:
	// history is written once and read by every hunt, so it gets the
	// slower, tighter level (about 15% smaller on generated traffic).
	CompactLevel zstd.EncoderLevel
}

// Store is the network memory in one data directory. Its methods are safe
// for concurrent use; only one process may open a directory at a time.
type Store struct {
	dir  string
	opts Options
	lock *os.File

	mu      sync.Mutex
	segs    []*seg // committed, ordered by MinT
	pending []*seg // written but not yet in the manifest
	parts   map[int64]*builder
	lastDay int64
	lastB   *builder
	seq     uint64
	cps     map[string]Checkpoint // committed
	staged  map[string]Checkpoint // committed with the next Flush
	// cutHook, when set, is asked at every segment cut for the checkpoint
	// of the events appended before the cut; cuts holds those checkpoints,
	// oldest first, until the cut's segments are written and it is
	// committed with them.
	cutHook  func() (Checkpoint, bool)
	cuts     []cutPoint
	problems []Problem
	closed   bool

	enc *zstd.Encoder
	eb  encBuf // the buffers of segments written on the caller's goroutine
	bg  *spiller

	// wrap lets tests put a failing writer (a full disk) under every file
	// the store writes.
	wrap func(io.Writer) io.Writer
}

// seg is one committed or pending segment.
type seg struct {
	segMeta
	st  segStats
	seq uint64 // the sequence number in its name: the order it was cut in
}

// cutPoint is a staged cut: its checkpoint covers the events of every
// segment numbered up to seq, and no event of a later one.
type cutPoint struct {
	cp  Checkpoint
	seq uint64
}

// maxCuts bounds the cuts staged while the background writer is still
// writing their segments: the memory their tails hold, and how far the
// committed state may lag behind the ingest.
const maxCuts = 2

// segMeta is a segment's entry in the manifest.
type segMeta struct {
	Name   string `json:"name"`
	Events uint64 `json:"events"`
	Bytes  int64  `json:"bytes"`
	MinT   int64  `json:"min_ns"`
	MaxT   int64  `json:"max_ns"`
	Day    int64  `json:"day"` // days since 1970-01-01 UTC: the partition
}

type manifest struct {
	Version     int                   `json:"version"`
	Seq         uint64                `json:"seq"`
	Segments    []segMeta             `json:"segments"`
	Checkpoints map[string]Checkpoint `json:"checkpoints,omitempty"`
}

// ErrInUse says another process (an ingest, a hunt) has the memory open.
// ReadStats still works then.
var ErrInUse = errors.New("in use by another process")

// ReadStats returns the committed contents of the memory under dataDir
// from its manifest alone, without taking the directory: for a status
// command while an ingest runs. It does not check the segments.
func ReadStats(dataDir string) (Stats, error) {
	path := filepath.Join(dataDir, dirName, manifestName)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Stats{}, nil
	}
	if err != nil {
		return Stats{}, fmt.Errorf("memory: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Stats{}, fmt.Errorf("memory: %s: %w", path, err)
	}
	s := &Store{}
	for _, sm := range m.Segments {
		s.segs = append(s.segs, &seg{segMeta: sm})
	}
	return s.Stats(), nil
}

// Problem is a segment that Open or Scan found damaged and moved to the
// quarantine directory (or could not find at all).
type Problem struct {
	Segment    string `json:"segment"`
	Err        string `json:"error"`
	Quarantine string `json:"quarantine,omitempty"` // where it was moved
}

// Open opens (creating if needed) the network memory under dataDir/memory.
func Open(dataDir string) (*Store, error) { return OpenOptions(dataDir, Options{}) }

// OpenOptions is Open with options.
func OpenOptions(dataDir string, opts Options) (*Store, error) {
	if opts.SegmentEvents <= 0 {
		opts.SegmentEvents = DefaultSegmentEvents
	}
	if opts.Level == 0 {
		opts.Level = zstd.SpeedFastest
	}
	if opts.CompactLevel == 0 {
		opts.CompactLevel = zstd.SpeedBetterCompression
	}
	dir := filepath.Join(dataDir, dirName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("memory: %s: %w (%v)", dir, ErrInUse, err)
	}
	enc, err := newEncoder(opts.Level)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s := &Store{
		dir: dir, opts: opts, lock: lock, enc: enc,
		parts: make(map[int64]*builder), lastDay: math.MinInt64,
		cps: make(map[string]Checkpoint), staged: make(map[string]Checkpoint),
		wrap: func(w io.Writer) io.Writer { return w },
	}
	if err := s.load(); err != nil {
		lock.Close()
		enc.Close()
		return nil, err
	}
	bgEnc, err := newEncoder(opts.Level)
	if err != nil {
		lock.Close()
		enc.Close()
		return nil, err
	}
	s.bg = newSpiller()
	go s.runSpiller(bgEnc)
	return s, nil
}

// newEncoder returns a segment encoder at level.
//
// It entropy-codes every literal, even where the level would give up on
// a block that has no matches: much of a segment is dictionaries of
// random-looking values (uids, community ids, hashes in hex or base64)
// that repeat nothing but are written with a small alphabet, so Huffman
// coding alone shrinks them by a quarter to a half. At the default level
// zstd instead searches them for matches, finds short accidental ones and
// pays for each: the community_id dictionary of 585k conn events took
// 300 ms to compress to 12.6 MB, where the fastest level with literal
// entropy coding takes a few ms (see BenchmarkEncodeLevel and
// bench/memory.md).
//
// It writes no zstd checksum: the footer's CRC-32C already covers the
// compressed data, and the xxhash of every uncompressed byte cost about
// 1% of an ingest (and again of every scan that decompresses it).
func newEncoder(level zstd.EncoderLevel) (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithAllLitEntropyCompression(true),
		zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false))
}

// load reads the manifest, removes uncommitted leftovers and quarantines
// segments whose footer or statistics are damaged.
func (s *Store) load() error {
	var m manifest
	b, err := os.ReadFile(filepath.Join(s.dir, manifestName))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("memory: %w", err)
	default:
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("memory: %s: %w", filepath.Join(s.dir, manifestName), err)
		}
		if m.Version != 1 {
			return fmt.Errorf("memory: %s: version %d, want 1", filepath.Join(s.dir, manifestName), m.Version)
		}
	}
	s.seq = m.Seq
	for k, v := range m.Checkpoints {
		s.cps[k] = v
	}
	live := make(map[string]bool, len(m.Segments))
	for _, sm := range m.Segments {
		live[sm.Name] = true
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, tmpExt) || (strings.HasSuffix(n, segExt) && !live[n]) {
			// Written by a flush that never committed.
			if err := os.Remove(filepath.Join(s.dir, n)); err != nil {
				return fmt.Errorf("memory: remove uncommitted %s: %w", n, err)
			}
		}
	}
	dropped := false
	for _, sm := range m.Segments {
		st, err := readSegStats(filepath.Join(s.dir, sm.Name), sm.Bytes)
		if err == nil && st.Events != sm.Events {
			err = corruptf("%d events, manifest says %d", st.Events, sm.Events)
		}
		if err != nil {
			s.quarantine(sm.Name, err)
			dropped = true
			continue
		}
		s.segs = append(s.segs, &seg{segMeta: sm, st: st})
	}
	s.sortSegs()
	if dropped {
		return s.commit(s.segs, s.cps)
	}
	return nil
}

func readSegStats(path string, size int64) (segStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return segStats{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return segStats{}, err
	}
	if fi.Size() != size {
		return segStats{}, corruptf("%d bytes, manifest says %d (truncated?)", fi.Size(), size)
	}
	foot := make([]byte, footerSize)
	if size < footerSize {
		return segStats{}, corruptf("%d bytes: too short for a segment", size)
	}
	if _, err := f.ReadAt(foot, size-footerSize); err != nil {
		return segStats{}, err
	}
	ft, err := parseFooter(foot, size)
	if err != nil {
		return segStats{}, err
	}
	stats := make([]byte, ft.statsLen)
	if _, err := f.ReadAt(stats, int64(len(segMagic))+int64(ft.dataLen)); err != nil {
		return segStats{}, err
	}
	return readStats(stats, ft)
}

// quarantine moves a damaged segment out of the way and records why.
func (s *Store) quarantine(name string, cause error) {
	p := Problem{Segment: name, Err: cause.Error()}
	qdir := filepath.Join(s.dir, quarantineName)
	if err := os.MkdirAll(qdir, 0o755); err == nil {
		dst := filepath.Join(qdir, name)
		for i := 1; ; i++ {
			if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
				break
			}
			dst = filepath.Join(qdir, fmt.Sprintf("%s.%d", name, i))
		}
		if err := os.Rename(filepath.Join(s.dir, name), dst); err == nil {
			p.Quarantine = dst
		} else if !errors.Is(err, os.ErrNotExist) {
			p.Err += "; could not quarantine: " + err.Error()
		}
	}
	s.problems = append(s.problems, p)
}

// Problems lists the segments found damaged since Open, with where each
// was moved.
func (s *Store) Problems() []Problem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.problems)
}

// Dir is the memory directory (dataDir/memory).
func (s *Store) Dir() string { return s.dir }

func (s *Store) sortSegs() { sortSegs(s.segs) }

// sortSegs orders segments by first event time, then name: the order of
// the manifest and of s.segs, whatever order the writers finished in.
func sortSegs(segs []*seg) {
	slices.SortStableFunc(segs, func(a, b *seg) int {
		if a.MinT != b.MinT {
			if a.MinT < b.MinT {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Representable event times: UnixNano covers 1678 to 2262.
var (
	minTime = time.Unix(0, math.MinInt64+dayNanos)
	maxTime = time.Unix(0, math.MaxInt64-dayNanos)
)

// noTime stands for an event without a time (Zeek's loaded_scripts.log has
// none); such events share a partition of their own below every real day.
const noTime = math.MinInt64

// eventNanos is the stored time of e.
func eventNanos(e *event.Event) (int64, error) {
	if e.Time.IsZero() {
		return noTime, nil
	}
	if e.Time.Before(minTime) || e.Time.After(maxTime) {
		return 0, fmt.Errorf("memory: event %s: time %s outside 1678..2262", e.UID, e.Time.Format(time.RFC3339))
	}
	return e.Time.UnixNano(), nil
}

func dayOf(ns int64) int64 {
	day := ns / dayNanos
	if ns < 0 && ns%dayNanos != 0 {
		day--
	}
	return day
}

// Append buffers e (copying what it needs, so e may be reused at once).
// It is durable only after Flush returns. When it fails (the disk is full)
// e was not taken and the store is unchanged.
func (s *Store) Append(e *event.Event) error {
	ns, err := eventNanos(e)
	if err != nil {
		return err
	}
	day := dayOf(ns)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("memory: store is closed")
	}
	b := s.lastB
	if day != s.lastDay || b == nil {
		b = s.parts[day]
		if b == nil {
			b = s.newBuilder()
			s.parts[day] = b
		}
		s.lastDay, s.lastB = day, b
	}
	if b.n >= s.opts.SegmentEvents {
		// Spill before adding, so that an error (a full disk) means e
		// was not taken. A spill that failed in the background is
		// retried here first, which also bounds the memory it holds.
		if err := s.collectSpills(); err != nil {
			return err
		}
		if s.cutHook == nil {
			b = s.queueSpill(day, b)
		} else if b, err = s.cut(day, b); err != nil {
			return err
		}
	}
	b.add(e, ns)
	return nil
}

// SetCutHook makes every segment cut a commit point for one source being
// appended: at a cut, every buffered event (of every day) is written out,
// and hook is asked for the checkpoint that covers exactly the events
// appended so far; that checkpoint is committed together with those
// segments at the next cut or Flush, once the background writer has
// written them. So a crash in the middle of a long file loses at most two
// segments' worth of work, and a re-run resumes from the checkpoint
// without storing an event twice. hook runs inside Append with the store
// locked and must not call the store. nil turns cut commits off (then
// events are committed only by Flush). Only one source may append while a
// hook is set.
func (s *Store) SetCutHook(hook func() (Checkpoint, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutHook = hook
}

// Cut ends the current segments: it hands every buffered event to the
// background writer and stages cp, which is committed together with
// those events at the next cut or Flush, once they are written. An
// ingest calls it at the end of each file instead of Flush, so that the
// file's last segments are encoded while the next file is decoded; the
// Flush at the end of the ingest makes it all durable. What is durable
// after a crash is always a whole cut and its checkpoint, or none of it.
func (s *Store) Cut(cp Checkpoint) error {
	abs, err := filepath.Abs(cp.Path)
	if err != nil {
		return fmt.Errorf("memory: checkpoint %q: %w", cp.Path, err)
	}
	cp.Path = abs
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("memory: store is closed")
	}
	if err := s.commitCuts(); err != nil {
		return err
	}
	for d, b := range s.parts {
		if b.n > 0 {
			s.spillOther(d, b)
		}
	}
	s.cuts = append(s.cuts, cutPoint{cp: cp, seq: s.seq})
	return nil
}

// cut commits the earlier cuts whose segments are written, spills every
// buffered partition (the full builder b of day among them) and stages
// the hook's checkpoint for a later commit. It returns the builder that
// replaces b.
func (s *Store) cut(day int64, b *builder) (*builder, error) {
	if err := s.commitCuts(); err != nil {
		return b, err
	}
	for d, ob := range s.parts {
		if d != day && ob.n > 0 {
			// Another day's tail (late records): write it and drop its
			// partition, rather than keep an empty builder per day.
			s.spillOther(d, ob)
		}
	}
	nb := s.queueSpill(day, b)
	if cp, ok := s.cutHook(); ok {
		if abs, err := filepath.Abs(cp.Path); err == nil {
			cp.Path = abs
			s.cuts = append(s.cuts, cutPoint{cp: cp, seq: s.seq})
		}
	}
	return nb, nil
}

// commitCuts commits every staged cut whose segments are all written,
// with its checkpoint, in one manifest. It does not wait for the
// background writer, except while maxCuts cuts are staged: then it waits
// until the oldest can be committed. So an ingest goes on decoding the
// next file while the last one's segments are written, and a crash still
// leaves a whole cut and its checkpoint, or none of it: a cut's segments
// are exactly those numbered up to its seq, and later segments stay
// pending, uncommitted, until their own cut.
func (s *Store) commitCuts() error {
	if err := s.collectSpills(); err != nil {
		return err
	}
	if len(s.cuts) == 0 {
		return nil
	}
	if len(s.cuts) >= maxCuts {
		s.bg.waitWritten(s.cuts[0].seq)
		if err := s.collectSpills(); err != nil {
			return err
		}
	}
	written := s.bg.writtenUpTo(s.seq)
	k := 0
	for k < len(s.cuts) && s.cuts[k].seq <= written {
		k++
	}
	if k == 0 {
		return nil
	}
	last := s.cuts[k-1].seq
	cps := make(map[string]Checkpoint, len(s.cps)+k)
	for p, v := range s.cps {
		cps[p] = v
	}
	for _, c := range s.cuts[:k] {
		cps[c.cp.Path] = c.cp
	}
	segs := slices.Clone(s.segs)
	var later []*seg
	for _, sg := range s.pending {
		if sg.seq <= last {
			segs = append(segs, sg)
		} else {
			later = append(later, sg)
		}
	}
	sortSegs(segs)
	if err := s.commit(segs, cps); err != nil {
		return err
	}
	s.segs, s.cps, s.pending = segs, cps, later
	s.cuts = slices.Delete(s.cuts, 0, k)
	return nil
}

// spill writes b as a pending segment: durable on disk, but part of the
// store only when the next manifest names it.
func (s *Store) spill(day int64, b *builder) error {
	if b.n == 0 {
		return nil
	}
	s.seq++
	return s.writeBuilder(day, s.seq, b)
}

// writeBuilder writes b as the pending segment numbered seq and resets b.
func (s *Store) writeBuilder(day int64, seq uint64, b *builder) error {
	name := segName(day, seq)
	data, st := b.encodeBuf(s.enc, &s.eb)
	if err := s.writeAtomic(name, data); err != nil {
		return err
	}
	s.pending = append(s.pending, &seg{segMeta: segMeta{
		Name: name, Events: st.Events, Bytes: int64(len(data)), MinT: st.MinT, MaxT: st.MaxT, Day: day,
	}, st: st, seq: seq})
	b.reset()
	return nil
}

func segName(day int64, seq uint64) string {
	return fmt.Sprintf("%s-%010d%s", time.Unix(day*86400, 0).UTC().Format("20060102"), seq, segExt)
}

// Flush writes every buffered event and every checkpoint set since the
// last Flush in one atomic commit. When it returns nil they survive a
// crash; when it fails the store on disk is as before, and a later Flush
// retries.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *Store) flushLocked() error {
	if s.closed {
		return errors.New("memory: store is closed")
	}
	if err := s.waitSpills(); err != nil {
		return err
	}
	days := make([]int64, 0, len(s.parts))
	for d, b := range s.parts {
		if b.n > 0 {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	// Every other day goes to the background writer, so that two days
	// are encoded at once.
	for i, d := range days {
		if i%2 == 0 && i < len(days)-1 {
			s.spillOther(d, s.parts[d])
			continue
		}
		if err := s.spill(d, s.parts[d]); err != nil {
			s.bg.wg.Wait() // no write of this Flush outlives it
			return err
		}
	}
	if err := s.waitSpills(); err != nil {
		return err
	}
	if len(s.pending) == 0 && len(s.staged) == 0 && len(s.cuts) == 0 {
		return nil
	}
	cps := make(map[string]Checkpoint, len(s.cps)+len(s.staged)+len(s.cuts))
	for k, v := range s.cps {
		cps[k] = v
	}
	for _, c := range s.cuts {
		cps[c.cp.Path] = c.cp
	}
	for k, v := range s.staged {
		cps[k] = v
	}
	segs := append(slices.Clone(s.segs), s.pending...)
	sortSegs(segs)
	if err := s.commit(segs, cps); err != nil {
		return err
	}
	s.segs, s.cps, s.pending, s.cuts = segs, cps, nil, nil
	clear(s.staged)
	s.sortSegs()
	// Keep the buffers of busy days; drop the rest so a long ingest over
	// many days does not keep a builder per day.
	for d, b := range s.parts {
		if b.n == 0 && d != s.lastDay {
			delete(s.parts, d)
		}
	}
	return nil
}

// commit makes segs and cps the store's contents by replacing the manifest.
func (s *Store) commit(segs []*seg, cps map[string]Checkpoint) error {
	m := manifest{Version: 1, Seq: s.seq, Checkpoints: cps, Segments: make([]segMeta, len(segs))}
	for i, sg := range segs {
		m.Segments[i] = sg.segMeta
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	// The segment files must be durable before the manifest names them.
	if err := syncDir(s.dir); err != nil {
		return err
	}
	return s.writeAtomic(manifestName, b)
}

// writeAtomic writes name through a temporary file, fsyncs it, renames it
// into place and fsyncs the directory.
func (s *Store) writeAtomic(name string, data []byte) (err error) {
	final := filepath.Join(s.dir, name)
	tmp := final + tmpExt
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("memory: write %s: %w", final, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("memory: write %s: %w", final, err)
		}
	}()
	n, err := s.wrap(f).Write(data)
	if err != nil {
		return fmt.Errorf("after %d of %d bytes: %w", n, len(data), err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	return syncDir(s.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("memory: fsync %s: %w", dir, err)
	}
	return nil
}

// Close flushes and releases the directory. The store cannot be used after.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	err := s.flushLocked()
	if err != nil {
		// What could not be written is lost with the process; wait for
		// the background writer so no file appears after Close.
		s.bg.wg.Wait()
	}
	s.closed = true
	close(s.bg.jobs)
	s.enc.Close()
	s.lock.Close()
	return err
}

// Stats describes what the memory holds.
type Stats struct {
	Segments      int       `json:"segments"`
	Events        uint64    `json:"events"`
	Bytes         int64     `json:"bytes"`
	BytesPerEvent float64   `json:"bytes_per_event"`
	First         time.Time `json:"first"`
	Last          time.Time `json:"last"`
	Buffered      int       `json:"buffered"` // appended, not yet flushed
}

// Stats returns the committed contents: segments, events, bytes on disk,
// bytes an event, and the first and last event time.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st Stats
	st.Segments = len(s.segs)
	for _, sg := range s.segs {
		st.Events += sg.Events
		st.Bytes += sg.Bytes
		if sg.MinT == noTime {
			continue
		}
		if st.First.IsZero() || sg.MinT < st.First.UnixNano() {
			st.First = time.Unix(0, sg.MinT).UTC()
		}
		if st.Last.IsZero() || sg.MaxT > st.Last.UnixNano() {
			st.Last = time.Unix(0, sg.MaxT).UTC()
		}
	}
	if st.Events > 0 {
		st.BytesPerEvent = float64(st.Bytes) / float64(st.Events)
	}
	for _, sg := range s.pending {
		st.Buffered += int(sg.Events)
	}
	if s.bg != nil {
		s.bg.mu.Lock()
		for _, sg := range s.bg.done {
			st.Buffered += int(sg.Events)
		}
		for _, j := range s.bg.failed {
			st.Buffered += j.b.n
		}
		s.bg.mu.Unlock()
	}
	for _, b := range s.parts {
		st.Buffered += b.n
	}
	return st
}

// spiller writes full builders in the background, so that encoding and
// compressing one segment overlaps with filling the next: ingest uses
// both cores. Its segments are pending like any other until Flush commits.
type spiller struct {
	jobs chan spillJob
	wg   sync.WaitGroup // jobs queued or being written
	// fullSlots bounds the full builders handed over by Append (each
	// replaced by a new one) at two, so memory stays at three builders.
	// The tails a cut or Flush hands over are not replaced, so they
	// queue without waiting and the caller goes on decoding.
	fullSlots chan struct{}

	mu     sync.Mutex
	done   []*seg     // written; join s.pending at the next collect
	failed []spillJob // not written; retried by collectSpills
	free   []*builder // reset builders for reuse
	// freeBytes is the capacity the free builders hold.
	freeBytes int
	// busy holds the numbers of the jobs queued or being written, and
	// idle is signalled whenever one finishes (written or failed).
	busy map[uint64]struct{}
	idle *sync.Cond
	// uncollected holds the numbers of the jobs queued whose segment is
	// not yet on the store's pending list (queued, being written, done
	// but not collected, or failed). Only the store's goroutine, under
	// Store.mu, touches it.
	uncollected map[uint64]struct{}
}

type spillJob struct {
	day  int64
	seq  uint64
	name string
	b    *builder
	slot bool // holds one of fullSlots
}

func newSpiller() *spiller {
	bg := &spiller{
		jobs: make(chan spillJob, 256), fullSlots: make(chan struct{}, 2),
		busy: make(map[uint64]struct{}), uncollected: make(map[uint64]struct{}),
	}
	bg.idle = sync.NewCond(&bg.mu)
	return bg
}

// queue hands j to the writer.
func (bg *spiller) queue(j spillJob) {
	bg.mu.Lock()
	bg.busy[j.seq] = struct{}{}
	bg.mu.Unlock()
	bg.uncollected[j.seq] = struct{}{}
	bg.wg.Add(1)
	bg.jobs <- j
}

// waitWritten waits until the writer has finished every job numbered up
// to seq (written it, or failed).
func (bg *spiller) waitWritten(seq uint64) {
	bg.mu.Lock()
	defer bg.mu.Unlock()
	for {
		waiting := false
		for q := range bg.busy {
			if q <= seq {
				waiting = true
				break
			}
		}
		if !waiting {
			return
		}
		bg.idle.Wait()
	}
}

// writtenUpTo is the highest segment number up to which every queued
// segment is written and collected onto the pending list; top is the
// highest number given out.
func (bg *spiller) writtenUpTo(top uint64) uint64 {
	w := top
	for q := range bg.uncollected {
		w = min(w, q-1)
	}
	return w
}

func (s *Store) runSpiller(enc *zstd.Encoder) {
	defer enc.Close()
	var eb encBuf
	for j := range s.bg.jobs {
		data, st := j.b.encodeBuf(enc, &eb)
		err := s.writeAtomic(j.name, data)
		s.bg.mu.Lock()
		delete(s.bg.busy, j.seq)
		s.bg.idle.Broadcast()
		if err != nil {
			s.bg.failed = append(s.bg.failed, j)
		} else {
			s.bg.done = append(s.bg.done, &seg{segMeta: segMeta{
				Name: j.name, Events: st.Events, Bytes: int64(len(data)), MinT: st.MinT, MaxT: st.MaxT, Day: j.day,
			}, st: st, seq: j.seq})
			// Keep two builders for reuse, and more while they hold
			// little: a cut at a file's end writes out one tail per
			// day, and the next file's days reuse them instead of
			// growing every column from nothing again. Two full-sized
			// builders, with the one being filled and the one being
			// written, bound the memory at about three.
			if c := j.b.capBytes(); len(s.bg.free) < 2 || s.bg.freeBytes+c <= freeBudget {
				j.b.reset()
				s.bg.free = append(s.bg.free, j.b)
				s.bg.freeBytes += c
			}
		}
		s.bg.mu.Unlock()
		if j.slot {
			<-s.bg.fullSlots
		}
		s.bg.wg.Done()
	}
}

// queueSpill hands the full builder b of day to the background writer and
// returns the (empty) builder that takes its place. It blocks while two
// full builders are still queued or being written, which bounds memory at
// three builders.
func (s *Store) queueSpill(day int64, b *builder) *builder {
	s.seq++
	name := segName(day, s.seq)
	nb := s.newBuilder()
	s.parts[day] = nb
	if s.lastDay == day {
		s.lastB = nb
	}
	s.bg.fullSlots <- struct{}{}
	s.bg.queue(spillJob{day: day, seq: s.seq, name: name, b: b, slot: true})
	return nb
}

// newBuilder returns an empty builder, one the background writer is done
// with when there is one: its columns and dictionaries keep their
// capacity, so they do not grow again from nothing for every segment.
func (s *Store) newBuilder() *builder {
	s.bg.mu.Lock()
	defer s.bg.mu.Unlock()
	if n := len(s.bg.free); n > 0 {
		nb := s.bg.free[n-1]
		s.bg.free = s.bg.free[:n-1]
		s.bg.freeBytes -= nb.capBytes()
		return nb
	}
	return &builder{}
}

// freeBudget is the memory the free builders may hold beyond two.
const freeBudget = 128 << 20

// spillOther hands the builder b of a day other than the one being
// appended to the background writer and removes the day's partition.
func (s *Store) spillOther(day int64, b *builder) {
	s.seq++
	name := segName(day, s.seq)
	delete(s.parts, day)
	if s.lastDay == day {
		s.lastB = nil
	}
	s.bg.queue(spillJob{day: day, seq: s.seq, name: name, b: b})
}

// collectSpills moves what the background writer finished onto the
// pending list and retries, synchronously, what it failed to write.
func (s *Store) collectSpills() error {
	s.bg.mu.Lock()
	for _, sg := range s.bg.done {
		delete(s.bg.uncollected, sg.seq)
	}
	s.pending = append(s.pending, s.bg.done...)
	s.bg.done = nil
	failed := s.bg.failed
	s.bg.failed = nil
	s.bg.mu.Unlock()
	for i, j := range failed {
		if err := s.writeBuilder(j.day, j.seq, j.b); err != nil {
			s.bg.mu.Lock()
			s.bg.failed = append(failed[i:], s.bg.failed...)
			s.bg.mu.Unlock()
			return err
		}
		delete(s.bg.uncollected, j.seq)
	}
	return nil
}

// waitSpills waits for the background writer and collects its work.
func (s *Store) waitSpills() error {
	s.bg.wg.Wait()
	return s.collectSpills()
}
