package main

// Decoders register their formats with telemetry/source.
import (
	_ "github.com/umbra-cti/umbra/telemetry/eve"
	_ "github.com/umbra-cti/umbra/telemetry/pcap"
	_ "github.com/umbra-cti/umbra/telemetry/signin"
	_ "github.com/umbra-cti/umbra/telemetry/zeek"
)
