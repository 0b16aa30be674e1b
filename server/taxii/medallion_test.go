package taxii

// One test per HTTP test of medallion's test_backends.py (the digest is
// ../shared/data/taxii21/medallion/test_backends_assertions.txt), run against
// this server loaded with medallion's default_data.json. Names keep
// medallion's, so a failure points at the behaviour it checks.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMedallionServerDiscovery(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(discoveryEP)
	expect(t, r, 200)
	roots, _ := r.json["api_roots"].([]any)
	if len(roots) == 0 || roots[0] != "http://localhost:5000/api1/" {
		t.Fatalf("api_roots = %v", roots)
	}
}

func TestMedallionGetAPIRootInformation(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(apiRootEP)
	expect(t, r, 200)
	if r.json["title"] != "Malware Research Group" {
		t.Fatalf("title = %v", r.json["title"])
	}
}

func TestMedallionGetStatus(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(apiRootEP + "status/2d086da7-4bdc-4f91-900e-d77486753710")
	expect(t, r, 200)
	for _, k := range []string{"successes", "failures", "pendings"} {
		if _, ok := r.json[k]; !ok {
			t.Errorf("status has no %q: %s", k, r.body)
		}
	}
}

func TestMedallionGetCollections(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(collectionsEP)
	expect(t, r, 200)
	list, _ := r.json["collections"].([]any)
	var ids []string
	for _, c := range list {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	if len(ids) != 5 {
		t.Fatalf("%d collections, want 5: %v", len(ids), ids)
	}
	for _, id := range []string{"52892447-4d7e-4f70-b94d-d7f22742ff63", "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
		"64993447-4d7e-4f70-b94d-d7f33742ee63", "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4", "365fed99-08fa-fdcd-a1b3-fb247eb41d01"} {
		if !slices.Contains(ids, id) {
			t.Errorf("collection %s missing", id)
		}
	}
}

// correctOrder is the date_added order of the latest versions in collection 91a7...
var correctOrder = []string{relationshipID, "indicator--cd981c25-8042-4166-8945-51178443bdac",
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", malwareID, indicatorID}

func expectOrder(t *testing.T, objs []map[string]any, want []string) {
	t.Helper()
	for i, o := range objs {
		if o["id"] != want[i] {
			t.Fatalf("object %d is %v, want %s", i, o["id"], want[i])
		}
	}
}

func TestMedallionGetObjects(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP)
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 5)
	expectDates(t, r, "2014-05-08T09:00:00.000000Z", "2017-12-31T13:49:53.935000Z")
	expectOrder(t, r.objects(), correctOrder)
}

func TestMedallionGetObject(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + malwareID + "/")
	expect(t, r, 200)
	expectCount(t, r.objects(), 1)
	if r.objects()[0]["id"] != malwareID {
		t.Fatalf("got %v", r.objects()[0]["id"])
	}
	expectDates(t, r, "2017-01-27T13:49:59.997000Z", "2017-01-27T13:49:59.997000Z")
}

func newIndicator(id, modified string) map[string]any {
	return map[string]any{"type": "indicator", "spec_version": "2.1", "id": id,
		"created": "2014-05-08T09:00:00.000Z", "modified": modified, "name": "test",
		"pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": "2014-05-08T09:00:00Z"}
}

func TestMedallionAddAndDeleteObject(t *testing.T) {
	ts := newTestServer(t)
	id := "indicator--68794cd5-28db-429d-ab1e-1256704ef906"
	rp := ts.post(addObjectsEP, envelope(t, newIndicator(id, "2017-01-27T13:49:53.935Z")))
	expect(t, rp, 202)
	r := ts.get(addObjectsEP)
	expect(t, r, 200)
	if !slices.ContainsFunc(r.objects(), func(o map[string]any) bool { return o["id"] == id }) {
		t.Fatalf("added object not listed: %s", r.body)
	}
	r = ts.get(addObjectsEP + "?match[id]=" + id)
	expect(t, r, 200)
	if r.objects()[0]["id"] != id {
		t.Fatal(string(r.body))
	}
	r = ts.get(apiRootEP + "status/" + rp.json["id"].(string) + "/")
	expect(t, r, 200)
	if r.json["success_count"] != 1.0 {
		t.Fatalf("success_count %v", r.json["success_count"])
	}
	r = ts.get(addManifestsEP + "?match[id]=" + id)
	expect(t, r, 200)
	expectCount(t, r.objects(), 1)
	if r.objects()[0]["id"] != id {
		t.Fatal(string(r.body))
	}
	expect(t, ts.del(addObjectsEP+id), 200)
	expect(t, ts.get(addObjectsEP+id), 404)
	if r := ts.get(addManifestsEP + id); r.status != 404 {
		t.Fatalf("manifest/<id>: %d", r.status)
	}
}

