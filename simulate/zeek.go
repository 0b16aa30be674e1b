package simulate

import (
	"bufio"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// zeekLog writes one Zeek ASCII log the way Zeek's default writer does:
// the #separator ... #types header, tab-separated records with "-" for
// unset and "(empty)" for empty containers, and a #close footer.
type zeekLog struct {
	path  string
	w     *bufio.Writer
	line  []byte
	lines uint64
}

// The column sets of Zeek 6 with the JA3/JA4 and community-id packages
// loaded, as sensors running them write conn, dns, http, ssl, x509 and
// files logs (compared with the zeek-rita-testdata and Zeek btest
// baselines).
var zeekColumns = map[string][2]string{
	"conn": {
		"ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents community_id",
		"time string addr port addr port enum string interval count count string bool bool count string count count count count set[string] string"},
	"dns": {
		"ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected",
		"time string addr port addr port enum count interval string count string count string count string bool bool bool bool count vector[string] vector[interval] bool"},
	"http": {
		"ts uid id.orig_h id.orig_p id.resp_h id.resp_p trans_depth method host uri referrer version user_agent origin request_body_len response_body_len status_code status_msg info_code info_msg tags username password proxied orig_fuids orig_filenames orig_mime_types resp_fuids resp_filenames resp_mime_types",
		"time string addr port addr port count string string string string string string string count count count string count string set[enum] string string set[string] vector[string] vector[string] vector[string] vector[string] vector[string] vector[string]"},
	"ssl": {
		"ts uid id.orig_h id.orig_p id.resp_h id.resp_p version cipher curve server_name resumed last_alert next_protocol established ssl_history cert_chain_fps client_cert_chain_fps sni_matches_cert validation_status ja3 ja3s ja4",
		"time string addr port addr port string string string string bool string string bool string vector[string] vector[string] bool string string string string"},
	"x509": {
		"ts fingerprint certificate.version certificate.serial certificate.subject certificate.issuer certificate.not_valid_before certificate.not_valid_after certificate.key_alg certificate.sig_alg certificate.key_type certificate.key_length certificate.exponent certificate.curve san.dns san.uri san.email san.ip basic_constraints.ca basic_constraints.path_len host_cert client_cert",
		"time string count string string string time time string string string count string string vector[string] vector[string] vector[string] vector[addr] bool count bool bool"},
	"files": {
		"ts fuid uid id.orig_h id.orig_p id.resp_h id.resp_p source depth analyzers mime_type filename duration local_orig is_orig seen_bytes total_bytes missing_bytes overflow_bytes timedout parent_fuid md5 sha1 sha256 extracted extracted_cutoff extracted_size",
		"time string string addr port addr port string count set[string] string string interval bool bool count count count count bool string string string string string bool count"},
}

const zeekTimeLayout = "2006-01-02-15-04-05"

// zeekHeader is the header Zeek writes at the top of a log.
func zeekHeader(path string, open time.Time) string {
	cols := zeekColumns[path]
	return "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t" + path +
		"\n#open\t" + open.UTC().Format(zeekTimeLayout) +
		"\n#fields\t" + strings.ReplaceAll(cols[0], " ", "\t") +
		"\n#types\t" + strings.ReplaceAll(cols[1], " ", "\t") + "\n"
}

// Record building: begin, then one call per column, then end. Every
// column method writes its leading separator, except the first (ts).

func (l *zeekLog) begin(tsMicros int64) {
	l.line = appendZeekTime(l.line[:0], tsMicros)
}

func (l *zeekLog) end() {
	l.line = append(l.line, '\n')
	l.w.Write(l.line)
	l.lines++
}

func (l *zeekLog) str(s string) {
	l.line = append(l.line, '\t')
	if s == "" {
		l.line = append(l.line, '-')
		return
	}
	l.line = append(l.line, s...)
}

// strs writes a set or vector; nil is unset, an empty non-nil slice is
// "(empty)".
func (l *zeekLog) strs(v []string) {
	l.line = append(l.line, '\t')
	switch {
	case v == nil:
		l.line = append(l.line, '-')
	case len(v) == 0:
		l.line = append(l.line, "(empty)"...)
	}
	for i, s := range v {
		if i > 0 {
			l.line = append(l.line, ',')
		}
		l.line = append(l.line, s...)
	}
}

func (l *zeekLog) addr(a netip.Addr) {
	l.line = append(l.line, '\t')
	l.line = a.AppendTo(l.line)
}

func (l *zeekLog) count(n uint64) {
	l.line = append(l.line, '\t')
	l.line = strconv.AppendUint(l.line, n, 10)
}

func (l *zeekLog) boolean(b bool) {
	if b {
		l.line = append(l.line, "\tT"...)
	} else {
		l.line = append(l.line, "\tF"...)
	}
}

// interval writes a duration in microseconds as Zeek's seconds.micros.
func (l *zeekLog) interval(us int64) {
	l.line = append(l.line, '\t')
	l.line = appendZeekTime(l.line, us)
}

func (l *zeekLog) time(us int64) { l.interval(us) }

func (l *zeekLog) unset() { l.line = append(l.line, "\t-"...) }

// appendZeekTime formats microseconds as "1714420737.556099".
func appendZeekTime(b []byte, us int64) []byte {
	if us < 0 {
		b = append(b, '-')
		us = -us
	}
	b = strconv.AppendInt(b, us/1e6, 10)
	frac := us % 1e6
	b = append(b, '.')
	for d := int64(100000); d > 0; d /= 10 {
		b = append(b, byte('0'+frac/d%10))
	}
	return b
}
