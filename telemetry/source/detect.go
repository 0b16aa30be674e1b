package source

import (
	"bytes"
	"encoding/binary"
)

// Detect returns the format of a decompressed input from its first bytes
// (Open passes up to 64 KiB). File names are not consulted: rotated,
// renamed and piped logs are common, and a name is a weaker hint than the
// content.
func Detect(head []byte) Format {
	if len(head) >= 4 {
		switch binary.BigEndian.Uint32(head) {
		case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, // pcap, both byte orders, µs and ns
			0x0a0d0d0a: // pcapng section header block
			return FormatPcap
		}
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 {
		return FormatUnknown
	}
	switch c := head[0]; {
	case c == '#':
		if bytes.HasPrefix(head, []byte("#separator")) {
			return FormatZeekTSV
		}
	case c == '{' || c == '[':
		return detectJSON(head)
	case c >= '0' && c <= '9':
		if headerlessZeek(head) {
			return FormatZeekTSV
		}
	}
	return FormatUnknown
}

// detectJSON classifies JSON by the keys of its first record. For
// newline-delimited JSON that is the first line; for a single document
// (a Graph or Reports API response) the whole head.
func detectJSON(head []byte) Format {
	first := head
	if head[0] == '{' {
		// Newline-delimited records: judge by the first line alone, so
		// that a later record of another kind cannot confuse the guess.
		// A pretty-printed document's first line is just "{".
		if i := bytes.IndexByte(head, '\n'); i > 0 && bytes.HasSuffix(bytes.TrimRight(head[:i], " \r\t"), []byte("}")) {
			first = head[:i]
		}
	}
	has := func(keys ...string) bool {
		for _, k := range keys {
			if bytes.Contains(first, []byte(k)) {
				return true
			}
		}
		return false
	}
	switch {
	case has(`"event_type"`):
		return FormatEVE
	case has(`"id.orig_h"`, `"_path"`, `"orig_h"`, `"fuid"`) ||
		has(`"uid"`) && has(`"ts"`):
		return FormatZeekJSON
	case has(`"userPrincipalName"`, `"UserLoggedIn"`, `"UserLoginFailed"`, `"SignInLogs"`, `"signIns"`, `"appDisplayName"`),
		has(`"CreationTime"`) && has(`"Operation"`): // an O365 audit export starting with another operation
		return FormatEntra
	case has(`admin#reports#activit`, `"applicationName"`) || has(`"actor"`) && has(`"events"`):
		return FormatGoogle
	}
	return FormatUnknown
}

// headerlessZeek recognises Zeek TSV whose header was cut off (truncated or
// concatenated logs): a first line that starts with an epoch timestamp and
// has several tab-separated fields.
func headerlessZeek(head []byte) bool {
	line := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line = head[:i]
	}
	tab := bytes.IndexByte(line, '\t')
	if tab < 0 || bytes.Count(line, []byte{'\t'}) < 4 {
		return false
	}
	ts := line[:tab]
	dot := bytes.IndexByte(ts, '.')
	if dot < 9 || dot == len(ts)-1 {
		return false
	}
	for i, c := range ts {
		if i != dot && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