func TestMedallionGetObjectManifests(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getManifestsEP)
	expect(t, r, 200)
	m := r.objects()
	expectCount(t, m, 5)
	expectDates(t, r, "2014-05-08T09:00:00.000000Z", "2017-12-31T13:49:53.935000Z")
	for x := 1; x < len(m); x++ {
		if !(m[x-1]["date_added"].(string) < m[x]["date_added"].(string)) {
			t.Fatalf("manifest not ordered by date_added: %s", r.body)
		}
	}
}

func TestMedallionGetVersion(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + relationshipID + "/versions")
	expect(t, r, 200)
	if len(r.versions()) != 1 {
		t.Fatal(string(r.body))
	}
	expectDates(t, r, "2014-05-08T09:00:00.000000Z", "2014-05-08T09:00:00.000000Z")
}

func TestMedallionGetObjectsAddedAfter(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + "?added_after=2016-11-03T12:30:59Z")
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 3)
}

func TestMedallionGetObjectsLimit(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + "?limit=3")
	expect(t, r, 200)
	expectMore(t, r, true)
	expectCount(t, r.objects(), 3)
	expectDates(t, r, "2014-05-08T09:00:00.000000Z", "2017-01-20T00:00:00.000000Z")
	expectOrder(t, r.objects(), correctOrder[:3])
	r = ts.get(getObjectsEP + "?limit=3&next=" + r.json["next"].(string))
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 2)
	expectDates(t, r, "2017-01-27T13:49:59.997000Z", "2017-12-31T13:49:53.935000Z")
	expectOrder(t, r.objects(), correctOrder[3:])
}

func TestMedallionGetObjectsID(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + "?match[id]=" + malwareID)
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 1)
}

func TestMedallionGetObjectsType(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + "?match[type]=indicator")
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 2)
	for _, o := range r.objects() {
		if o["type"] != "indicator" {
			t.Fatalf("type %v", o["type"])
		}
	}
}

func getObjectsByVersion(t *testing.T, filter string) []map[string]any {
	t.Helper()
	r := newTestServer(t).get(getObjectsEP + filter)
	expect(t, r, 200)
	expectMore(t, r, false)
	return r.objects()
}

func TestMedallionObjectsVersionMatchSpecificDate(t *testing.T) {
	objs := getObjectsByVersion(t, "?match[version]=2016-12-25T12:30:59.444Z")
	expectCount(t, objs, 1)
	if objs[0]["id"] != indicatorID {
		t.Fatal(objs)
	}
}

func TestMedallionObjectsVersionMatchFirst(t *testing.T) {
	objs := getObjectsByVersion(t, "?match[version]=first")
	expectCount(t, objs, 5)
	for _, o := range objs {
		switch o["id"] {
		case indicatorID:
			if o["modified"] != "2016-11-03T12:30:59.000Z" {
				t.Errorf("indicator modified %v", o["modified"])
			}
		case malwareID:
			if o["modified"] != "2017-01-27T13:49:53.997Z" {
				t.Errorf("malware modified %v", o["modified"])
			}
		}
	}
}

func TestMedallionObjectsVersionMatchLast(t *testing.T) {
	objs := getObjectsByVersion(t, "?match[version]=last")
	expectCount(t, objs, 5)
	for _, o := range objs {
		if o["id"] == indicatorID && o["modified"] != "2017-01-27T13:49:53.935Z" {
			t.Errorf("indicator modified %v", o["modified"])
		}
	}
}

