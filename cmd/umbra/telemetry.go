package main

import (
	"io"

	"github.com/umbra-cti/umbra/telemetry/pcap"
	"github.com/umbra-cti/umbra/telemetry/source"

	// Decoders register their formats with telemetry/source.
	_ "github.com/umbra-cti/umbra/telemetry/eve"
	_ "github.com/umbra-cti/umbra/telemetry/signin"
	_ "github.com/umbra-cti/umbra/telemetry/zeek"
)

func init() {
	source.Register(source.FormatPcap, func(r io.Reader, name string) (source.Decoder, error) {
		return pcap.NewReader(r, name)
	})
}
