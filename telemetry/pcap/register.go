package pcap

import (
	"io"

	"github.com/umbra-cti/umbra/telemetry/source"
)

// Registering here, like the other decoders, lets every user of
// telemetry/source read captures by importing this package.
func init() {
	source.Register(source.FormatPcap, func(r io.Reader, name string) (source.Decoder, error) {
		return NewReader(r, name)
	})
}