func TestMedallionObjectsVersionMatchAll(t *testing.T) {
	expectCount(t, getObjectsByVersion(t, "?match[version]=all"), 7)
}

func getObjectsSpecVersion(t *testing.T, filter string, n int) []map[string]any {
	t.Helper()
	r := newTestServer(t).get(getObjectsEP + filter)
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), n)
	return r.objects()
}

func expectSpecVersion(t *testing.T, objs []map[string]any, want string) {
	t.Helper()
	for _, o := range objs {
		sv, ok := o["spec_version"]
		if want == "" && ok || want != "" && sv != want {
			t.Fatalf("%v: spec_version %v, want %q", o["id"], sv, want)
		}
	}
}

func TestMedallionGetObjectsSpecVersion20(t *testing.T) {
	expectSpecVersion(t, getObjectsSpecVersion(t, "?match[spec_version]=2.0", 1), "")
}

func TestMedallionGetObjectsSpecVersion21And20(t *testing.T) {
	getObjectsSpecVersion(t, "?match[spec_version]=2.0,2.1", 5)
}

func TestMedallionGetObjectsSpecVersion21(t *testing.T) {
	expectSpecVersion(t, getObjectsSpecVersion(t, "?match[spec_version]=2.1", 5), "2.1")
}

func TestMedallionGetObjectsSpecVersionDefault(t *testing.T) {
	expectSpecVersion(t, getObjectsSpecVersion(t, "", 5), "2.1")
}

func getObjectAddedAfter(t *testing.T, filter string) *response {
	t.Helper()
	r := newTestServer(t).get(getObjectsEP + malwareID + filter)
	expect(t, r, 200)
	return r
}

func TestMedallionGetObjectAddedAfterCase1(t *testing.T) {
	r := getObjectAddedAfter(t, "?added_after=2018-01-27T13:49:59.997000Z")
	if _, ok := r.json["more"]; ok {
		t.Fatal(string(r.body))
	}
	if _, ok := r.json["objects"]; ok {
		t.Fatal(string(r.body))
	}
}

func TestMedallionGetObjectAddedAfterCase2(t *testing.T) {
	r := getObjectAddedAfter(t, "?added_after=2017-01-27T13:49:59Z")
	expectMore(t, r, false)
	expectCount(t, r.objects(), 1)
}

func TestMedallionGetObjectLimit(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + indicatorID + "?limit=1")
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 1)
	expectDates(t, r, "2017-12-31T13:49:53.935000Z", "2017-12-31T13:49:53.935000Z")
	r = ts.get(getObjectsEP + indicatorID + "?match[version]=all&limit=2")
	expect(t, r, 200)
	expectMore(t, r, true)
	expectCount(t, r.objects(), 2)
	expectDates(t, r, "2016-11-03T12:30:59.001000Z", "2016-12-27T13:49:59.000000Z")
	if r.objects()[0]["modified"] != "2016-11-03T12:30:59.000Z" || r.objects()[1]["modified"] != "2016-12-25T12:30:59.444Z" {
		t.Fatal(string(r.body))
	}
	r = ts.get(getObjectsEP + indicatorID + "?match[version]=all&limit=2&next=" + r.json["next"].(string))
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 1)
	expectDates(t, r, "2017-12-31T13:49:53.935000Z", "2017-12-31T13:49:53.935000Z")
}

func TestMedallionGetObjectVersionSingle(t *testing.T) {
	ts := newTestServer(t)
	for _, c := range []struct{ filter, modified string }{
		{"?match[version]=2016-12-25T12:30:59.444Z", "2016-12-25T12:30:59.444Z"},
		{"?match[version]=first", "2016-11-03T12:30:59.000Z"},
		{"?match[version]=last", "2017-01-27T13:49:53.935Z"},
		{"", "2017-01-27T13:49:53.935Z"},
	} {
		r := ts.get(getObjectsEP + indicatorID + c.filter)
		expect(t, r, 200)
		expectMore(t, r, false)
		expectCount(t, r.objects(), 1)
		if o := r.objects()[0]; o["id"] != indicatorID || o["modified"] != c.modified {
			t.Errorf("%s: got %v %v, want modified %s", c.filter, o["id"], o["modified"], c.modified)
		}
	}
}

