package source

import (
	"bufio"
	"fmt"
	"io"
)

// MaxLineBytes bounds one line of a line-oriented log; longer lines are
// reported as bad records and skipped rather than buffered without limit.
const MaxLineBytes = 16 << 20

// LineReader reads a line-oriented log (Zeek TSV, NDJSON) with the line
// number and byte offset that bad-record errors need, without copying
// lines that fit its buffer.
type LineReader struct {
	br      *bufio.Reader
	long    []byte
	line    int64
	offset  int64 // byte offset of the next line
	lineOff int64
}

// NewLineReader returns a LineReader with a buffer large enough that
// typical log lines are returned in place.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// ErrLineTooLong is what Next returns for a line longer than MaxLineBytes;
// the line has been consumed and reading can go on.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineBytes)

// Next returns the next line without its "\n" or "\r\n". The slice is valid
// until the next call. A last line without "\n" is returned before io.EOF.
// For an over-long line it returns ErrLineTooLong and the reader is ready
// for the line after it.
func (l *LineReader) Next() ([]byte, error) {
	start := l.offset
	b, err := l.br.ReadSlice('\n')
	l.offset += int64(len(b))
	tooLong := false
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = l.br.ReadSlice('\n')
			l.offset += int64(len(b))
			if len(l.long)+len(b) <= MaxLineBytes+1 {
				l.long = append(l.long, b...)
			} else {
				tooLong = true
			}
		}
		b = l.long
		if tooLong && cap(l.long) > 4*MaxLineBytes {
			l.long = nil
		}
	}
	if err != nil && (err != io.EOF || len(b) == 0) {
		return nil, err
	}
	l.line++
	l.lineOff = start
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if tooLong || len(b) > MaxLineBytes {
		return nil, ErrLineTooLong
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b, nil
}

// Line is the 1-based number of the line Next returned last.
func (l *LineReader) Line() int64 { return l.line }

// Offset is the byte offset at which the line Next returned last starts.
func (l *LineReader) Offset() int64 { return l.lineOff }
