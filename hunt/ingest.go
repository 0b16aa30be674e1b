package hunt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/umbra-cti/umbra/match"
	"github.com/umbra-cti/umbra/memory"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

// IngestStats counts what an ingest stored and skipped.
type IngestStats struct {
	Inputs   int   `json:"inputs"`
	Skipped  int   `json:"skipped_unchanged"` // inputs already stored whole
	Events   int64 `json:"events"`            // events stored by this run
	Resumed  int64 `json:"resumed_after"`     // events skipped because an earlier run stored them
	Bad      int64 `json:"bad_records"`
	Hits     int64 `json:"alerts"`
	Problems int   `json:"problems"`
}

// IngestOptions say what to do with the events an ingest stores.
type IngestOptions struct {
	Warn    io.Writer                           // bad records and unreadable inputs
	OnEvent func(*event.Event) error            // every stored event
	OnHit   func(*event.Event, match.Hit) error // every match
}

// Ingest decodes every input under paths, stores each event in mem and
// matches it against snap, calling opt.OnHit for every match. A file ingested
// before is skipped when unchanged and continued after its stored events
// when it has grown (Zeek logs are appended to), so running the same
// ingest twice never stores an event twice. A file is also checkpointed
// at every segment cut, so an ingest killed in the middle of a file and
// run again continues after what was committed, storing nothing twice and
// losing nothing.
//
// Decoding runs on a goroutine of its own and hands batches of events to
// the caller's goroutine, which matches them and calls opt.OnEvent and
// opt.OnHit, in file order, and hands them on to a third that stores
// them; the memory's background writer compresses full segments
// meanwhile. So an ingest keeps two cores busy.
func Ingest(ctx context.Context, mem *memory.Store, snap *match.Snapshot, paths []string, opt IngestOptions) (IngestStats, error) {
	var st IngestStats
	if opt.Warn == nil {
		opt.Warn = io.Discard
	}
	p := newPipe()
	p.m = snap.NewMatcher()
	var hits []match.Hit
	for _, path := range paths {
		inputs, err := source.Open(path)
		if err != nil {
			return st, err
		}
		for _, in := range inputs {
			if err := ingestOne(ctx, mem, in, opt, p, &hits, &st); err != nil {
				return st, err
			}
		}
	}
	return st, mem.Flush()
}

// Batches between the decoder and the store: big enough that handing one
// over costs nothing next to decoding it, small enough that the events of
// all of them stay in the CPU caches.
const (
	batchEvents = 256
	batches     = 6
)

// match matches the events of b and calls the callbacks of opt. On an
// error it cuts b short after the event that failed (or before the first
// event not looked at, when ctx is done), so the store keeps exactly the
// events whose alerts were reported.
func (p *pipe) match(ctx context.Context, b *batch, opt IngestOptions, hits *[]match.Hit, st *IngestStats) error {
	for i := range b.evs[:b.n] {
		if err := ctx.Err(); err != nil {
			b.n = i
			return err
		}
		ev := &b.evs[i]
		if opt.OnEvent != nil {
			if err := opt.OnEvent(ev); err != nil {
				b.n = i + 1
				return err
			}
		}
		*hits = p.m.MatchAppend((*hits)[:0], ev)
		for _, h := range *hits {
			st.Hits++
			if opt.OnHit != nil {
				if err := opt.OnHit(ev, h); err != nil {
					b.n = i + 1
					return err
				}
			}
		}
	}
	return nil
}

// batch is decoded events on their way to the store.
type batch struct {
	evs   []event.Event
	n     int   // events decoded into evs
	first int64 // the file's event number (from 1) of evs[0]
	read  int64 // bytes of the file read when evs[n-1] was decoded
}

// pipe is the decoder's batches: empty ones in free, decoded ones in full.
// The batches (and the events in them, whose slices are reused) outlive a
// file, so one ingest allocates them once.
type pipe struct {
	free chan *batch
	m    *match.Matcher // used by the matching stage only
}