func TestMedallionGetObjectVersionMatchAll(t *testing.T) {
	r := newTestServer(t).get(getObjectsEP + indicatorID + "?match[version]=all")
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 3)
}

func getObjectSpecVersion(t *testing.T, filter string) []map[string]any {
	t.Helper()
	r := newTestServer(t).get(getObjectsEP + malwareID + filter)
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 1)
	return r.objects()
}

func TestMedallionGetObjectSpecVersion20(t *testing.T) {
	expectSpecVersion(t, getObjectSpecVersion(t, "?match[spec_version]=2.0"), "")
}

func TestMedallionGetObjectSpecVersion21(t *testing.T) {
	expectSpecVersion(t, getObjectSpecVersion(t, "?match[spec_version]=2.1"), "2.1")
}

func TestMedallionGetObjectSpecVersion2021(t *testing.T) {
	if o := getObjectSpecVersion(t, "?match[spec_version]=2.0,2.1")[0]; o["modified"] != "2018-02-23T18:30:00.000Z" {
		t.Fatalf("modified %v", o["modified"])
	}
}

func TestMedallionGetObjectSpecVersionDefault(t *testing.T) {
	expectSpecVersion(t, getObjectSpecVersion(t, ""), "2.1")
}

func TestMedallionGetManifestAddedAfter(t *testing.T) {
	r := newTestServer(t).get(getManifestsEP + "?added_after=2017-01-20T00:00:00.000Z")
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 2)
}

func TestMedallionGetManifestLimit(t *testing.T) {
	ts := newTestServer(t)
	next := ""
	for i, want := range []struct {
		n    int
		more bool
	}{{2, true}, {2, true}, {1, false}} {
		q := "?limit=2"
		if i > 0 {
			q += "&next=" + next
		}
		r := ts.get(getManifestsEP + q)
		expect(t, r, 200)
		expectMore(t, r, want.more)
		m := r.objects()
		expectCount(t, m, want.n)
		expectDates(t, r, m[0]["date_added"].(string), m[len(m)-1]["date_added"].(string))
		next, _ = r.json["next"].(string)
	}
}

func TestMedallionGetManifestID(t *testing.T) {
	r := newTestServer(t).get(getManifestsEP + "?match[id]=" + indicatorID)
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 1)
	if r.objects()[0]["id"] != indicatorID {
		t.Fatal(string(r.body))
	}
}

func TestMedallionGetManifestType(t *testing.T) {
	r := newTestServer(t).get(getManifestsEP + "?match[type]=indicator")
	expect(t, r, 200)
	expectMore(t, r, false)
	expectCount(t, r.objects(), 2)
	for _, o := range r.objects() {
		if !strings.Contains(o["id"].(string), "indicator") {
			t.Fatal(o)
		}
	}
}

func getManifestVersion(t *testing.T, filter string) []map[string]any {
	t.Helper()
	r := newTestServer(t).get(getManifestsEP + filter)
	expect(t, r, 200)
	expectMore(t, r, false)
	return r.objects()
}

func TestMedallionGetManifestVersionSpecific(t *testing.T) {
	m := getManifestVersion(t, "?match[version]=2016-12-25T12:30:59.444Z")
	expectCount(t, m, 1)
	if m[0]["id"] != indicatorID || m[0]["version"] != "2016-12-25T12:30:59.444Z" {
		t.Fatal(m)
	}
}

func expectIndicatorVersion(t *testing.T, m []map[string]any, version string) {
	t.Helper()
	for _, o := range m {
		if o["id"] == indicatorID && o["version"] != version {
			t.Fatalf("indicator version %v, want %s", o["version"], version)
		}
	}
}

func TestMedallionGetManifestVersionFirst(t *testing.T) {
	m := getManifestVersion(t, "?match[version]=first")
	expectCount(t, m, 5)
	expectIndicatorVersion(t, m, "2016-11-03T12:30:59.000Z")
}

