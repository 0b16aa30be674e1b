// Package server groups umbra's network-facing shells: server/auth holds API
// tokens and the access-control middleware, server/taxii the TAXII 2.1 server
// that hands STIX objects to other tools. Both expose http.Handlers; the CLI
// (`umbra serve`) only wires them together.
package server
