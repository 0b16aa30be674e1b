package source

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// Summary is what Each read: its inputs, and the records of all of them.
type Summary struct {
	Inputs     int // inputs decoded, wholly or in part
	Unreadable int // inputs not decoded: unrecognised, unopenable, or no decoder registered
	Stats          // good and bad records over all inputs
}

// Each decodes every input under path (see Open) with the decoder
// registered for its format, calling fn with each good record and problem
// with each bad record, unreadable input and read error. Problems do not
// stop the walk: the next record or input is read. The Event passed to fn is
// reused for the next record; fn calls e.Clone to keep it.
//
// Each returns an error only when path cannot be listed or fn returns one;
// that error stops the walk.
func Each(path string, fn func(in Input, e *event.Event) error, problem func(error)) (Summary, error) {
	var sum Summary
	ins, err := Open(path)
	if err != nil {
		return sum, err
	}
	var e event.Event
	for _, in := range ins {
		if err := each(in, &e, &sum, fn, problem); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func each(in Input, e *event.Event, sum *Summary, fn func(Input, *event.Event) error, problem func(error)) error {
	s, err := in.Open()
	if err != nil {
		sum.Unreadable++
		problem(err)
		return nil
	}
	defer s.Close()
	d, err := s.Decoder()
	if err != nil {
		sum.Unreadable++
		problem(err)
		return nil
	}
	sum.Inputs++
	for {
		err := d.Next(e)
		var re *RecordError
		switch {
		case err == nil:
			sum.Records++
			if err := fn(in, e); err != nil {
				return err
			}
		case err == io.EOF:
			return nil
		case errors.As(err, &re):
			sum.Add(re)
			problem(re)
		default:
			// The stream broke (a truncated gzip file, an I/O error):
			// what was decoded stands, the rest of this input is lost.
			if !strings.HasPrefix(err.Error(), s.Name) {
				err = fmt.Errorf("%s: %w", s.Name, err)
			}
			problem(err)
			return nil
		}
	}
}
