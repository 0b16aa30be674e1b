// Package alertlog keeps every alert umbra raised — by `umbra match`,
// `umbra ingest`, a hunt or the demo — in an append-only log in the data
// dir, and serves it back filtered by time, actor, kind, text and TLP,
// newest first, in pages, and as histograms.
//
// The log is JSON lines in one file per day of recording
// (DATA/alerts/2026-11-26.jsonl). Writers append whole batches under an
// exclusive flock and fsync before unlocking, so several processes may
// append at once and a crash loses at most the batch being written. A
// line torn by a crash is terminated by the next writer and dropped (and
// counted) by readers; it never stops a load.
//
// Readers keep the whole log in memory as an immutable index with each
// alert's response JSON encoded once, so a query is a binary search and
// a walk over a posting list: no store round trip, no encoding per
// request. Refresh picks up lines other processes appended.
package alertlog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
	"github.com/umbra-cti/umbra/knowledge"
	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/stix"
)

// Dir is the log's folder under the data dir.
const Dir = "alerts"

const fileSuffix = ".jsonl"

// maxLine bounds one line; longer ones are skipped as bad.
const maxLine = 1 << 20

// Retro carries what a retrospective hunt adds to an alert.
type Retro struct {
	FirstSeen    time.Time // the first time the value appeared in our traffic
	IntelAdded   time.Time // when its indicator entered our intel; zero when unknown
	DwellSeconds int64
}

// Record is one alert as the log keeps it.
type Record struct {
	Alert match.Alert
	Retro *Retro // nil for alerts raised as the telemetry arrived
}

// Problem is a line the log could not read.
type Problem struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Offset int64  `json:"offset"`
	Err    string `json:"error"`
}

func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d (offset %d): %s", p.File, p.Line, p.Offset, p.Err)
}

// Stats describes what the log holds.
type Stats struct {
	Alerts int   `json:"alerts"`
	Files  int   `json:"files"`
	Bytes  int64 `json:"bytes"`
	Bad    int   `json:"bad_lines"` // lines dropped: torn by a crash or not an alert
	// Partial counts the bytes after the last newline of each file: a
	// batch being written, or a line a crash tore. The next append ends a
	// torn line, which then counts as Bad.
	Partial    int64     `json:"partial_bytes"`
	Duplicates int       `json:"duplicate_lines"` // the same alert recorded again
	First      time.Time `json:"first,omitzero"`
	Last       time.Time `json:"last,omitzero"`
}

// Log is an open alert log. Its methods are safe for concurrent use.
type Log struct {
	dir string
	now func() time.Time

	idx atomic.Pointer[index]

	mu       sync.Mutex // guards everything below, and serialises Append and Refresh
	files    map[string]*fileState
	all      []entry // sorted; shared with the published index, so never changed in place
	fresh    []entry // read since the last publication
	seen     map[uint64]struct{}
	bad      int
	dups     int
	problems []Problem
}

type fileState struct {
	day     int64 // days since 1970-01-01 of the file's name
	offset  int64 // bytes consumed: up to the last complete line
	line    int   // lines consumed
	partial int64 // bytes after the last newline: a line being written, or torn by a crash
}

// Open loads the log under dataDir (creating its folder). Bad lines are
// counted and listed in Problems, never fatal.
func Open(dataDir string) (*Log, error) {
	dir := filepath.Join(dataDir, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("alert log: %w", err)
	}
	l := &Log{dir: dir, now: time.Now, files: map[string]*fileState{}, seen: map[uint64]struct{}{}}
	l.idx.Store(buildIndex(nil))
	if _, err := l.Refresh(); err != nil {
		return nil, err
	}
	return l, nil
}

// Refresh reads lines appended since the last load, by this or another
// process, and reports how many alerts it added.
func (l *Log) Refresh() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refreshLocked()
}

