// Package source opens telemetry inputs — files, directories, stdin,
// gzip- or zstd-compressed — recognises their format from their content and
// hands each to the Decoder registered for that format.
//
// It is the first stage of the telemetry pipeline:
//
//	source.Open(path) -> Input.Open() -> Stream (decompressed, format known)
//	  -> Stream.Decoder() -> Decoder.Next(*event.Event)
//
// Each does all of that for a path and reports bad records, unreadable
// inputs and broken streams to a callback without stopping.
//
// Decoder packages (telemetry/zeek, telemetry/eve, telemetry/signin)
// register themselves with Register in their init, so a program imports
// the ones it wants, usually with a blank import; a format whose package
// does not import source (telemetry/pcap) is registered by the program.
package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// Format names a telemetry format.
type Format string

// The formats that Detect recognises.
const (
	FormatUnknown  Format = ""
	FormatZeekTSV  Format = "zeek-tsv"  // Zeek ASCII logs (#separator header), also headerless TSV
	FormatZeekJSON Format = "zeek-json" // Zeek JSON logs, one object per line
	FormatEVE      Format = "eve"       // Suricata EVE JSON
	FormatEntra    Format = "entra"     // Microsoft Entra ID / Office 365 sign-in JSON
	FormatGoogle   Format = "google"    // Google Workspace login audit JSON
	FormatPcap     Format = "pcap"      // pcap or pcapng capture
)

// Compression names the compression an input was stored with.
type Compression string

// The compressions that Open undoes transparently.
const (
	CompressionNone Compression = ""
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
)

// ErrUnknownFormat is returned (wrapped with the input's name) by
// Input.Open when the content is none of the known formats.
var ErrUnknownFormat = errors.New("unrecognised telemetry format")

// Input is one telemetry stream not yet opened: a file, or stdin ("-").
// Directories are expanded by Open so that no file is held open before it
// is read.
type Input struct {
	Path string
}

// Stdin is the path that names standard input.
const Stdin = "-"

// Open lists the inputs named by path: the file itself, every regular file
// under a directory (recursively, in lexical order, skipping hidden files
// and directories, following links to files but not to directories), or
// stdin for "-".
func Open(path string) ([]Input, error) {
	if path == Stdin {
		return []Input{{Path: Stdin}}, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []Input{{Path: path}}, nil
	}
	root := path
	if lst, err := os.Lstat(path); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		root += string(filepath.Separator) // make WalkDir enter a linked directory
	}
	var ins []Input
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := len(d.Name()) > 1 && d.Name()[0] == '.' && p != root
		if d.IsDir() {
			if hidden {
				return filepath.SkipDir
			}
			return nil
		}
		if hidden {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// Follow links to files (Zeek's "current" log links), never to
			// directories, which could loop.
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		ins = append(ins, Input{Path: p})
		return nil
	})
	return ins, err
}

// sniffBytes is how much decompressed content Detect looks at.
const sniffBytes = 64 << 10

// Stream is an opened input: decompressed, its format detected. Read
// returns the decompressed content from the beginning.
type Stream struct {
	Name        string
	Format      Format
	Compression Compression

	r       *bufio.Reader
	closers []io.Closer
}

// Open opens the input, undoes gzip or zstd compression (recognised by magic
// bytes, whatever the file is called) and detects the format. It returns an
// error wrapping ErrUnknownFormat for content it does not recognise.
func (in Input) Open() (*Stream, error) {
	if in.Path == Stdin {
		return OpenReader(os.Stdin, "stdin")
	}
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, err
	}
	s, err := OpenReader(f, in.Path)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closers = append(s.closers, f)
	return s, nil
}

// OpenReader is Input.Open for an already open reader; name is used in
// error messages. Closing the Stream does not close r.
func OpenReader(r io.Reader, name string) (*Stream, error) {
	s := &Stream{Name: name}
	br := bufio.NewReaderSize(r, sniffBytes)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		s.Compression = CompressionGzip
		s.closers = append(s.closers, zr)
		br = bufio.NewReaderSize(zr, sniffBytes)
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("%s: zstd: %w", name, err)
		}
		s.Compression = CompressionZstd
		s.closers = append(s.closers, zstdCloser{zr})
		br = bufio.NewReaderSize(zr, sniffBytes)
	}
	head, err := sniff(br)
	// A stream that fails after some content (a truncated gzip file) is
	// still opened: its good records are worth decoding, and the decoder
	// meets the same error, with its position, when it gets there.
	if err != nil && err != io.EOF && len(head) == 0 {
		s.Close()
		return nil, fmt.Errorf("%s: %s: %w", name, s.describe(), err)
	}
	s.Format = Detect(head)
	s.r = br
	if s.Format == FormatUnknown {
		s.Close()
		return nil, fmt.Errorf("%s: %w", name, ErrUnknownFormat)
	}
	return s, nil
}

// sniff returns the start of the stream for Detect. It waits for the first
// line (or a capture's magic number), not for sniffBytes: a live log piped
// to stdin must start decoding when its first record arrives. Only content
// the first line does not settle (a pretty-printed JSON document) is read
// further, up to sniffBytes.
func sniff(br *bufio.Reader) ([]byte, error) {
	n := 1
	for {
		if _, err := br.Peek(n); err != nil {
			head, _ := br.Peek(br.Buffered())
			return head, err
		}
		head, _ := br.Peek(br.Buffered())
		if f := Detect(head); f == FormatPcap || f != FormatUnknown && bytes.IndexByte(head, '\n') >= 0 {
			return head, nil
		}
		if len(head) >= sniffBytes {
			return head[:sniffBytes], nil
		}
		n = len(head) + 1
	}
}

func (s *Stream) describe() string {
	if s.Compression == CompressionNone {
		return "read"
	}
	return string(s.Compression)
}

// Read reads decompressed content.
func (s *Stream) Read(p []byte) (int, error) { return s.r.Read(p) }

// Close releases the decompressor and the file.
func (s *Stream) Close() error {
	var first error
	for _, c := range s.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.closers = nil
	return first
}

// Decoder returns the registered decoder for the stream's format, reading
// the stream.
func (s *Stream) Decoder() (Decoder, error) {
	fn, ok := Lookup(s.Format)
	if !ok {
		return nil, fmt.Errorf("%s: no decoder registered for format %q (import its package)", s.Name, s.Format)
	}
	return fn(s, s.Name)
}

// zstdCloser adapts zstd.Decoder, whose Close returns nothing.
type zstdCloser struct{ d *zstd.Decoder }

func (z zstdCloser) Close() error { z.d.Close(); return nil }
