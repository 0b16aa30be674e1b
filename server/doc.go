// Package server composes umbra's network-facing side on one mux: TAXII 2.1
// under /taxii2/ (server/taxii over the knowledge store), the REST API under
// /api/ (server/api) and the web UI under /ui/ (server/ui), every call
// authenticated by server/auth tokens with roles and TLP clearance.
//
// New builds the handler: security headers and a strict Content-Security-
// Policy on every response, a body limit on every request, and the REST API
// behind Bearer/Basic only. Serve runs it with timeouts and a header limit
// and shuts down gracefully when its context ends. CheckListen refuses plain
// HTTP on a non-loopback address. TokenFile serves the data dir's token file
// and picks up tokens issued or revoked by other processes within a second.
// The CLI (`umbra serve`) only wires flags to these.
package server
