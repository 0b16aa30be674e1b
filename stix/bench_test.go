package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/umbra-cti/umbra/internal/cputime"
)

// genBundle writes a bundle of n objects shaped like a feed's: mostly
// indicators with a pattern, description and references, some malware,
// and a relationship per ten indicators. bench/stixgen writes the same
// shape to files of any size.
func genBundle(w io.Writer, n int, indent bool) {
	fmt.Fprint(w, `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`)
	nl := ""
	if indent {
		nl = "\n  "
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprint(w, nl)
		switch {
		case i%50 == 49:
			fmt.Fprintf(w, `{"type":"malware","spec_version":"2.1","id":"malware--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"family %d","is_family":true,"malware_types":["backdoor"]}`, i, i)
		case i%10 == 9:
			fmt.Fprintf(w, `{"type":"relationship","spec_version":"2.1","id":"relationship--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--%08x-0000-4000-8000-000000000000","target_ref":"malware--%08x-0000-4000-8000-000000000000"}`, i, i-1, i|49)
		default:
			fmt.Fprintf(w, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"c2-%d.example-%d.com","description":"Command and control domain seen in campaign %d","indicator_types":["malicious-activity"],"pattern":"[domain-name:value = 'c2-%d.example-%d.com']","pattern_type":"stix","valid_from":"2024-03-01T10:00:00Z","labels":["c2"],"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"external_references":[{"source_name":"feed","url":"https://feed.example/reports/%d"}]}`,
				i, i, i%97, i%13, i, i%97, i/1000)
		}
	}
	fmt.Fprint(w, "\n]}\n")
}

// BenchmarkReader streams a 100,000-object bundle through Reader.Next
// (decode, check and keep each object's JSON). Issue #3 asks for at least
// 50,000 objects/s.
func BenchmarkReader(b *testing.B) {
	for _, indent := range []bool{false, true} {
		name := "compact"
		if indent {
			name = "one-per-line"
		}
		b.Run(name, func(b *testing.B) {
			var buf bytes.Buffer
			const n = 100000
			genBundle(&buf, n, indent)
			data := buf.Bytes()
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			cpu0 := cputime.Self()
			for i := 0; i < b.N; i++ {
				rd := NewReader(bytes.NewReader(data))
				got := 0
				for {
					_, err := rd.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("read %d of %d", got, n)
				}
			}
			cpu := cputime.Self() - cpu0
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
			b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "objects/cpu-s")
		})
	}
}

// The element scanner cuts what encoding/json would: strings holding
// brackets, commas, escaped quotes and whitespace; objects spread over
// lines; and it rejects what is not a JSON array.
func TestReaderElementScanner(t *testing.T) {
	obj := `{ "type" : "malware",
	  "spec_version":"2.1", "id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
	  "created":"2016-05-12T08:17:27.000Z", "name":"a ]}, \"quoted\" {[ name\\",
	  "aliases" : [ "x" , "y" ] }`
	want := new(bytes.Buffer)
	json.Compact(want, []byte(obj))
	for name, in := range map[string]string{
		"bundle":   "{\"type\":\"bundle\",\"objects\":[\n  " + obj + " ,\n" + obj + "\n] , \"id\" : \"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\" }",
		"array":    "[" + obj + "," + obj + "]",
		"tiny buf": "[" + obj + "," + obj + "]" + strings.Repeat(" ", 70000),
	} {
		objs, bad := readAll(t, strings.NewReader(in))
		if len(bad) != 0 || len(objs) != 2 {
			t.Fatalf("%s: %d objects, %v", name, len(objs), bad)
		}
		for _, o := range objs {
			if string(o.Raw) != want.String() || o.Common.Name != `a ]}, "quoted" {[ name\` {
				t.Fatalf("%s: raw %s", name, o.Raw)
			}
		}
	}
	rd := NewReader(strings.NewReader(`{"type":"bundle","objects":[` + obj + `],"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}`))
	for {
		if _, err := rd.Next(); err != nil {
			break
		}
	}
	if rd.BundleID != "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d" {
		t.Fatalf("bundle id after the objects: %q", rd.BundleID)
	}
	for name, in := range map[string]string{
		"missing comma":  "[" + obj + obj + "]",
		"trailing comma": "[" + obj + ",]",
		"not json":       `[{"type":"malware","id" "x"}]`,
		"unclosed":       "[" + obj[:40],
		"bad tail":       `{"objects":[` + obj + `] "id":1}`,
	} {
		objs, bad := readAll(t, strings.NewReader(in))
		var oe *ObjectError
		if len(bad) != 1 || errors.As(bad[0], &oe) || !strings.Contains(bad[0].Error(), "offset") {
			t.Errorf("%s: %d objects, errors %v; want one stream error with an offset", name, len(objs), bad)
		}
	}
	// A JSON value that is not an object is a bad object, not a bad stream.
	objs, bad := readAll(t, strings.NewReader("[1, "+obj+"]"))
	var oe *ObjectError
	if len(objs) != 1 || len(bad) != 1 || !errors.As(bad[0], &oe) || oe.Index != 0 {
		t.Fatalf("scalar element: %d objects, %v", len(objs), bad)
	}
}

// FuzzReaderCompact: any valid JSON object read from a bundle keeps exactly
// the bytes json.Compact makes of it, and is never a stream error.
func FuzzReaderCompact(f *testing.F) {
	f.Add([]byte(`{"type":"malware","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-05-12T08:17:27.000Z","name":" ]\"}"}`))
	f.Add([]byte(`{"a":[1, 2, {"b": "\\"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return
		}
		rd := NewReader(bytes.NewReader(append(append([]byte(`{"type":"bundle","objects":[`), data...), "]}"...)))
		o, err := rd.Next()
		var oe *ObjectError
		if err != nil && !errors.As(err, &oe) {
			t.Fatalf("valid JSON object %q gave a stream error: %v", data, err)
		}
		if err == nil {
			want := new(bytes.Buffer)
			json.Compact(want, data)
			if !bytes.Equal(o.Raw, want.Bytes()) {
				t.Fatalf("raw %q, compact %q", o.Raw, want.Bytes())
			}
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Fatalf("after the only object: %v", err)
		}
	})
}
