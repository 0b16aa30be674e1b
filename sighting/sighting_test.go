package sighting

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAggregatesAndIsDeterministic(t *testing.T) {
	t0 := time.Date(2018, 3, 24, 17, 15, 20, 123e6, time.UTC)
	build := func() []byte {
		r := NewRecorder()
		r.Add([]string{"indicator--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}, "zeek", "dns.query", "10.20.10.10", t0.Add(time.Hour))
		r.Add([]string{"indicator--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}, "zeek", "tls.sni", "10.20.10.11", t0)
		r.Add([]string{"indicator--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}, "suricata", "dns.query", "", t0)
		objs, err := r.Objects()
		if err != nil || len(objs) != 2 {
			t.Fatalf("%d sightings, %v", len(objs), err)
		}
		b, _ := json.Marshal([]json.RawMessage{objs[0].Raw, objs[1].Raw})
		return b
	}
	a, b := build(), build()
	if string(a) != string(b) {
		t.Fatal("the same hits gave different sightings")
	}
	var got []map[string]any
	json.Unmarshal(a, &got)
	var zeek map[string]any
	for _, s := range got {
		if s["x_umbra_sensor"] == "zeek" {
			zeek = s
		}
	}
	if hosts, _ := zeek["x_umbra_hosts"].([]any); len(hosts) != 2 || hosts[0] != "10.20.10.10" || hosts[1] != "10.20.10.11" {
		t.Fatalf("zeek sighting hosts %v, want both clients", zeek["x_umbra_hosts"])
	}
	if zeek["count"] != float64(2) || zeek["first_seen"] != "2018-03-24T17:15:20.123Z" || zeek["last_seen"] != "2018-03-24T18:15:20.123Z" {
		t.Fatalf("zeek sighting %v", zeek)
	}
}
