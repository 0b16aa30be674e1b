package codesign

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Walk scans every path: files directly, directories recursively (such as
// a Zeek extract_files folder of "extract-<ts>-HTTP-<fuid>" files), calling
// fn once per regular file in lexical order. Files are scanned by
// Scanner.Workers goroutines but fn always runs on the caller's goroutine,
// in order. Unreadable paths and files that cannot be analysed reach fn as
// Failed results, so one bad file never ends a scan; only an error returned
// by fn stops the walk and is returned. Symbolic links inside directories
// are not followed, so a hostile tree cannot loop the walk or escape it.
func (s *Scanner) Walk(paths []string, fn func(Result) error) error {
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		path string
		res  chan Result
	}
	jobs := make(chan job, workers)
	order := make(chan job, 2*workers)
	done := make(chan struct{})
	defer close(done)

	go func() {
		defer close(order)
		defer close(jobs)
		emit := func(j job, scan bool) bool {
			select {
			case order <- j:
			case <-done:
				return false
			}
			if scan {
				select {
				case jobs <- j:
				case <-done:
					return false
				}
			}
			return true
		}
		for _, root := range paths {
			if st, err := os.Stat(root); err == nil && st.IsDir() {
				// A trailing separator makes WalkDir follow a root that is
				// a symbolic link to a directory, as a user naming it
				// expects.
				root = filepath.Clean(root) + string(filepath.Separator)
			}
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				switch {
				case err != nil:
					j := job{path, make(chan Result, 1)}
					j.res <- failed(path, err)
					if !emit(j, false) {
						return filepath.SkipAll
					}
				case d.IsDir(), !d.Type().IsRegular() && path != root:
				default:
					if !emit(job{path, make(chan Result, 1)}, true) {
						return filepath.SkipAll
					}
				}
				return nil
			})
			if err != nil {
				return
			}
		}
	}()
	for range workers {
		go func() {
			for j := range jobs {
				j.res <- s.scanFile(j.path)
			}
		}()
	}
	for j := range order {
		if err := fn(<-j.res); err != nil {
			return err // the deferred close(done) stops the producer
		}
	}
	return nil
}

func failed(path string, err error) Result {
	return Result{Path: path, Verdict: Failed, Verdicts: []Verdict{Failed}, Error: err.Error(), Signers: []Signer{}}
}

func (s *Scanner) scanFile(path string) Result {
	f, err := os.Open(path)
	if err != nil {
		return failed(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return failed(path, err)
	}
	if !st.Mode().IsRegular() {
		return failed(path, fmt.Errorf("%s: not a regular file", path))
	}
	res, _ := s.Scan(path, f, st.Size())
	return res
}
