package indicator_test

import (
	"fmt"
	"time"

	"github.com/umbra-cti/umbra/intel/indicator"
)

func ExampleDetect() {
	for _, v := range []string{"hxxp://Evil[.]Example.com:80/gate.php", "106.184.5.252", "00:1A:2B", "AS4808"} {
		t, n, err := indicator.Detect(v)
		fmt.Println(t, n, err)
	}
	// Output:
	// url http://evil.example.com/gate.php <nil>
	// ipv4 106.184.5.252 <nil>
	// unknown  "00:1A:2B": cannot tell what kind of indicator this is
	// asn AS4808 <nil>
}

func ExampleNormalize() {
	// A serial number as openssl prints it and as a report prints it.
	a, _ := indicator.Normalize(indicator.CertSerial, "00:1a:2b")
	b, _ := indicator.Normalize(indicator.CertSerial, "1A2B")
	fmt.Println(a, b, a == b)
	// Output: 1A2B 1A2B true
}

func ExampleToSTIX() {
	r := indicator.Record{Type: indicator.Domain, Value: "be.loved.tokyo", Source: "401trg",
		References: []string{"http://401trg.pw/burning-umbrella"}}
	o, err := indicator.ToSTIX(r, indicator.STIXOptions{Time: time.Date(2018, 5, 3, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	// The id is uuid5(STIX namespace, "umbra-indicator|domain|be.loved.tokyo|401trg");
	// Python's uuid.uuid5 gives the same.
	fmt.Println(o.ID)
	fmt.Println(o.Common.Pattern)
	in, _ := indicator.FromSTIX(o)
	fmt.Println(in.Type, in.Value, in.Sources)
	// Output:
	// indicator--a4344ef0-dcdf-54b0-93f2-28cdc029fa71
	// [domain-name:value = 'be.loved.tokyo']
	// domain be.loved.tokyo [401trg]
}