func newPipe() *pipe {
	p := &pipe{free: make(chan *batch, batches)}
	for range batches {
		p.free <- &batch{evs: make([]event.Event, batchEvents)}
	}
	return p
}

// decoded is what the decoder of one file counted.
type decoded struct {
	n        int64 // events decoded, including those skipped as resumed
	resumed  int64
	bad      int64
	problems int
	broken   bool  // the stream failed before its end
	read     int64 // bytes read at the end
	err      error // the context's error
}

// decode reads every event of dec into batches sent on full, skipping the
// first skip events (stored by an earlier run), until the stream ends, the
// context is cancelled or stop is closed. It closes full when done. bad0
// is the number of bad records warned about before this file.
func (p *pipe) decode(ctx context.Context, dec source.Decoder, read *countingReader, skip, bad0 int64,
	warn io.Writer, full chan<- *batch, stop <-chan struct{}, out *decoded) {
	defer close(full)
	var b *batch
	send := func() bool {
		if b == nil || b.n == 0 {
			return true
		}
		if read != nil {
			b.read = read.n
		}
		select {
		case full <- b:
			b = nil
			return true
		case <-stop:
			return false
		}
	}
	defer func() {
		if b != nil {
			p.free <- b
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			out.err = err
			break
		}
		if b == nil {
			select {
			case b = <-p.free:
			case <-stop:
				return
			}
			b.n = 0
		}
		ev := &b.evs[b.n]
		err := dec.Next(ev)
		if err == io.EOF {
			break
		}
		var re *source.RecordError
		if errors.As(err, &re) {
			out.bad++
			if bad0+out.bad <= 20 {
				fmt.Fprintf(warn, "skipped: %v\n", re)
			}
			continue
		}
		if err != nil {
			fmt.Fprintf(warn, "umbra: %v\n", err)
			out.problems++
			out.broken = true
			break
		}
		out.n++
		if out.n <= skip {
			out.resumed++
			continue
		}
		if b.n == 0 {
			b.first = out.n
		}
		b.n++
		if b.n == len(b.evs) && !send() {
			return
		}
	}
	if read != nil {
		out.read = read.n
	}
	send()
}

