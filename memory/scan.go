package memory

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// Filter selects what a Scan reads.
type Filter struct {
	// From and To bound event times to [From, To); zero means unbounded.
	From, To time.Time
	// Values are observables the hunt looks for (domains, IPs, CIDR
	// prefixes, hashes, JA3/JA4, SNI, certificate serials, e-mails, URLs).
	// A segment whose statistics show it holds none of them is skipped.
	// Domains also match their subdomains. Empty means no skipping by value.
	// Scan does not test events against Values: that is the matcher's job.
	Values []string
	// Workers is how many segments are decoded at once; 0 means 2. With
	// more than one worker fn is called from several goroutines at once.
	Workers int
	// Kinds, when not 0, is a set of event kinds (bit 1<<Kind): a segment
	// that holds none of them is skipped. Scan does not drop events of
	// other kinds from the segments it reads.
	Kinds uint32
	// MatchRows, with Values, passes fn only the rows that can hold one
	// of the Values: each segment's dictionaries are tested first, and
	// only rows that reference a hitting entry (a string entry containing
	// a name or hash, ignoring case; an address equal to an address value
	// or inside a prefix) are built into events. The test is looser than
	// the matcher's, so a caller that matches events against the same
	// values gets the same answer, for far less decoding when the values
	// are rare within the segments.
	MatchRows bool
	// Entries, when set, is a matcher's own test of dictionary entries:
	// each worker calls it once for a tester of its own, and passes fn
	// only the rows that reference an entry the tester accepts (an event
	// holding that one observable could match). A retro-hunt with a large
	// snapshot thus tests each distinct value of a segment once instead
	// of building and matching every row. It takes the place of the
	// Values test of MatchRows; Values still skip segments by statistics.
	Entries func() EntryTest
	// Progress, when set, is told how many stored events the scan has
	// got through (read, left unbuilt or skipped with their segment), in
	// steps, from the workers' goroutines: it must be safe for that. The
	// steps add up to the events of every segment the scan considered.
	Progress func(events int)
}

// EntryTest says whether an event could match when it holds at least the
// observables set in e. A scan hands it an otherwise empty event with one
// field set to one dictionary entry; it must accept every entry that can
// take part in a match, and may accept more.
type EntryTest interface {
	Could(e *event.Event) bool
}

// AddrTest is an EntryTest with a shortcut for an event holding only an
// address, which a scan uses when the tester has it.
type AddrTest interface {
	CouldAddr(a netip.Addr) bool
}

// KindBit is the Filter.Kinds bit of k.
func KindBit(k event.Kind) uint32 {
	if k >= 32 {
		return 0
	}
	return 1 << k
}

// ScanStats says how much a Scan read and skipped.
type ScanStats struct {
	Segments      int       // segments decoded
	SkippedTime   int       // skipped by time range
	SkippedValues int       // skipped because their stats exclude every value
	SkippedKinds  int       // skipped because they hold none of the kinds asked for
	Events        int64     // events passed to fn
	Decoded       int64     // rows read (including those outside the time range or left unbuilt by MatchRows)
	Bytes         int64     // segment bytes read
	Problems      []Problem // damaged segments found and quarantined
}

// Scan calls fn for every stored event in the filter's time range, in the
// segments that may hold one of its values. The Event is reused between
// calls; use Clone to keep it. An error from fn stops the scan and is
// returned. Only committed events are scanned.
func (s *Store) Scan(ctx context.Context, f Filter, fn func(*event.Event) error) (ScanStats, error) {
	return s.ScanWorkers(ctx, f, func(_ int, e *event.Event) error { return fn(e) })
}

