package stix

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/umbra-cti/umbra/internal/corpus"
)

// fastSeeds are objects the fast path must read itself, each with a
// property of a kind it decodes.
var fastSeeds = []string{
	`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"c2.example.com","description":"C2 \"domain\"\n","indicator_types":["malicious-activity"],"pattern":"[domain-name:value = 'c2.example.com']","pattern_type":"stix","pattern_version":"2.1","valid_from":"2016-01-01T00:00:00Z","valid_until":"2017-01-01T00:00:00Z","labels":["a","b"],"confidence":85,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"external_references":[{"source_name":"401trg","url":"https://401trg.com/burning-umbrella/","description":"r\u00e9sum\u00e9"},{"source_name":"capec","external_id":"CAPEC-163","hashes":{"SHA-256":"6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"}}],"x_umbra_type":"domain","x_umbra_value":"c2.example.com","x_umbra_sources":["401trg"],"x_other":{"nested":[1,-2.5e3,true,false,null,{"k":"v"}]}}`,
	`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2016-04-06T20:06:37.000Z","modified":"2016-04-06T20:06:37.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","revoked":true}`,
	`{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","name":"BARIUM","aliases":["Winnti","APT41"],"first_seen":"2009-01-01T00:00:00Z","last_seen":"2018-05-01T00:00:00Z","created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","confidence":-0}`,
	`{"type":"report","spec_version":"2.1","id":"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"Burning Umbrella","published":"2018-05-03T00:00:00Z","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],"aliases":[],"labels":[]}`,
	`{"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8428623c75","created":"2016-04-06T20:08:31.000Z","modified":"2016-04-06T20:08:31.000Z","sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","count":3}`,
	`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`,
	`{"type":"x-custom","id":"x-custom--ff26c055-6336-5bc5-b98d-13d6226742dd","value":{"a":[]},"X_Other":"kept"}`,
}

// slowSeeds are objects the fast path must hand to encoding/json: each
// has something whose meaning only encoding/json defines.
var slowSeeds = []string{
	`{"type":"indicator","Name":"folded into name"}`,           // case-insensitive key
	`{"type":"indicator","name":"a","name":"b"}`,               // a known property twice
	`{"type":"indicator","name":null}`,                         // null
	`{"type":"indicator","labels":["a",null]}`,                 // null element
	`{"type":"indicator","confidence":85.0}`,                   // not an integer literal
	`{"type":"indicator","confidence":"85"}`,                   // wrong type
	`{"type":"indicator","confidence":99999999999999999999}`,   // overflows int
	`{"type":"indicator","revoked":1}`,                         // wrong type
	`{"type":"indicator","value":null}`,                        // null raw value
	`{"type":"indicator","na\u006de":"escaped key"}`,           // escape in a key
	"{\"type\":\"indicator\",\"\u212aey\":\"non-ASCII key\"}",  // Kelvin sign folds to k
	`{"type":"indicator","external_references":[{"URL":"x"}]}`, // folded nested key
	`{"type":"indicator","external_references":[{"hashes":{"a":"1","a":"2"}}]}`,
	`{"type":"indicator"} `,           // not compact
	`{"type":"indicator","x":01}`,     // invalid number
	`{"type":"indicator","x":"\x01"}`, // control character
	`{"type":"indicator","x":[1,]}`,   // trailing comma
	`[{"type":"indicator"}]`,          // not an object
	`{"type":"indicator","x":` + string(bytes.Repeat([]byte("["), 100)) + string(bytes.Repeat([]byte("]"), 100)) + `}`,
}

func TestFastFieldsPath(t *testing.T) {
	for _, s := range fastSeeds {
		var d objectFields
		if !fastFields([]byte(s), &d) {
			t.Errorf("fast path gave up on %s", s)
		}
		checkSamePaths(t, []byte(s))
	}
	for _, s := range slowSeeds {
		var d objectFields
		if fastFields([]byte(s), &d) {
			t.Errorf("fast path read %s, which only encoding/json defines", s)
		}
		checkSamePaths(t, []byte(s))
	}
}

// TestFastFieldsOASIS: the OASIS examples take the fast path and read as
// encoding/json reads them.
func TestFastFieldsOASIS(t *testing.T) {
	dir := corpus.Path(t, "stix2-json-schemas", "examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skip("no OASIS examples")
	}
	fast, all := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rd := NewReader(bytes.NewReader(data))
		for {
			o, err := rd.Next()
			if err != nil {
				break
			}
			all++
			var d objectFields
			if fastFields(o.Raw, &d) {
				fast++
			}
			checkSamePaths(t, o.Raw)
		}
	}
	if all == 0 || fast < all*9/10 {
		t.Fatalf("fast path read %d of %d OASIS objects", fast, all)
	}
	t.Logf("fast path read %d of %d OASIS objects", fast, all)
}

func checkSamePaths(t *testing.T, raw []byte) {
	t.Helper()
	got, gotErr := parseCompact(raw)
	want, wantErr := parseCompactSlow(raw)
	if !reflect.DeepEqual(got, want) || errString(gotErr) != errString(wantErr) {
		t.Fatalf("%s:\nfast %#v, %v\nslow %#v, %v", raw, got, gotErr, want, wantErr)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzFastFields: parseCompact with its fast path gives what encoding/json
// alone gives, object and error, for any input.
func FuzzFastFields(f *testing.F) {
	for _, s := range append(append([]string{}, fastSeeds...), slowSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSamePaths(t, data)
		// And once compacted, as the bundle reader hands elements over.
		var buf bytes.Buffer
		if json.Compact(&buf, data) == nil {
			checkSamePaths(t, buf.Bytes())
		}
	})
}

// FuzzProperty: Property finds exactly the properties encoding/json finds,
// whatever the shortcut for absent names skips.
func FuzzProperty(f *testing.F) {
	f.Add([]byte(`{"type":"relationship","x_umbra_relation":"member-of"}`), "x_umbra_relation")
	f.Add([]byte(`{"type":"relationship","description":"x_umbra_relation"}`), "x_umbra_relation")
	f.Add([]byte(`{"type":"relationship","x_umbra_relatio\u006e":"member-of"}`), "x_umbra_relation")
	f.Add([]byte(`{"a":{"b":1}}`), "b")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return
		}
		o := Object{Raw: data}
		names := []string{name}
		for k := range m {
			names = append(names, k)
		}
		for _, n := range names {
			var v json.RawMessage
			got, err := o.Property(n, &v)
			_, want := m[n]
			if err != nil || got != want {
				t.Fatalf("Property(%q) of %s = %v, %v; encoding/json finds it: %v", n, data, got, err, want)
			}
		}
	})
}
