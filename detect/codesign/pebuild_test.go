package codesign

import (
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

// testPE describes a minimal PE32 image the tests write themselves, so no
// third-party binary has to be committed.
type testPE struct {
	company  string // CompanyName in a version-info resource; "" for none
	pe32plus bool
}

const (
	testFileAlign = 0x200
	testTextRVA   = 0x1000
	testRsrcRVA   = 0x2000
	testTextOff   = 0x200 // file offset of .text
)

// build writes the image: DOS header, PE headers, a .text section holding
// "ret" and filler, and optionally a .rsrc section with VS_VERSION_INFO.
func (p testPE) build() []byte {
	le := binary.LittleEndian
	var rsrc []byte
	if p.company != "" {
		rsrc = versionResource(testRsrcRVA, map[string]string{"CompanyName": p.company, "ProductName": "umbra test"})
	}
	nsec := 1
	if rsrc != nil {
		nsec = 2
	}
	optSize := 224
	if p.pe32plus {
		optSize = 240
	}
	img := make([]byte, testTextOff+testFileAlign+align(len(rsrc), testFileAlign))
	copy(img, "MZ")
	le.PutUint32(img[0x3c:], 0x40)
	copy(img[0x40:], "PE\x00\x00")
	coff := img[0x44:]
	machine := uint16(0x14c)
	if p.pe32plus {
		machine = 0x8664
	}
	le.PutUint16(coff[0:], machine)
	le.PutUint16(coff[2:], uint16(nsec))
	le.PutUint32(coff[4:], 0x5ab5f000) // 2018-03-24, Burning Umbrella's time frame
	le.PutUint16(coff[16:], uint16(optSize))
	le.PutUint16(coff[18:], 0x0102) // executable, 32-bit machine
	opt := img[0x58:]
	sizeOfImage := uint32(testRsrcRVA)
	if rsrc != nil {
		sizeOfImage = testRsrcRVA + uint32(align(len(rsrc), 0x1000))
	}
	if p.pe32plus {
		le.PutUint16(opt[0:], 0x20b)
		le.PutUint64(opt[24:], 0x140000000) // ImageBase
	} else {
		le.PutUint16(opt[0:], 0x10b)
		le.PutUint32(opt[24:], testTextRVA) // BaseOfData
		le.PutUint32(opt[28:], 0x400000)    // ImageBase
	}
	opt[2] = 14                           // linker version
	le.PutUint32(opt[4:], testFileAlign)  // SizeOfCode
	le.PutUint32(opt[16:], testTextRVA)   // AddressOfEntryPoint
	le.PutUint32(opt[20:], testTextRVA)   // BaseOfCode
	le.PutUint32(opt[32:], 0x1000)        // SectionAlignment
	le.PutUint32(opt[36:], testFileAlign) // FileAlignment
	le.PutUint16(opt[40:], 6)             // OS version
	le.PutUint16(opt[48:], 6)             // subsystem version
	le.PutUint32(opt[56:], sizeOfImage)
	le.PutUint32(opt[60:], testTextOff) // SizeOfHeaders
	le.PutUint16(opt[68:], 2)           // GUI subsystem
	le.PutUint16(opt[70:], 0x8140)      // NX, dynamic base, terminal-server aware
	dirs := 96
	if p.pe32plus {
		le.PutUint64(opt[72:], 0x100000)
		le.PutUint64(opt[80:], 0x1000)
		le.PutUint64(opt[88:], 0x100000)
		le.PutUint64(opt[96:], 0x1000)
		le.PutUint32(opt[108:], 16)
		dirs = 112
	} else {
		le.PutUint32(opt[72:], 0x100000)
		le.PutUint32(opt[76:], 0x1000)
		le.PutUint32(opt[80:], 0x100000)
		le.PutUint32(opt[84:], 0x1000)
		le.PutUint32(opt[92:], 16)
	}
	if rsrc != nil {
		le.PutUint32(opt[dirs+2*8:], testRsrcRVA)
		le.PutUint32(opt[dirs+2*8+4:], uint32(len(rsrc)))
	}
	sec := img[0x58+optSize:]
	writeSection(sec, ".text", testTextRVA, testFileAlign, testTextOff, 0x60000020)
	text := img[testTextOff : testTextOff+testFileAlign]
	text[0] = 0xc3 // ret
	for i := 1; i < len(text); i++ {
		text[i] = byte(i * 7)
	}
	if rsrc != nil {
		writeSection(sec[40:], ".rsrc", testRsrcRVA, len(rsrc), testTextOff+testFileAlign, 0x40000040)
		copy(img[testTextOff+testFileAlign:], rsrc)
	}
	return img
}

func writeSection(h []byte, name string, rva, size, off int, flags uint32) {
	le := binary.LittleEndian
	copy(h[0:8], name)
	le.PutUint32(h[8:], uint32(size))
	le.PutUint32(h[12:], uint32(rva))
	le.PutUint32(h[16:], uint32(align(size, testFileAlign)))
	le.PutUint32(h[20:], uint32(off))
	le.PutUint32(h[36:], flags)
}

func align(n, a int) int { return (n + a - 1) / a * a }

// versionResource builds a resource directory (type RT_VERSION, name 1,
// language 0x409) whose data is a VS_VERSION_INFO with one string table.
func versionResource(rva uint32, strs map[string]string) []byte {
	var children [][]byte
	for _, k := range []string{"CompanyName", "ProductName"} {
		if v, ok := strs[k]; ok {
			children = append(children, verNode(k, 1, utf16z(v), uint16(len(utf16.Encode([]rune(v)))+1), nil))
		}
	}
	table := verNode("040904B0", 1, nil, 0, children)
	sfi := verNode("StringFileInfo", 1, nil, 0, [][]byte{table})
	fixed := make([]byte, 52)
	binary.LittleEndian.PutUint32(fixed[0:], 0xfeef04bd)
	binary.LittleEndian.PutUint32(fixed[4:], 0x00010000)
	info := verNode("VS_VERSION_INFO", 0, fixed, 52, [][]byte{sfi})

	le := binary.LittleEndian
	dir := func(b []byte, id, target uint32) []byte {
		d := make([]byte, 24)
		le.PutUint16(d[14:], 1) // one ID entry
		le.PutUint32(d[16:], id)
		le.PutUint32(d[20:], target)
		return append(b, d...)
	}
	var b []byte
	b = dir(b, 16, 0x80000000|24) // RT_VERSION -> level 2
	b = dir(b, 1, 0x80000000|48)  // name 1 -> level 3
	b = dir(b, 0x409, 72)         // en-US -> data entry
	entry := make([]byte, 16)
	le.PutUint32(entry[0:], rva+88) // data RVA
	le.PutUint32(entry[4:], uint32(len(info)))
	b = append(b, entry...)
	return append(b, info...)
}

// verNode writes one VS_VERSION_INFO-style node: wLength, wValueLength,
// wType, key, padding, value, padding, children.
func verNode(key string, typ uint16, value []byte, valueLen uint16, children [][]byte) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, 6))
	b.Write(utf16z(key))
	pad4(&b)
	b.Write(value)
	for _, c := range children {
		pad4(&b)
		b.Write(c)
	}
	out := b.Bytes()
	binary.LittleEndian.PutUint16(out[0:], uint16(len(out)))
	binary.LittleEndian.PutUint16(out[2:], valueLen)
	binary.LittleEndian.PutUint16(out[4:], typ)
	return out
}

func pad4(b *bytes.Buffer) {
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
}

func utf16z(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u)+2)
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}