// ScanWorkers is Scan for callbacks that keep state per worker: fn is told
// which worker (0 to Workers-1) calls it, and calls with the same worker
// number never overlap, so fn can use per-worker buffers without locks.
func (s *Store) ScanWorkers(ctx context.Context, f Filter, fn func(worker int, e *event.Event) error) (ScanStats, error) {
	var stats ScanStats
	var skipped uint64 // events in segments skipped whole
	s.mu.Lock()
	// Testing a value against a segment's statistics costs about what
	// reading an event does: with far more values than events, reading
	// the segment is cheaper, and a million values are not compiled at
	// all when no segment is small enough to check.
	checks := func(sg *seg) bool { return len(f.Values) <= max(int(sg.Events/8), 1<<12) }
	var probes []probe
	if f.MatchRows && f.Entries == nil {
		probes = compileProbes(f.Values)
	} else if len(f.Values) > 0 {
		for _, sg := range s.segs {
			if checks(sg) {
				probes = compileProbes(f.Values)
				break
			}
		}
	}
	segs := make([]*seg, 0, len(s.segs))
	for _, sg := range s.segs {
		if !f.From.IsZero() && sg.MaxT < f.From.UnixNano() || !f.To.IsZero() && sg.MinT >= f.To.UnixNano() {
			stats.SkippedTime++
			skipped += sg.Events
			continue
		}
		if f.Kinds != 0 && sg.st.KindSet&f.Kinds == 0 && sg.st.KindSet != 0 {
			stats.SkippedKinds++
			skipped += sg.Events
			continue
		}
		if len(probes) > 0 && checks(sg) && !anyValue(&sg.st, probes) {
			stats.SkippedValues++
			skipped += sg.Events
			continue
		}
		segs = append(segs, sg)
	}
	s.mu.Unlock()
	if f.Progress != nil && skipped > 0 {
		f.Progress(int(skipped))
	}

	workers := f.Workers
	if workers <= 0 {
		workers = 2
	}
	workers = min(workers, max(len(segs), 1))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		damaged  []*seg
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	// Events without a time are scanned only when no time range is asked.
	timed := !f.From.IsZero() || !f.To.IsZero()
	from, to := int64(minTime.UnixNano()), int64(maxTime.UnixNano())
	if !f.From.IsZero() {
		from = f.From.UnixNano()
	}
	if !f.To.IsZero() {
		to = f.To.UnixNano()
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec, err := newDecoder()
			if err != nil {
				fail(err)
				return
			}
			defer dec.Close()
			var (
				e     event.Event
				raw   []byte
				file  []byte
				local ScanStats
				rows  *rowFilter
				ids   rowIDs
			)
			if f.Entries != nil {
				rows = newEntryFilter(f.Entries())
			} else if f.MatchRows {
				rows = newRowFilter(probes)
			}
			told := int64(0) // events reported to Progress
			tell := func(n int64) {
				if f.Progress != nil && n > 0 {
					f.Progress(int(n))
				}
			}
			// every4k runs every 4096 rows: it stops a cancelled scan
			// and reports progress.
			every4k := func() bool {
				if ctx.Err() != nil {
					return false
				}
				tell(local.Decoded - told)
				told = local.Decoded
				return true
			}
			defer func() {
				tell(local.Decoded - told)
				mu.Lock()
				stats.Segments += local.Segments
				stats.Events += local.Events
				stats.Decoded += local.Decoded
				stats.Bytes += local.Bytes
				mu.Unlock()
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(segs) || ctx.Err() != nil {
					return
				}
				sg := segs[i]
				path := filepath.Join(s.dir, sg.Name)
				file, err = readInto(path, file)
				if errors.Is(err, os.ErrNotExist) {
					tell(int64(sg.Events)) // dropped by retention or compaction meanwhile
					continue
				}
				if err != nil {
					fail(fmt.Errorf("memory: %s: %w", path, err))
					return
				}
				local.Segments++
				local.Bytes += int64(len(file))
				var sd *segment
				sd, raw, err = decodeSegment(file, dec, raw, rows != nil)
				if err == nil && sd.n != int(sg.Events) {
					err = corruptf("%d events, manifest says %d", sd.n, sg.Events)
				}
				inRange := !timed || sg.MinT >= from && sg.MaxT < to
				if err == nil && rows != nil && !rows.prepare(sd) {
					// No dictionary entry can match: no row can. (The
					// data checksum was verified; the rows are not walked.)
					tell(int64(sg.Events))
					continue
				}
				for err == nil && rows != nil {
					var ok bool
					ok, err = sd.nextIDs(&ids)
					if !ok || err != nil {
						break
					}
					local.Decoded++
					if local.Decoded&4095 == 0 && !every4k() {
						return
					}
					if !inRange && (ids.t == noTime || ids.t < from || ids.t >= to) {
						continue
					}
					if !rows.hit(&ids) {
						continue
					}
					sd.fill(&ids, &e)
					local.Events++
					if ferr := fn(w, &e); ferr != nil {
						fail(ferr)
						return
					}
				}
				for err == nil && rows == nil {
					var ok bool
					ok, err = sd.next(&e)
					if !ok || err != nil {
						break
					}
					local.Decoded++
					if local.Decoded&4095 == 0 && !every4k() {
						return
					}
					if !inRange {
						if t := e.Time.UnixNano(); e.Time.IsZero() || t < from || t >= to {
							continue
						}
					}
					local.Events++
					if ferr := fn(w, &e); ferr != nil {
						fail(ferr)
						return
					}
				}
				if err != nil {
					// The events of a damaged segment before the damage
					// were already passed on; say so rather than hide it.
					mu.Lock()
					damaged = append(damaged, sg)
					stats.Problems = append(stats.Problems, Problem{Segment: sg.Name, Err: fmt.Sprintf("%s: %v", path, err)})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(damaged) > 0 {
		s.dropDamaged(damaged, stats.Problems)
	}
	if firstErr != nil {
		return stats, firstErr
	}
	return stats, ctx.Err()
}

func anyValue(st *segStats, probes []probe) bool {
	for i := range probes {
		if st.mayContain(&probes[i]) {
			return true
		}
	}
	return false
}

func readInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return buf, err
	}
	n := int(fi.Size())
	if cap(buf) < n {
		buf = make([]byte, n, n+n/4) // room for the next, larger segment (see decodeSegment)
	}
	buf = buf[:n]
	if _, err := f.ReadAt(buf, 0); err != nil {
		return buf, err
	}
	return buf, nil
}

// dropDamaged quarantines segments a scan found corrupt and commits a
// manifest without them, so the rest of the memory stays usable.
func (s *Store) dropDamaged(damaged []*seg, probs []Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bad := make(map[*seg]bool)
	for _, d := range damaged {
		bad[d] = true
	}
	keep := make([]*seg, 0, len(s.segs))
	for _, sg := range s.segs {
		if !bad[sg] {
			keep = append(keep, sg)
		}
	}
	if len(keep) == len(s.segs) {
		return
	}
	if err := s.commit(keep, s.cps); err != nil {
		return // still in the manifest; the next scan reports it again
	}
	s.segs = keep
	for _, p := range probs {
		s.quarantine(p.Segment, errors.New(p.Err))
	}
}

func newDecoder() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxRawBytes))
}