func TestMedallionGetManifestVersionLast(t *testing.T) {
	m := getManifestVersion(t, "?match[version]=last")
	expectCount(t, m, 5)
	expectIndicatorVersion(t, m, "2017-01-27T13:49:53.935Z")
}

func TestMedallionGetManifestVersionAll(t *testing.T) {
	expectCount(t, getManifestVersion(t, "?match[version]=all"), 7)
}

func expectMediaTypes(t *testing.T, m []map[string]any, want string) {
	t.Helper()
	for _, o := range m {
		if o["media_type"] != want {
			t.Fatalf("%v media_type %v, want %s", o["id"], o["media_type"], want)
		}
	}
}

func TestMedallionManifestSpecVersion20(t *testing.T) {
	m := getManifestVersion(t, "?match[spec_version]=2.0")
	expectCount(t, m, 1)
	expectMediaTypes(t, m, stixMediaType20)
}

func TestMedallionManifestSpecVersion21(t *testing.T) {
	m := getManifestVersion(t, "?match[spec_version]=2.1")
	expectCount(t, m, 5)
	expectMediaTypes(t, m, stixMediaType21)
}

func TestMedallionManifestSpecVersion2021(t *testing.T) {
	m := getManifestVersion(t, "?match[spec_version]=2.0,2.1")
	expectCount(t, m, 5)
	for _, o := range m {
		if o["id"] == malwareID && o["version"] != "2018-02-23T18:30:00.000Z" {
			t.Fatalf("malware version %v", o["version"])
		}
	}
}

func TestMedallionManifestSpecVersionDefault(t *testing.T) {
	m := getManifestVersion(t, "")
	expectCount(t, m, 5)
	expectMediaTypes(t, m, stixMediaType21)
}

func TestMedallionGetVersionAddedAfter(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + relationshipID + "/versions?added_after=2014-05-08T09:00:00Z")
	expect(t, r, 200)
	if len(r.json) != 0 {
		t.Fatalf("want {}, got %s", r.body)
	}
	r = ts.get(getObjectsEP + relationshipID + "/versions?added_after=2014-05-08T08:00:00Z")
	expect(t, r, 200)
	expectMore(t, r, false)
	if len(r.versions()) != 1 {
		t.Fatal(string(r.body))
	}
}

func TestMedallionGetVersionLimit(t *testing.T) {
	ts := newTestServer(t)
	next := ""
	for i, want := range []struct {
		more          bool
		version, date string
	}{
		{true, "2016-11-03T12:30:59.000Z", "2016-11-03T12:30:59.001000Z"},
		{true, "2016-12-25T12:30:59.444Z", "2016-12-27T13:49:59.000000Z"},
		{false, "2017-01-27T13:49:53.935Z", "2017-12-31T13:49:53.935000Z"},
	} {
		q := "/versions?limit=1"
		if i > 0 {
			q += "&next=" + next
		}
		r := ts.get(getObjectsEP + indicatorID + q)
		expect(t, r, 200)
		expectMore(t, r, want.more)
		if v := r.versions(); len(v) != 1 || v[0] != want.version {
			t.Fatalf("page %d: versions %v, want [%s]", i, v, want.version)
		}
		expectDates(t, r, want.date, want.date)
		next, _ = r.json["next"].(string)
	}
}

func getVersionSpecVersion(t *testing.T, filter string) []string {
	t.Helper()
	r := newTestServer(t).get(getObjectsEP + filter)
	expect(t, r, 200)
	expectMore(t, r, false)
	return r.versions()
}

func TestMedallionGetVersionSpecVersion20(t *testing.T) {
	if v := getVersionSpecVersion(t, malwareID+"/versions?match[spec_version]=2.0"); len(v) != 1 || v[0] != "2018-02-23T18:30:00.000Z" {
		t.Fatal(v)
	}
}

func TestMedallionGetVersionSpecVersion21(t *testing.T) {
	if v := getVersionSpecVersion(t, malwareID+"/versions?match[spec_version]=2.1"); len(v) != 1 || v[0] != "2017-01-27T13:49:53.997Z" {
		t.Fatal(v)
	}
}

