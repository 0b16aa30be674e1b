package api

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/umbra-cti/umbra/export"
	"github.com/umbra-cti/umbra/intel"
	"github.com/umbra-cti/umbra/intel/allowlist"
	"github.com/umbra-cti/umbra/stix"
)

// importIntel stores an uploaded intel file: the body itself, or the
// multipart part named "file". The file goes to a private temporary
// folder (intel.Import reads paths) and is removed afterwards.
func (a *API) importIntel(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	opt := intel.Options{Format: q.Get("format"), Source: strings.TrimSpace(q.Get("source")),
		Actor: strings.TrimSpace(q.Get("actor")), Report: strings.TrimSpace(q.Get("report"))}
	if s := q.Get("tlp"); s != "" {
		t, err := stix.ParseTLP(s)
		if err != nil {
			badRequest(w, "tlp: "+err.Error())
			return
		}
		opt.TLP = t
	}
	if s := q.Get("confidence"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			badRequest(w, "confidence: want 0 to 100")
			return
		}
		opt.Confidence = n
	}
	body := http.MaxBytesReader(w, r.Body, a.d.MaxImportBytes)
	name := "upload"
	var src io.Reader = body
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				badRequest(w, `multipart body without a part named "file"`)
				return
			}
			if p.FormName() == "file" {
				src = p
				if fn := p.FileName(); fn != "" {
					name = fn
				}
				break
			}
		}
	}
	tmp, err := os.MkdirTemp(a.tempDir(), "upload-")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, safeName(name))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	n, err := io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", "the file exceeds "+strconv.FormatInt(a.d.MaxImportBytes, 10)+" bytes")
		return
	case err != nil:
		badRequest(w, "reading the upload: "+err.Error())
		return
	case n == 0:
		badRequest(w, "empty upload")
		return
	}
	if opt.Source == "" {
		opt.Source = "upload by " + firstNonEmpty(c.tok.Name, c.tok.ID)
	}
	res, err := intel.Import(r.Context(), c.view, path, opt)
	a.marks.invalidate()
	res.Path = name // not the temporary path
	if err == nil || errors.Is(err, intel.ErrRejected) {
		a.startRetro(c.tok.ID)
	}
	switch {
	case errors.Is(err, intel.ErrRejected):
		writeJSON(w, http.StatusOK, res) // the good records were stored; Rejected lists the rest
	case err != nil:
		writeError(w, http.StatusUnprocessableEntity, "Unprocessable Entity", strings.ReplaceAll(err.Error(), path, name))
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// safeName keeps an uploaded file name's letters, digits, dots and dashes
// (the extension may tell the format), never a path.
func safeName(s string) string {
	s = filepath.Base(strings.ReplaceAll(s, `\`, "/"))
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			b.WriteRune(r)
		}
		if b.Len() >= 100 {
			break
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if out == "" {
		return "upload"
	}
	return out
}

func (a *API) tempDir() string {
	if a.d.DataDir != "" {
		d := filepath.Join(a.d.DataDir, "tmp")
		if os.MkdirAll(d, 0o700) == nil {
			return d
		}
	}
	return os.TempDir()
}

var exportTypes = map[string]string{
	"stix":       "application/stix+json;version=2.1",
	"misp":       "application/json",
	"zeek-intel": "text/plain; charset=utf-8",
	"csv":        "text/csv; charset=utf-8",
	"navigator":  "application/json",
	"suricata":   "application/x-tar",
}

var exportExt = map[string]string{"stix": "json", "misp": "json", "zeek-intel": "intel", "csv": "csv", "navigator": "json", "suricata": "tar"}

// export writes intel in one of export.Formats, never above the token's
// clearance: ?tlp= can narrow it, not widen it.
func (a *API) export(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "stix"
	}
	if !slices.Contains(export.Formats, format) {
		badRequest(w, "format: want one of "+strings.Join(export.Formats, ", "))
		return
	}
	tlpMax := c.view.clearance
	if s := q.Get("tlp"); s != "" {
		t, err := stix.ParseTLP(s)
		if err != nil {
			badRequest(w, "tlp: "+err.Error())
			return
		}
		tlpMax = min(t, tlpMax)
	}
	allow, _, err := allowlist.Load(a.d.DataDir)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	opt := export.Options{Format: format, Actor: strings.TrimSpace(q.Get("actor")), TLPMax: tlpMax, Allow: allow, Now: a.d.Now()}
	var buf bytes.Buffer
	var res export.Result
	if export.DirFormat(format) {
		dir, err := os.MkdirTemp(a.tempDir(), "export-")
		if err != nil {
			a.fail(w, r, err)
			return
		}
		defer os.RemoveAll(dir)
		if res, err = export.Write(r.Context(), c.view, nil, dir, opt); err == nil {
			err = tarDir(&buf, dir)
		}
		if err != nil {
			a.exportError(w, r, err)
			return
		}
	} else if res, err = export.Write(r.Context(), c.view, &buf, "", opt); err != nil {
		a.exportError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", exportTypes[format])
	h.Set("Content-Disposition", `attachment; filename="umbra-export.`+exportExt[format]+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Umbra-Written", strconv.Itoa(res.Written))
	h.Set("X-Umbra-Skipped", strconv.Itoa(len(res.Skipped)))
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

func (a *API) exportError(w http.ResponseWriter, r *http.Request, err error) {
	if strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "actor") || strings.Contains(err.Error(), "needs") {
		writeError(w, http.StatusUnprocessableEntity, "Unprocessable Entity", err.Error())
		return
	}
	a.fail(w, r, err)
}

// tarDir writes the regular files of dir (one level) as a tar stream.
func tarDir(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.Name(), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	return tw.Close()
}
