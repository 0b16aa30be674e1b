package eve

import (
	"testing"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

// TestThroughSource checks that the fixture is recognised as EVE by content
// and that this package's decoder is the one registered for it.
func TestThroughSource(t *testing.T) {
	ins, err := source.Open("testdata/eve.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ins[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Format != source.FormatEVE {
		t.Fatalf("format %q, want eve", s.Format)
	}
	d, err := s.Decoder()
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := d.Next(&e); err != nil || e.Sensor != "suricata" {
		t.Errorf("first record: %v %q", err, e.Sensor)
	}
	if _, ok := d.(*Reader); !ok {
		t.Errorf("decoder is %T, want *eve.Reader", d)
	}
}