func TestMedallionGetVersionSpecVersion2021(t *testing.T) {
	if v := getVersionSpecVersion(t, malwareID+"/versions?match[spec_version]=2.0,2.1"); len(v) != 2 {
		t.Fatal(v)
	}
}

func TestMedallionGetVersionSpecVersionDefault(t *testing.T) {
	if v := getVersionSpecVersion(t, malwareID+"/versions"); len(v) != 1 || v[0] != "2017-01-27T13:49:53.997Z" {
		t.Fatal(v)
	}
}

func TestMedallionDeleteObjectsVersion(t *testing.T) {
	ts := newTestServer(t)
	id := "indicator--b2b1a0b9-4c4f-4f7b-9f4a-3b0e5d2d6a11"
	var objs []map[string]any
	for y := 2015; y <= 2019; y++ {
		objs = append(objs, newIndicator(id, fmt.Sprintf("%d-01-27T13:49:53.935Z", y)))
	}
	rp := ts.post(addObjectsEP, envelope(t, objs...))
	expect(t, rp, 202)
	if rp.json["success_count"] != 5.0 {
		t.Fatal(string(rp.body))
	}
	versions := func(n int, gone string) {
		t.Helper()
		r := ts.get(addObjectsEP + id + "/versions")
		expect(t, r, 200)
		expectMore(t, r, false)
		if v := r.versions(); len(v) != n || slices.Contains(v, gone) {
			t.Fatalf("versions %v, want %d without %q", v, n, gone)
		}
	}
	versions(5, "")
	expect(t, ts.del(addObjectsEP+id+"?match[version]=2018-01-27T13:49:53.935Z"), 200)
	versions(4, "2018-01-27T13:49:53.935Z")
	expect(t, ts.del(addObjectsEP+id+"?match[version]=first"), 200)
	versions(3, "2015-01-27T13:49:53.935Z")
	expect(t, ts.del(addObjectsEP+id+"?match[version]=last"), 200)
	versions(2, "2019-01-27T13:49:53.935Z")
	expect(t, ts.del(addObjectsEP+id+"?match[version]=all"), 200)
	expect(t, ts.get(addObjectsEP+id+"/versions"), 404)
}

func TestMedallionDeleteObjectsSpecVersion(t *testing.T) {
	ts := newTestServer(t)
	id := "indicator--c3c2b1a0-5d5f-4a8c-8a5b-4c1f6e3e7b22"
	v21 := newIndicator(id, "2018-01-27T13:49:53.935Z")
	v20 := newIndicator(id, "2019-01-27T13:49:53.935Z")
	delete(v20, "spec_version") // STIX 2.0 objects have none
	expect(t, ts.post(addObjectsEP, envelope(t, v21, v20)), 202)
	if r := ts.get(addObjectsEP + id + "/versions?match[spec_version]=2.0,2.1"); len(r.versions()) != 2 {
		t.Fatalf("both versions should be stored: %s", r.body)
	}
	expect(t, ts.del(addObjectsEP+id+"?match[spec_version]=2.0"), 200)
	r := ts.get(addObjectsEP + id + "/versions?match[spec_version]=2.0,2.1")
	expect(t, r, 200)
	expectMore(t, r, false)
	if v := r.versions(); len(v) != 1 || slices.Contains(v, "2019-01-27T13:49:53.935Z") {
		t.Fatal(v)
	}
	expect(t, ts.del(addObjectsEP+id+"?match[spec_version]=2.1"), 200)
	expect(t, ts.get(addObjectsEP+id+"/versions"), 404)
}

func TestMedallionSCOVersioning(t *testing.T) {
	ts := newTestServer(t)
	id := "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
	sco := map[string]any{"type": "ipv4-addr", "spec_version": "2.1", "id": id, "value": "198.51.100.3"}
	expect(t, ts.post(addObjectsEP, envelope(t, sco)), 202)
	for _, q := range []string{"?match[version]=all", "?match[version]=first", "?match[version]=last",
		"?added_after=2017-01-27T13:49:53.935Z"} {
		r := ts.get(addObjectsEP + id + q)
		expect(t, r, 200)
		expectCount(t, r.objects(), 1)
	}
	r := ts.get(addObjectsEP + id + "?added_after=" + time.Now().UTC().Add(time.Second).Format("2006-01-02T15:04:05.000Z"))
	expect(t, r, 200)
	if len(r.json) != 0 {
		t.Fatalf("want {}, got %s", r.body)
	}
}

func expectStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

func TestMedallionGetAPIRootInformationNotExistent(t *testing.T) {
	expectStatus(t, newTestServer(t).get("/trustgroup2/"), 404)
}

func TestMedallionGetCollectionNotExistent(t *testing.T) {
	expectStatus(t, newTestServer(t).get(nonExistentEP), 404)
}

func TestMedallionGetCollections401(t *testing.T) {
	ts := newTestServer(t)
	expectStatus(t, ts.do(http.MethodGet, collectionsEP, "", nil), 401)
}

func TestMedallionGetCollections404(t *testing.T) {
	expectStatus(t, newTestServer(t).get("/carbon1/collections/"), 404)
}

func TestMedallionGetCollection404(t *testing.T) {
	expectStatus(t, newTestServer(t).get("/carbon1/collections/12345678-1234-1234-1234-123456789012/"), 404)
}

func TestMedallionGetStatus401(t *testing.T) {
	ts := newTestServer(t)
	expectStatus(t, ts.do(http.MethodGet, apiRootEP+"status/2223/", "", nil), 401)
}

func TestMedallionGetStatus404(t *testing.T) {
	expectStatus(t, newTestServer(t).get(apiRootEP+"status/22101993/"), 404)
}

func TestMedallionGetObjectManifest401(t *testing.T) {
	ts := newTestServer(t)
	expectStatus(t, ts.do(http.MethodGet, collectionsEP+"24042009/manifest/", "", nil), 401)
}

func TestMedallionGetObjectManifest403(t *testing.T) {
	expectStatus(t, newTestServer(t).get(forbiddenEP+"manifest/"), 403)
}

func TestMedallionGetObjectManifest404(t *testing.T) {
	expectStatus(t, newTestServer(t).get(collectionsEP+"24042009/manifest/"), 404)
}

func TestMedallionGetObject401(t *testing.T) {
	ts := newTestServer(t)
	expectStatus(t, ts.do(http.MethodGet, getObjectsEP+"malware--fdd60b30-b67c-11e3-b0b9-f01faf20d111/", "", nil), 401)
}

func TestMedallionGetObject403(t *testing.T) {
	expectStatus(t, newTestServer(t).get(forbiddenEP+"objects/indicator--b81f86b9-975b-bb0b-775e-810c5bd45b4f/"), 403)
}

func TestMedallionGetObject404(t *testing.T) {
	r := newTestServer(t).get(getObjectsEP + "malware--cee60c30-a68c-11e3-b0c1-a01aac20d000/")
	expect(t, r, 404)
	if len(r.objects()) != 0 {
		t.Fatal(string(r.body))
	}
}

func TestMedallionGetOrAddObjects401(t *testing.T) {
	ts := newTestServer(t)
	expectStatus(t, ts.do(http.MethodGet, addObjectsEP, "", nil), 401)
	expectStatus(t, ts.do(http.MethodPost, addObjectsEP, "", envelope(t, newIndicator("indicator--68794cd5-28db-429d-ab1e-1256704ef906", "2017-01-27T13:49:53.935Z"))), 401)
}

func TestMedallionGetOrAddObjects403(t *testing.T) {
	ts := newTestServer(t)
	expectStatus(t, ts.get(forbiddenEP+"objects/"), 403)
	expectStatus(t, ts.post(forbiddenEP+"objects/", envelope(t, newIndicator("indicator--68794cd5-28db-429d-ab1e-1256704ef906", "2017-01-27T13:49:53.935Z"))), 403)
}

func TestMedallionGetOrAddObjects404(t *testing.T) {
	ts := newTestServer(t)
	expectStatus(t, ts.get(nonExistentEP+"objects/"), 404)
	expectStatus(t, ts.post(nonExistentEP+"objects/", envelope(t, newIndicator("indicator--68794cd5-28db-429d-ab1e-1256704ef906", "2017-01-27T13:49:53.935Z"))), 404)
}

