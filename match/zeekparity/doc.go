// Package zeekparity holds no code: its tests check umbra's matcher against
// Zeek's own Intel-framework btests (zeek/zeek testing/btest, kept under
// ../shared/data/zeek-intel-btests).
//
// For each btest the tests load the same intel files (through
// intel/zeekintel), replay the same traces (through telemetry/pcap) or the
// same synthetic Intel::seen calls, and compare the set of
// (indicator, indicator type, where) that umbra's match.Snapshot reports with
// the rows of Zeek's intel.log baseline. Zeek's vocabulary is translated into
// umbra's by two explicit tables (Intel::Type to indicator.Type, seen.where to
// umbra's "<kind>.<field>" labels), so a reader can see exactly what is
// claimed to be equivalent.
//
// Differences are not tolerated silently: every tuple only umbra reports must
// be of a documented kind, and every tuple only Zeek reports must be explained
// by a Zeek feature umbra does not have (expiry, seen-policy hooks, SMB and
// SMTP analysers, file analysis of HTTP bodies). Each case logs a summary line
// of matched, Zeek-only and umbra-only tuples.
package zeekparity
