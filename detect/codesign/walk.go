package codesign

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Walk scans every path: files directly, directories recursively (such as
// a Zeek extract_files folder of "extract-<ts>-HTTP-<fuid>" files), calling
// fn once per regular file in lexical order. Unreadable paths and files
// that cannot be analysed reach fn as Failed results, so one bad file never
// ends a scan; only an error returned by fn stops the walk and is returned.
// Symbolic links inside directories are not followed, so a hostile tree
// cannot loop the walk or escape the folder.
func (s *Scanner) Walk(paths []string, fn func(Result) error) error {
	for _, root := range paths {
		if st, err := os.Stat(root); err == nil && st.IsDir() {
			// A trailing separator makes WalkDir follow a root that is a
			// symbolic link to a directory, as a user naming it expects.
			root = filepath.Clean(root) + string(filepath.Separator)
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fn(failed(path, err))
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() && path != root {
				return nil
			}
			return fn(s.scanFile(path))
		})
		if err != nil {
			return err
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
