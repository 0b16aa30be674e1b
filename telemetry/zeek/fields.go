package zeek

import (
	"path/filepath"
	"strings"

	"github.com/umbra-cti/umbra/telemetry/event"
)

// field says what a log column means for the Event. Columns are mapped once
// per header (TSV) or per key (JSON), so the per-record loop is a switch.
type field uint8

const (
	fSkip field = iota
	fTS
	fUID
	fOrigH
	fOrigP
	fRespH
	fRespP
	fProto
	fCommunityID
	fOrigBytes
	fRespBytes
	fQuery
	fAnswers
	fSNI
	fJA3
	fJA3S
	fJA4
	fALPN
	fCertFingerprint // ssl cert_chain_fps, x509 fingerprint: first one, sorted into SHA1/SHA256 by length
	fCertSerial
	fCertSubject
	fCertIssuer
	fCertNames
	fFUID // x509 has no connection uid: its file id becomes UID
	fHost
	fURI
	fUserAgent
	fCookieHeader // "a=1; b=2": names extracted
	fCookieNames  // cookie_vars: names already
	fUser
	fMD5
	fSHA1
	fSHA256
	fFileName
	fTxHost
	fRxHost
	fConnUID // files conn_uids: the first becomes UID
	fEmail
)

// multiDefault says whether a field is a set or vector when the log has no
// #types line to say so (headerless TSV; JSON carries arrays itself).
func (f field) multiDefault() bool {
	switch f {
	case fAnswers, fCertFingerprint, fCertNames, fCookieNames, fTxHost, fRxHost, fConnUID:
		return true
	}
	return false
}

// commonFields are the columns every log shares.
var commonFields = map[string]field{
	"ts":           fTS,
	"uid":          fUID,
	"id.orig_h":    fOrigH,
	"id.orig_p":    fOrigP,
	"id.resp_h":    fRespH,
	"id.resp_p":    fRespP,
	"proto":        fProto,
	"community_id": fCommunityID,
}

// kindFields are the columns that mean something in one log only: "host"
// is an HTTP header in http.log but an address in known_hosts.log.
var kindFields = map[event.Kind]map[string]field{
	event.KindConn: {"orig_bytes": fOrigBytes, "resp_bytes": fRespBytes},
	event.KindDNS:  {"query": fQuery, "answers": fAnswers},
	event.KindTLS: {
		"server_name": fSNI, "ja3": fJA3, "ja3s": fJA3S, "ja4": fJA4, "next_protocol": fALPN,
		"cert_chain_fps": fCertFingerprint, "subject": fCertSubject, "issuer": fCertIssuer,
	},
	event.KindX509: {
		"id": fFUID, "fuid": fFUID, "fingerprint": fCertFingerprint,
		"certificate.serial": fCertSerial, "certificate.subject": fCertSubject,
		"certificate.issuer": fCertIssuer, "san.dns": fCertNames,
	},
	event.KindHTTP: {
		"host": fHost, "uri": fURI, "user_agent": fUserAgent, "username": fUser,
		"cookie": fCookieHeader, "cookies": fCookieHeader, "cookie_vars": fCookieNames,
	},
	event.KindFile: {
		"md5": fMD5, "sha1": fSHA1, "sha256": fSHA256, "filename": fFileName,
		"tx_hosts": fTxHost, "rx_hosts": fRxHost, "conn_uids": fConnUID,
	},
	event.KindSMTP: {
		"mailfrom": fEmail, "rcptto": fEmail, "from": fEmail, "to": fEmail, "cc": fEmail, "reply_to": fEmail,
	},
	event.KindNotice: {"src": fOrigH, "dst": fRespH, "p": fRespP},
}

// fieldFor maps a column name of a log of kind k.
func fieldFor(k event.Kind, name string) field {
	if f, ok := kindFields[k][name]; ok {
		return f
	}
	return commonFields[name]
}

// kindOfPath maps a Zeek #path (or _path) to an event kind. RITA's
// open_conn/open_http/open_ssl logs have the same columns as their closed
// counterparts.
func kindOfPath(path string) event.Kind {
	path = strings.TrimPrefix(path, "open_")
	switch path {
	case "conn":
		return event.KindConn
	case "dns":
		return event.KindDNS
	case "http":
		return event.KindHTTP
	case "ssl":
		return event.KindTLS
	case "x509":
		return event.KindX509
	case "files":
		return event.KindFile
	case "smtp":
		return event.KindSMTP
	case "notice":
		return event.KindNotice
	case "weird":
		return event.KindWeird
	}
	return event.KindGeneric
}

// PathFromName returns the Zeek log path a file name implies: the part of
// the base name before the first dot, so that rotated logs such as
// "conn.2018-03-24-10-00-00.log.gz" and "dns.15:00:00-16:00:00.log.gz"
// give "conn" and "dns".
func PathFromName(name string) string {
	base := filepath.Base(name)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	return base
}

// kindOfName returns the kind a file name implies, or KindUnknown. Besides
// the stock names it accepts a stock name followed by '_' or '-'
// ("conn_top.log", "dns-sensor2.log"), which is how cut-down or per-sensor
// copies of logs tend to be named.
func kindOfName(name string) event.Kind {
	p := PathFromName(name)
	if k := kindOfPath(p); k != event.KindGeneric {
		return k
	}
	if i := strings.IndexAny(p, "_-"); i > 0 {
		if k := kindOfPath(p[:i]); k != event.KindGeneric {
			return k
		}
	}
	return event.KindUnknown
}

// inferKind guesses the log from its column names, for logs with neither a
// #path header nor a _path key nor a telling file name.
func inferKind(has func(string) bool) event.Kind {
	switch {
	case has("conn_state"):
		return event.KindConn
	case has("qtype_name") || has("query") && has("answers"):
		return event.KindDNS
	case has("server_name") || has("ja3") || has("cipher"):
		return event.KindTLS
	case has("certificate.serial"):
		return event.KindX509
	case has("method") && has("uri"):
		return event.KindHTTP
	case has("fuid") && (has("mime_type") || has("md5") || has("sha1")):
		return event.KindFile
	case has("mailfrom") || has("rcptto"):
		return event.KindSMTP
	case has("note"):
		return event.KindNotice
	case has("name") && has("addl"):
		return event.KindWeird
	}
	return event.KindGeneric
}

// defaultFields are the column orders of Zeek's stock logs, used for TSV
// whose header was cut off (truncated logs, a tail of a live log).
var defaultFields = map[event.Kind][]string{
	event.KindConn: strings.Fields("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents"),
	event.KindDNS:  strings.Fields("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected"),
}