func (l *Log) refreshLocked() (int, error) {
	names, err := os.ReadDir(l.dir)
	if err != nil {
		return 0, fmt.Errorf("alert log: %w", err)
	}
	added := 0
	for _, de := range names {
		name := de.Name()
		day, ok := parseFileName(name)
		if !ok || de.IsDir() {
			continue
		}
		fst := l.files[name]
		if fst == nil {
			fst = &fileState{day: day}
		}
		n, err := l.readFile(name, fst)
		if err != nil {
			return added, err
		}
		l.files[name] = fst
		added += n
	}
	if added > 0 {
		l.all = merge(l.all, l.fresh)
		l.fresh = l.fresh[:0]
		l.idx.Store(buildIndex(l.all))
	}
	return added, nil
}

// merge returns a new slice holding the sorted old entries and the new
// ones in order. The old slice is not touched: readers of the published
// index still walk it.
func merge(old, add []entry) []entry {
	sort.Slice(add, func(i, j int) bool { return add[i].less(&add[j]) })
	out := make([]entry, 0, len(old)+len(add))
	i, j := 0, 0
	for i < len(old) && j < len(add) {
		if add[j].less(&old[i]) {
			out = append(out, add[j])
			j++
		} else {
			out = append(out, old[i])
			i++
		}
	}
	out = append(out, old[i:]...)
	return append(out, add[j:]...)
}

// readFile reads the complete lines of name past fs.offset.
func (l *Log) readFile(name string, fst *fileState) (int, error) {
	f, err := os.Open(filepath.Join(l.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("alert log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(fst.offset, io.SeekStart); err != nil {
		return 0, fmt.Errorf("alert log: %s: %w", name, err)
	}
	return l.readLines(name, fst, bufio.NewReaderSize(f, 64<<10))
}

// readLines consumes complete lines from r, which starts at fs.offset. A
// trailing piece without a newline is left for a later read: a writer
// may be in the middle of it, or a crash tore it (the next writer then
// terminates it and it is dropped as a bad line).
func (l *Log) readLines(name string, fst *fileState, r *bufio.Reader) (int, error) {
	added := 0
	var long []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long)+len(chunk) <= maxLine {
				long = append(long, chunk...)
			} else {
				long = append(long[:0], 'x') // too long: remember only that it is bad
			}
			continue
		}
		if err == io.EOF {
			fst.partial = int64(len(long) + len(chunk)) // an incomplete last line stays unread
			return added, nil
		}
		if err != nil {
			return added, fmt.Errorf("alert log: %s: %w", name, err)
		}
		line := chunk
		if len(long) > 0 {
			line = append(long, chunk...)
			long = long[:0]
		}
		start := fst.offset
		fst.offset += int64(len(line))
		fst.line++
		if len(line) > maxLine {
			l.problem(name, fst.line, start, "line longer than 1 MiB")
			continue
		}
		body := bytes.TrimSpace(line)
		if len(body) == 0 {
			continue
		}
		e, err := decodeLine(body)
		if err != nil {
			l.problem(name, fst.line, start, err.Error())
			continue
		}
		if _, dup := l.seen[e.key]; dup {
			l.dups++
			continue
		}
		l.seen[e.key] = struct{}{}
		e.ord = uint64(fst.day)<<40 | uint64(start)
		e.finish()
		l.fresh = append(l.fresh, e)
		added++
	}
}

// maxProblems bounds the problems kept for display; all are counted.
const maxProblems = 100

func (l *Log) problem(file string, line int, off int64, msg string) {
	l.bad++
	if len(l.problems) < maxProblems {
		l.problems = append(l.problems, Problem{File: file, Line: line, Offset: off, Err: msg})
	}
}

// Problems lists (the first hundred) lines the log dropped.
func (l *Log) Problems() []Problem {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Problem(nil), l.problems...)
}

// Stats returns what the log holds.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Stats{Alerts: len(l.all), Files: len(l.files), Bad: l.bad, Duplicates: l.dups}
	for _, f := range l.files {
		st.Bytes += f.offset
		st.Partial += f.partial
	}
	if len(l.all) > 0 {
		st.First = time.Unix(0, l.all[0].ts).UTC()
		st.Last = time.Unix(0, l.all[len(l.all)-1].ts).UTC()
	}
	return st
}