func TestMedallionGetOrAddObjects422(t *testing.T) {
	ts := newTestServer(t)
	// A bare STIX object instead of an envelope.
	r := ts.post(addObjectsEP, []byte(`{"type":"indicator","id":"indicator--68794cd5-28db-429d-ab1e-1256704ef906"}`))
	expect(t, r, 422)
	if r.json["title"] != "ProcessingError" || r.json["http_status"] != "422" ||
		!strings.Contains(r.json["description"].(string), "While processing supplied content, an error occurred") {
		t.Fatal(string(r.body))
	}
}

func TestMedallionObjectPaginationBadLimitValue400(t *testing.T) {
	expectStatus(t, newTestServer(t).get(getObjectsEP+"?limit=-20"), 400)
}

func TestMedallionObjectPaginationChangingParams400(t *testing.T) {
	ts := newTestServer(t)
	r := ts.get(getObjectsEP + "?match[version]=all&limit=2")
	expect(t, r, 200)
	expectCount(t, r.objects(), 2)
	expectMore(t, r, true)
	r = ts.get(getObjectsEP + "?match[version]=all&limit=2&next=" + r.json["next"].(string))
	expect(t, r, 200)
	expectCount(t, r.objects(), 2)
	expectMore(t, r, true)
	r = ts.get(getObjectsEP + "?match[version]=first&limit=2&next=" + r.json["next"].(string))
	expect(t, r, 400)
	if r.json["title"] != "ProcessingError" {
		t.Fatal(string(r.body))
	}
}

// test_default_taxii_no_taxii_section: without configuration the page size is 100.
func TestMedallionDefaultMaxPageSize(t *testing.T) {
	if s := New(NewMemory(Discovery{}), Options{}); s.maxPage != 100 {
		t.Fatalf("default page size %d", s.maxPage)
	}
}

func TestMedallionObjectAlreadyPresent(t *testing.T) {
	ts := newTestServer(t)
	env := envelope(t, newIndicator("indicator--68794cd5-28db-429d-ab1e-1256704ef906", "2017-01-27T13:49:53.935Z"))
	expect(t, ts.post(addObjectsEP, env), 202)
	r := ts.post(addObjectsEP, env)
	expect(t, r, 202)
	if _, ok := r.json["failures"]; ok {
		t.Fatal(string(r.body))
	}
	if _, ok := r.json["successes"]; !ok {
		t.Fatal(string(r.body))
	}
}

func TestMedallionGetObjectsMatchTypeVersion(t *testing.T) {
	r := newTestServer(t).get(getObjectsEP + "?match[type]=indicator&match[version]=2017-01-27T13:49:53.935Z")
	expect(t, r, 200)
	expectCount(t, r.objects(), 1)
	if o := r.objects()[0]; o["type"] != "indicator" || o["id"] != indicatorID {
		t.Fatal(o)
	}
}

func TestMedallionGetObjectsMatchTypeSpecVersion(t *testing.T) {
	ts := newTestServer(t)
	id := "indicator--68794cd5-28db-429d-ab1e-1256704ef906"
	v20 := newIndicator(id, "2017-01-27T13:49:53.935Z")
	v20["spec_version"] = "2.0"
	expect(t, ts.post(getObjectsEP, envelope(t, v20)), 202)
	r := ts.get(getObjectsEP + "?match[type]=indicator&match[spec_version]=2.1")
	expect(t, r, 200)
	expectCount(t, r.objects(), 2)
	expectOrder(t, r.objects(), []string{"indicator--cd981c25-8042-4166-8945-51178443bdac", indicatorID})
	expectSpecVersion(t, r.objects(), "2.1")
	r = ts.get(getObjectsEP + "?match[type]=indicator&match[spec_version]=2.0")
	expect(t, r, 200)
	expectCount(t, r.objects(), 1)
	expectOrder(t, r.objects(), []string{id})
	expectSpecVersion(t, r.objects(), "2.0")
}
