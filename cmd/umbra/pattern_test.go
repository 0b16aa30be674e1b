package main

import (
	"errors"
	"strings"
	"testing"
)

func exitStatus(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestPatternCommands(t *testing.T) {
	bundle := "../../stix/pattern/testdata/bundle.json"
	for _, tc := range []struct {
		args   []string
		status int
		out    string // expected standard output (trimmed)
		errHas string
	}{
		{[]string{"pattern", "check", "[ipv4-addr:value ISSUBSET '221.216.0.0/13']"}, 0, "valid", ""},
		{[]string{"pattern", "check", "[file:hashes.MD5 = ]"}, 2, "", "offset 19"},
		{[]string{"pattern", "check", "[file:hashes.MD5 = 'x']"}, 2, "", "not a valid MD5 hash"},
		{[]string{"pattern", "check", "[a:b = t'2023-02-29T00:00:00Z']"}, 2, "", "does not exist"},
		{[]string{"pattern", "check", "--json", "[a:b = ]"}, 2, `{"error":"offset 7: unexpected \"]\", expecting a literal","offset":7,"valid":false}`, ""},
		{[]string{"pattern", "match", "[ipv4-addr:value = '221.216.5.9'] FOLLOWEDBY [file:name = 'msupdate.exe']", bundle}, 0, "match", ""},
		{[]string{"pattern", "match", "[file:name = 'msupdate.exe'] FOLLOWEDBY [ipv4-addr:value = '221.216.5.9']", bundle}, 1, "no match", ""},
		{[]string{"pattern", "match", "--json", "[ipv4-addr:value = '221.216.5.9']", bundle}, 0,
			`{"match":true,"observed_data":["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"]}`, ""},
		{[]string{"pattern", "match", "[a:b = ", bundle}, 2, "", "offset 7"},
		{[]string{"pattern", "match", "[a:b = 1]", "testdata-does-not-exist.json"}, 2, "", "no such file"},
		{[]string{"pattern", "match", "[a:b = 1]", "../../stix/pattern/testdata/backwards.json"}, 2, "", "last_observed is before"},
	} {
		out, err := run(t, tc.args...)
		if got := exitStatus(err); got != tc.status {
			t.Errorf("%q: exit %d (%v), want %d", tc.args, got, err, tc.status)
		}
		if strings.TrimSpace(out) != tc.out {
			t.Errorf("%q: printed %q, want %q", tc.args, out, tc.out)
		}
		if tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)) {
			t.Errorf("%q: error %v, want one mentioning %q", tc.args, err, tc.errHas)
		}
	}
}
