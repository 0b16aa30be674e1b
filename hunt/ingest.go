package hunt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
func Ingest(ctx context.Context, mem *memory.Store, snap *match.Snapshot, paths []string, opt IngestOptions) (IngestStats, error) {
	var st IngestStats
	if opt.Warn == nil {
		opt.Warn = io.Discard
	}
	var ev event.Event
	var hits []match.Hit
	for _, p := range paths {
		inputs, err := source.Open(p)
		if err != nil {
			return st, err
		}
		for _, in := range inputs {
			if err := ingestOne(ctx, mem, snap, in, opt, &ev, &hits, &st); err != nil {
				return st, err
			}
		}
	}
	return st, mem.Flush()
}

func ingestOne(ctx context.Context, mem *memory.Store, snap *match.Snapshot, in source.Input, opt IngestOptions,
	ev *event.Event, hits *[]match.Hit, st *IngestStats) error {
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
	var n int64
	broken := false // the stream failed before its end
	if abs != "" && size > 1 {
		// At every segment cut the memory commits what this file has
		// stored so far: a crash in the middle of a long file then costs
		// a segment or two of work, never a duplicate. The cut comes in
		// the Append of event n, so it covers the n-1 before it. The
		// offset is what was read (at most the file's size less one, so
		// that a re-run resumes rather than skips the file) and serves
		// to recognise the file; the re-run skips by event count.
		mem.SetCutHook(func() (memory.Checkpoint, bool) {
			off := min(max(read.n, 1), size-1)
			cp, err := memory.NewCheckpoint(abs, off, n-1)
			return cp, err == nil
		})
		defer mem.SetCutHook(nil)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := dec.Next(ev)
		if err == io.EOF {
			break
		}
		var re *source.RecordError
		if errors.As(err, &re) {
			st.Bad++
			if st.Bad <= 20 {
				fmt.Fprintf(warn, "skipped: %v\n", re)
			}
			continue
		}
		if err != nil {
			fmt.Fprintf(warn, "umbra: %v\n", err)
			st.Problems++
			broken = true
			break
		}
		n++
		if n <= skip {
			st.Resumed++
			continue
		}
		if err := mem.Append(ev); err != nil {
			return fmt.Errorf("storing %s: %w", in.Path, err)
		}
		st.Events++
		if opt.OnEvent != nil {
			if err := opt.OnEvent(ev); err != nil {
				return err
			}
		}
		*hits = snap.MatchAppend((*hits)[:0], ev)
		for _, h := range *hits {
			st.Hits++
			if opt.OnHit != nil {
				if err := opt.OnHit(ev, h); err != nil {
					return err
				}
			}
		}
	}
	if abs == "" {
		return nil
	}
	// The checkpoint commits with the events it covers: at the next cut
	// (the next file's) or at the Flush that ends the ingest. Meanwhile
	// the background writer encodes this file's last segments while the
	// next file is decoded.
	off := size
	if broken && size > 1 {
		// The stream broke off (a truncated gzip file): the events before
		// the break are stored, but the file is not done. An offset short
		// of its size makes the next run resume after them, not skip it.
		off = min(max(read.n, 1), size-1)
	}
	cp, err := memory.NewCheckpoint(abs, off, n)
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