func ingestOne(ctx context.Context, mem *memory.Store, in source.Input, opt IngestOptions,
	p *pipe, hits *[]match.Hit, st *IngestStats) error {
	warn := opt.Warn
	abs, size := "", int64(0)
	var skip int64
	var err error
	if in.Path != source.Stdin {
		if abs, err = filepath.Abs(in.Path); err != nil {
			return err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			fmt.Fprintf(warn, "umbra: %v\n", err)
			st.Problems++
			return nil
		}
		size = fi.Size()
		if cp, ok := mem.Checkpoint(abs); ok {
			off, err := cp.Resume(abs)
			switch {
			case err != nil:
				return err
			case off > 0 && off == size:
				st.Skipped++
				return nil
			case off > 0:
				skip = cp.Events // grown, or cut off mid-file: its first events are stored
			}
		}
	}
	var s *source.Stream
	var read *countingReader
	if abs == "" {
		s, err = in.Open()
	} else {
		// Read the file through a counter, so that a checkpoint taken in
		// the middle of it can name how far it was read.
		var f *os.File
		if f, err = os.Open(abs); err == nil {
			defer f.Close()
			read = &countingReader{r: f}
			s, err = source.OpenReader(read, in.Path)
		}
	}
	if err != nil {
		fmt.Fprintf(warn, "umbra: %v\n", err)
		st.Problems++
		return nil
	}
	defer s.Close()
	dec, err := s.Decoder()
	if err != nil {
		fmt.Fprintf(warn, "umbra: %s: %v\n", in.Path, err)
		st.Problems++
		return nil
	}
	st.Inputs++
	// The event being stored: its number in the file, and how much of the
	// file had been read when its batch was decoded. The decoder runs
	// ahead, so the counting reader itself is not what the store has.
	var n, readAt int64
	stored := int64(0) // the number of the last event stored
	if abs != "" && size > 1 {
		// At every segment cut the memory commits what this file has
		// stored so far: a crash in the middle of a long file then costs
		// a segment or two of work, never a duplicate. The cut comes in
		// the Append of event n, so it covers the n-1 before it. The
		// offset is what was read (at most the file's size less one, so
		// that a re-run resumes rather than skips the file) and serves
		// to recognise the file; the re-run skips by event count.
		mem.SetCutHook(func() (memory.Checkpoint, bool) {
			off := min(max(readAt, 1), size-1)
			cp, err := memory.NewCheckpoint(abs, off, n-1)
			return cp, err == nil
		})
		defer mem.SetCutHook(nil)
	}
	full := make(chan *batch, batches)
	stop := make(chan struct{})
	var d decoded
	go p.decode(ctx, dec, read, skip, st.Bad, warn, full, stop, &d)
	// Storing runs on a goroutine of its own, behind the matching and the
	// caller's callbacks (on this goroutine) and in the same order: the
	// store's Append and the matcher each took about as much CPU as
	// decoding, and on one goroutine they held the ingest to the speed of
	// that one. Matching comes first so that an error in a callback stops
	// the store at that event: no event is stored without its alerts.
	toStore := make(chan *batch, batches)
	storeDone := make(chan struct{})
	var storeErr error
	var storeFailed atomic.Bool
	go func() {
		defer close(storeDone)
		for b := range toStore {
			if storeErr == nil {
				for i := range b.evs[:b.n] {
					n, readAt = b.first+int64(i), b.read
					if storeErr = mem.Append(&b.evs[i]); storeErr != nil {
						storeErr = fmt.Errorf("storing %s: %w", in.Path, storeErr)
						storeFailed.Store(true)
						break
					}
					stored = n
					st.Events++
				}
			}
			p.free <- b
		}
	}()
	// waitStored ends the store stage and returns its error.
	waitStored := func() error {
		close(toStore)
		<-storeDone
		return storeErr
	}
	for b := range full {
		err := p.match(ctx, b, opt, hits, st)
		toStore <- b
		if err != nil || storeFailed.Load() {
			// Stop the decoder and wait for it to let go of the stream
			// and its batches before the stream is closed.
			close(stop)
			for b := range full {
				p.free <- b
			}
			if serr := waitStored(); err == nil {
				err = serr // the store failed
			} else if serr != nil {
				err = errors.Join(err, serr)
			}
			if abs != "" && size > 1 && stored > 0 {
				// Closing the memory commits what was stored: commit the
				// checkpoint with it, or a re-run would store those
				// events again.
				off := min(max(readAt, 1), size-1)
				if cp, cerr := memory.NewCheckpoint(abs, off, stored); cerr != nil {
					err = errors.Join(err, cerr)
				} else if cerr := mem.Cut(cp); cerr != nil {
					err = errors.Join(err, cerr)
				}
			}
			return err
		}
	}
	if err := waitStored(); err != nil {
		return err
	}
	// full is closed: the decoder is done and d is final.
	st.Bad += d.bad
	st.Resumed += d.resumed
	st.Problems += d.problems
	if d.err != nil {
		return d.err
	}
	if abs == "" {
		return nil
	}
	// The checkpoint commits with the events it covers: at the next cut
	// (the next file's) or at the Flush that ends the ingest. Meanwhile
	// the background writer encodes this file's last segments while the
	// next file is decoded.
	off := size
	if d.broken && size > 1 {
		// The stream broke off (a truncated gzip file): the events before
		// the break are stored, but the file is not done. An offset short
		// of its size makes the next run resume after them, not skip it.
		off = min(max(d.read, 1), size-1)
	}
	cp, err := memory.NewCheckpoint(abs, off, d.n)
	if err != nil {
		return err
	}
	return mem.Cut(cp)
}

// countingReader counts the bytes read from a file.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
