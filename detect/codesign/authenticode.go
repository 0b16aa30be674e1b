package codesign

import (
	"crypto"
	"encoding/binary"
	"fmt"
	"hash"
)

// layout is where the three Authenticode exclusions live in one PE file.
// Offsets are file offsets in bytes.
type layout struct {
	is64 bool
	// checksumOffset is the OptionalHeader.CheckSum field (4 bytes).
	checksumOffset int64
	// certDirOffset is the certificate-table data-directory entry (8 bytes),
	// or -1 when the optional header has no such entry.
	certDirOffset int64
	// certTableOffset and certTableSizeBytes locate the attribute
	// certificate table; the size is 0 when the file is unsigned.
	certTableOffset    int64
	certTableSizeBytes int64
	// certTableErr says why a non-empty certificate directory entry was
	// ignored; a signed file whose table points outside the file has been
	// truncated or edited, which is a finding rather than a parse failure.
	certTableErr error
}

// errNotPE marks input that is not a PE image at all (skipped, not an
// error): text files, archives, DOS-only or NE/LE executables.
type errNotPE struct{ reason string }

func (e errNotPE) Error() string { return "not a PE file: " + e.reason }

// parseLayout reads just enough of the headers to know what Authenticode
// excludes from the hash. It is independent of the full PE parser so the
// digest never depends on that parser's tolerance of odd files.
func parseLayout(data []byte) (layout, error) {
	size := int64(len(data))
	if size < 0x40 || data[0] != 'M' || data[1] != 'Z' {
		return layout{}, errNotPE{"no MZ header"}
	}
	peOff := int64(binary.LittleEndian.Uint32(data[0x3c:]))
	if peOff+4 > size || string(data[peOff:peOff+4]) != "PE\x00\x00" {
		return layout{}, errNotPE{fmt.Sprintf("no PE signature at e_lfanew 0x%x (DOS, NE or LE executable)", peOff)}
	}
	coff := peOff + 4
	if coff+20 > size {
		return layout{}, fmt.Errorf("offset 0x%x: COFF header truncated (file is %d bytes)", coff, size)
	}
	optSize := int64(binary.LittleEndian.Uint16(data[coff+16:]))
	opt := coff + 20
	if optSize < 68 || opt+optSize > size {
		return layout{}, fmt.Errorf("offset 0x%x: optional header of %d bytes does not fit (file is %d bytes)", opt, optSize, size)
	}
	var l layout
	var numDirsOff, dirsOff int64
	switch magic := binary.LittleEndian.Uint16(data[opt:]); magic {
	case 0x10b:
		numDirsOff, dirsOff = opt+92, opt+96
	case 0x20b:
		l.is64 = true
		numDirsOff, dirsOff = opt+108, opt+112
	default:
		return layout{}, fmt.Errorf("offset 0x%x: unknown optional header magic 0x%x", opt, magic)
	}
	l.checksumOffset = opt + 64
	l.certDirOffset = -1
	end := opt + optSize
	if numDirsOff+4 > end {
		return l, nil
	}
	numDirs := binary.LittleEndian.Uint32(data[numDirsOff:])
	certDir := dirsOff + 4*8 // IMAGE_DIRECTORY_ENTRY_SECURITY is entry 4
	if numDirs <= 4 || certDir+8 > end {
		return l, nil
	}
	l.certDirOffset = certDir
	// Unlike every other directory, the security entry holds a file offset,
	// not an RVA.
	off := int64(binary.LittleEndian.Uint32(data[certDir:]))
	n := int64(binary.LittleEndian.Uint32(data[certDir+4:]))
	if n == 0 {
		return l, nil
	}
	if off < end || off+n > size {
		l.certTableErr = fmt.Errorf("offset 0x%x: certificate table at 0x%x of %d bytes lies outside the file body (headers end 0x%x, file is %d bytes)",
			certDir, off, n, end, size)
		return l, nil
	}
	l.certTableOffset, l.certTableSizeBytes = off, n
	return l, nil
}

// ImageDigest returns the Authenticode image hash ("authentihash") of the
// PE file data computed with h: the value a signature's
// SpcIndirectDataContent must carry, and an indicator in its own right,
// since re-signing or stripping a signature does not change it. The file is
// hashed as it is: signers first pad a file whose length is not a multiple
// of 8 with zeros, so such a file's digest changes once when it is first
// signed.
func ImageDigest(data []byte, h crypto.Hash) ([]byte, error) {
	if !h.Available() {
		return nil, fmt.Errorf("hash %v is not available", h)
	}
	l, err := parseLayout(data)
	if err != nil {
		return nil, err
	}
	return digest(data, l, h), nil
}

// digest is the Authenticode image hash of data: the whole file except the
// checksum, the certificate-table directory entry and the certificate
// table. Hashing the file in order (rather than header, then sections
// sorted by PointerToRawData, then trailing data) gives the same result for
// every well-formed image and also covers bytes between or after sections,
// which is what signtool and osslsigncode hash too.
func digest(data []byte, l layout, h crypto.Hash) []byte {
	w := h.New()
	digestInto(w, data, l)
	return w.Sum(nil)
}

func digestInto(w hash.Hash, data []byte, l layout) {
	pos := int64(0)
	skip := func(from, n int64) {
		if from < pos || from < 0 {
			return
		}
		w.Write(data[pos:from])
		pos = from + n
	}
	skip(l.checksumOffset, 4)
	if l.certDirOffset >= 0 {
		skip(l.certDirOffset, 8)
	}
	if l.certTableSizeBytes > 0 {
		skip(l.certTableOffset, l.certTableSizeBytes)
	}
	if pos < int64(len(data)) {
		w.Write(data[pos:])
	}
}

// winCertificate is one entry of the attribute certificate table.
type winCertificate struct {
	offset   int64 // file offset of the entry
	certType uint16
	content  []byte
}

const winCertTypePKCSSignedData = 0x0002

// certificates splits the attribute certificate table into its 8-byte
// aligned WIN_CERTIFICATE entries.
func certificates(data []byte, l layout) ([]winCertificate, error) {
	var out []winCertificate
	table := data[l.certTableOffset : l.certTableOffset+l.certTableSizeBytes]
	for pos := int64(0); pos < int64(len(table)); {
		at := l.certTableOffset + pos
		if int64(len(table))-pos < 8 {
			// Trailing padding shorter than a header.
			break
		}
		n := int64(binary.LittleEndian.Uint32(table[pos:]))
		if n < 8 || pos+n > int64(len(table)) {
			return out, fmt.Errorf("offset 0x%x: WIN_CERTIFICATE length %d does not fit the %d-byte certificate table", at, n, len(table))
		}
		out = append(out, winCertificate{
			offset:   at,
			certType: binary.LittleEndian.Uint16(table[pos+6:]),
			content:  table[pos+8 : pos+n],
		})
		pos += (n + 7) &^ 7
	}
	return out, nil
}
