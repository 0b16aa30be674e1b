package signin

import (
	"testing"

	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
)

// TestThroughSource checks that each fixture is recognised by content and
// decoded by this package through the registry.
func TestThroughSource(t *testing.T) {
	for file, want := range map[string]source.Format{
		"graph_signins.json":      source.FormatEntra,
		"monitor_signinlogs.json": source.FormatEntra,
		"o365_audit.json":         source.FormatEntra,
		"google_login.json":       source.FormatGoogle,
	} {
		ins, err := source.Open("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ins[0].Open()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if s.Format != want {
			t.Errorf("%s: format %q, want %q", file, s.Format, want)
		}
		d, err := s.Decoder()
		if err != nil {
			t.Fatal(err)
		}
		var e event.Event
		if err := d.Next(&e); err != nil || e.Kind != event.KindSignIn {
			t.Errorf("%s: first record %v kind %v", file, err, e.Kind)
		}
		s.Close()
	}
}
