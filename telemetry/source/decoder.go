package source

import (
	"fmt"
	"io"
	"sync"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// Decoder turns one input stream into normalised events.
//
// Next fills e (after calling e.Reset) with the next record and returns nil,
// io.EOF at the end of the input, a *RecordError when one record was bad and
// has been skipped (the caller reports it and calls Next again), or any other
// error when the stream cannot be read further.
//
// Decoders that count what they skipped also implement StatsReporter.
type Decoder interface {
	Next(e *event.Event) error
}

// StatsReporter is implemented by decoders that report their counts in the
// common form (the Zeek, EVE and sign-in decoders do).
type StatsReporter interface {
	Stats() Stats
}

// NewDecoderFunc builds a Decoder reading r; name is the file name used in
// error messages and, for Zeek, to infer the log type of headerless files.
// It fails when r cannot be of its format (a pcap whose header is broken).
type NewDecoderFunc func(r io.Reader, name string) (Decoder, error)

// Stats counts what a decoder has read so far, so that a run can report how
// much input it skipped and why.
type Stats struct {
	Records int64         // good records returned
	Bad     int64         // records skipped as bad
	Errors  []RecordError // the first MaxErrors bad records
}

// MaxErrors bounds Stats.Errors so that a file of garbage cannot exhaust
// memory; Bad still counts every bad record.
const MaxErrors = 100

// Add records err as a bad record in s.
func (s *Stats) Add(err *RecordError) {
	s.Bad++
	if len(s.Errors) < MaxErrors {
		s.Errors = append(s.Errors, *err)
	}
}

// RecordError says which record of which input was bad and why. Line is
// 1-based; Offset is the byte offset of the record in the decompressed
// stream. Either can be 0 when the format does not have it.
type RecordError struct {
	Name   string
	Line   int64
	Offset int64
	Reason string
}

func (e *RecordError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: byte %d: %s", e.Name, e.Offset, e.Reason)
}

var (
	registryMu sync.RWMutex
	registry   = map[Format]NewDecoderFunc{}
)

// Register makes a decoder available for a format; decoder packages call it
// from init so that source needs no edit when a format is added (for
// example telemetry/pcap registers FormatPcap). Registering a format twice
// replaces the earlier decoder.
func Register(f Format, fn NewDecoderFunc) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[f] = fn
}

// Lookup returns the decoder registered for f.
func Lookup(f Format) (NewDecoderFunc, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	fn, ok := registry[f]
	return fn, ok
}
