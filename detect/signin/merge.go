package signin

import (
	"container/heap"
	"errors"
	"io"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

// Merge interleaves the events of several decoders by time, so that a
// Detector fed from a sign-in export and a day of Zeek logs sees a visit
// before the sign-in that follows it, although each file is read in its own
// order. Each input only needs to be roughly in time order itself.
//
// A bad record (*source.RecordError) or a broken input is passed to problem
// and merging goes on with the other inputs.
type Merge struct {
	h       mergeHeap
	problem func(error)
	started bool
}

type mergeHead struct {
	dec source.Decoder
	ev  event.Event
	seq int // input order breaks ties, so the merge is deterministic
}

type mergeHeap []*mergeHead

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if c := h[i].ev.Time.Compare(h[j].ev.Time); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(*mergeHead)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// NewMerge merges decs; problem receives bad records and broken inputs and
// must not be nil.
func NewMerge(decs []source.Decoder, problem func(error)) *Merge {
	m := &Merge{problem: problem}
	for i, d := range decs {
		m.h = append(m.h, &mergeHead{dec: d, seq: i})
	}
	return m
}

// fill reads hd's next good event; false when its input is finished.
func (m *Merge) fill(hd *mergeHead) bool {
	for {
		err := hd.dec.Next(&hd.ev)
		if err == nil {
			return true
		}
		if err == io.EOF {
			return false
		}
		m.problem(err)
		var re *source.RecordError
		if !errors.As(err, &re) {
			return false
		}
	}
}

// Next fills ev with the earliest pending event, or returns io.EOF when
// every input is finished. ev's previous content is recycled as a buffer.
func (m *Merge) Next(ev *event.Event) error {
	if !m.started {
		m.started = true
		live := m.h[:0]
		for _, hd := range m.h {
			if m.fill(hd) {
				live = append(live, hd)
			}
		}
		m.h = live
		heap.Init(&m.h)
	}
	if len(m.h) == 0 {
		return io.EOF
	}
	hd := m.h[0]
	// Swap rather than copy: ev takes the event, the head refills into
	// ev's old buffers, and no slice is shared between the two.
	*ev, hd.ev = hd.ev, *ev
	if m.fill(hd) {
		heap.Fix(&m.h, 0)
	} else {
		heap.Pop(&m.h)
	}
	return nil
}