func fileName(t time.Time) string { return t.UTC().Format("2006-01-02") + fileSuffix }

func parseFileName(name string) (int64, bool) {
	base, ok := strings.CutSuffix(name, fileSuffix)
	if !ok {
		return 0, false
	}
	t, err := time.Parse("2006-01-02", base)
	if err != nil {
		return 0, false
	}
	return t.Unix() / 86400, true
}

// Append writes recs to today's file as one batch: under an exclusive
// lock, after terminating a line a crash left torn, and synced to disk
// before it returns. Alerts the log already holds are not written again.
func (l *Log) Append(recs []Record) (int, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Pick up what others wrote, so their alerts count as duplicates.
	if _, err := l.refreshLocked(); err != nil {
		return 0, err
	}
	now := l.now().UTC()
	var buf []byte
	batch := map[uint64]bool{}
	n := 0
	for i := range recs {
		k := recordKey(&recs[i].Alert)
		if _, dup := l.seen[k]; dup || batch[k] {
			continue
		}
		batch[k] = true
		buf = appendLine(buf, &recs[i], now)
		n++
	}
	if n == 0 {
		return 0, nil
	}
	name := fileName(now)
	f, err := os.OpenFile(filepath.Join(l.dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("alert log: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return 0, fmt.Errorf("alert log: lock %s: %w", name, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	if torn, err := endsTorn(f); err != nil {
		return 0, fmt.Errorf("alert log: %s: %w", name, err)
	} else if torn {
		buf = append([]byte{'\n'}, buf...)
	}
	if _, err := f.Write(buf); err != nil {
		return 0, fmt.Errorf("alert log: write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("alert log: sync %s: %w", name, err)
	}
	if _, err := l.refreshLocked(); err != nil {
		return n, err
	}
	return n, nil
}

// endsTorn reports whether f (held under lock) ends without a newline.
func endsTorn(f *os.File) (bool, error) {
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return false, err
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], fi.Size()-1); err != nil {
		// O_WRONLY: reopen to read the last byte.
		g, err := os.Open(f.Name())
		if err != nil {
			return false, err
		}
		defer g.Close()
		if _, err := g.ReadAt(b[:], fi.Size()-1); err != nil {
			return false, err
		}
	}
	return b[0] != '\n', nil
}

// Batch collects records and appends them in batches of BatchSize.
type Batch struct {
	log  *Log
	recs []Record
	n    int
	err  error
}

// BatchSize is how many records a Batch holds before it appends them.
const BatchSize = 4096

// Batch returns an empty batch on l.
func (l *Log) Batch() *Batch { return &Batch{log: l} }

// Add queues r; a full batch is appended. The first error sticks.
func (b *Batch) Add(r Record) error {
	if b.err != nil {
		return b.err
	}
	b.recs = append(b.recs, r)
	if len(b.recs) >= BatchSize {
		return b.Flush()
	}
	return nil
}

// Flush appends what is queued.
func (b *Batch) Flush() error {
	if b.err != nil {
		return b.err
	}
	n, err := b.log.Append(b.recs)
	b.n += n
	b.recs = b.recs[:0]
	b.err = err
	return err
}

// Written is how many new alerts the batch appended so far.
func (b *Batch) Written() int { return b.n }

// appendLine encodes one record as a log line: the alert as `umbra match`
// prints it, plus the retro fields and when it was recorded.
func appendLine(dst []byte, r *Record, recorded time.Time) []byte {
	a := r.Alert
	start := len(dst)
	dst = a.AppendJSON(dst)
	dst = dst[:len(dst)-1] // reopen the object
	if start == len(dst) {
		return dst
	}
	if r.Retro != nil {
		dst = appendRetro(dst, r.Retro)
	}
	dst = append(dst, `,"recorded":"`...)
	dst = recorded.UTC().AppendFormat(dst, tsLayout)
	return append(dst, "\"}\n"...)
}

const tsLayout = "2006-01-02T15:04:05.000Z"

func appendRetro(dst []byte, r *Retro) []byte {
	dst = append(dst, `,"retro":true,"first_seen":"`...)
	dst = r.FirstSeen.UTC().AppendFormat(dst, tsLayout)
	dst = append(dst, `","intel_added":`...)
	if r.IntelAdded.IsZero() {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '"')
		dst = r.IntelAdded.UTC().AppendFormat(dst, tsLayout)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"dwell_seconds":`...)
	return strconv.AppendInt(dst, r.DwellSeconds, 10)
}

// recordKey identifies an alert for de-duplication: the same event, field
// and match recorded twice (a match re-run, a hunt over history already
// alerted on) is one alert.
func recordKey(a *match.Alert) uint64 {
	h := fnv.New64a()
	var b [8]byte
	ts := a.Time.UnixMilli() // the log keeps milliseconds
	for i := range b {
		b[i] = byte(ts >> (8 * i))
	}
	h.Write(b[:])
	for _, s := range []string{a.UID, a.Sensor, a.Where, a.Indicator, a.IndicatorType, a.Matched, a.Pattern} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// lineJSON is a log line as read back.
type lineJSON struct {
	TS            time.Time           `json:"ts"`
	UID           string              `json:"uid"`
	Sensor        string              `json:"sensor"`
	Where         string              `json:"where"`
	Host          string              `json:"host"`
	Indicator     string              `json:"indicator"`
	IndicatorType string              `json:"indicator_type"`
	Matched       string              `json:"matched"`
	IndicatorIDs  []string            `json:"indicator_ids"`
	Sources       []string            `json:"sources"`
	Actors        []indicator.Actor   `json:"actors"`
	Pattern       string              `json:"pattern"`
	Related       []match.Observation `json:"related"`
	TLP           string              `json:"tlp"`
	Retro         bool                `json:"retro"`
	FirstSeen     time.Time           `json:"first_seen"`
	IntelAdded    *time.Time          `json:"intel_added"`
	DwellSeconds  int64               `json:"dwell_seconds"`
	Recorded      time.Time           `json:"recorded"`
}

// decodeLine reads one line into an entry, with its response JSON
// re-encoded from the parsed fields so that whatever the file holds, what
// is served is well-formed and escaped.
func decodeLine(body []byte) (entry, error) {
	var j lineJSON
	if err := json.Unmarshal(body, &j); err != nil {
		return entry{}, fmt.Errorf("not an alert: %v", err)
	}
	if j.TS.IsZero() {
		return entry{}, errors.New(`alert without "ts"`)
	}
	if j.IndicatorType == "" {
		return entry{}, errors.New(`alert without "indicator_type"`)
	}
	tlp := stix.TLPClear
	if j.TLP != "" {
		t, err := stix.ParseTLP(j.TLP)
		if err != nil {
			return entry{}, err // an unknown marking is not guessed at
		}
		tlp = t
	}
	a := match.Alert{Time: j.TS, UID: j.UID, Sensor: j.Sensor, Where: j.Where, Host: j.Host, Indicator: j.Indicator,
		IndicatorType: j.IndicatorType, Matched: j.Matched, IndicatorIDs: nonNil(j.IndicatorIDs),
		Sources: nonNil(j.Sources), Actors: j.Actors, Pattern: j.Pattern, Related: j.Related}
	if a.Actors == nil {
		a.Actors = []indicator.Actor{}
	}
	e := entry{ts: j.TS.UnixNano(), tlp: tlp, kind: j.IndicatorType, key: recordKey(&a)}
	for _, ac := range a.Actors {
		e.actors = append(e.actors, knowledge.NormName(ac.Name))
		e.actorNames = append(e.actorNames, ac.Name)
	}
	b := a.AppendJSON(make([]byte, 0, len(body)+96))
	b = b[:len(b)-1]
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, j.IndicatorType)
	b = append(b, `,"tlp":"`...)
	b = append(b, tlp.String()...)
	b = append(b, '"')
	if j.Retro {
		r := Retro{FirstSeen: j.FirstSeen, DwellSeconds: j.DwellSeconds}
		if j.IntelAdded != nil {
			r.IntelAdded = *j.IntelAdded
		}
		b = appendRetro(b, &r)
	}
	if !j.Recorded.IsZero() {
		b = append(b, `,"recorded":"`...)
		b = j.Recorded.UTC().AppendFormat(b, tsLayout)
		b = append(b, '"')
	}
	e.json = b // the id and closing brace are added by finish
	var text strings.Builder
	for _, s := range []string{a.Indicator, a.Matched, a.Where, a.Sensor, a.UID, a.IndicatorType, a.Pattern} {
		text.WriteString(strings.ToLower(s))
		text.WriteByte(0)
	}
	for _, s := range a.Sources {
		text.WriteString(strings.ToLower(s))
		text.WriteByte(0)
	}
	for _, s := range e.actorNames {
		text.WriteString(strings.ToLower(s))
		text.WriteByte(0)
	}
	e.text = text.String()
	return e, nil
}

func appendJSONString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // escapes <, > and & too
	return append(dst, b...)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Stamper sets alerts' TLP from the markings of the intel behind them:
// the indicators that raised them and the actors they name.
type Stamper struct {
	st     MarkingReader
	mu     sync.Mutex
	ids    map[string]stix.TLP
	actors map[string]stix.TLP
}

// MarkingReader is what a Stamper reads from the knowledge store.
type MarkingReader interface {
	TLP(ctx context.Context, id string) (stix.TLP, error)
	ClaimsByName(ctx context.Context, norm string) ([]knowledge.NameClaim, error)
}

// NewStamper returns a Stamper reading markings from st.
func NewStamper(st MarkingReader) *Stamper {
	return &Stamper{st: st, ids: map[string]stix.TLP{}, actors: map[string]stix.TLP{}}
}

// Stamp sets a.TLP to the narrowest level among its indicators and the
// actors it names: an alert from a clear indicator that a red report
// attributes to a red actor carries that actor's name, so it is red. An
// indicator or actor the store does not know, or cannot read, counts as
// red: an alert is never shown wider than the intel behind it.
func (s *Stamper) Stamp(ctx context.Context, a *match.Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := stix.TLPClear
	for _, id := range a.IndicatorIDs {
		lvl, ok := s.ids[id]
		if !ok {
			var err error
			if lvl, err = s.st.TLP(ctx, id); err != nil {
				lvl = stix.TLPRed
			}
			s.ids[id] = lvl
		}
		t = max(t, lvl)
	}
	for _, ac := range a.Actors {
		lvl, ok := s.actors[ac.Name]
		if !ok {
			lvl = s.actorLevel(ctx, ac.Name)
			s.actors[ac.Name] = lvl
		}
		t = max(t, lvl)
	}
	a.TLP = t
}

// actorLevel is the widest level at which an object of that canonical
// name is visible.
func (s *Stamper) actorLevel(ctx context.Context, name string) stix.TLP {
	claims, err := s.st.ClaimsByName(ctx, knowledge.NormName(name))
	if err != nil {
		return stix.TLPRed
	}
	lvl, found := stix.TLPRed, false
	for _, c := range claims {
		if c.Kind != knowledge.ClaimName {
			continue
		}
		if l, err := s.st.TLP(ctx, c.ObjectID); err == nil {
			lvl, found = min(lvl, l), true
		}
	}
	if !found {
		return stix.TLPRed
	}
	return lvl
}

// Watch refreshes the log every interval until ctx ends, so that alerts
// other processes append show up; errors go to onErr (which may be nil).
func (l *Log) Watch(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := l.Refresh(); err != nil && onErr != nil {
				onErr(err)
			}
		}
	}
}
