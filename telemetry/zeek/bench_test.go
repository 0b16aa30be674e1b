package zeek

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/umbra-cti/umbra/internal/cputime"
	"github.com/umbra-cti/umbra/telemetry/event"
	"github.com/umbra-cti/umbra/telemetry/source"
	"github.com/umbra-cti/umbra/telemetry/zeek/zeektest"
)

// benchDecode decodes log repeatedly and reports MB/s of log text.
func benchDecode(b *testing.B, log []byte) {
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	var e event.Event
	rd := bytes.NewReader(log)
	cpu0 := cputime.Self()
	for b.Loop() {
		rd.Reset(log)
		r := NewReader(rd, "bench.log")
		for {
			err := r.Next(&e)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	cputime.Rate(b, float64(len(log))*float64(b.N)/1e6, "MB", cpu0)
}

func genLog(b *testing.B, write func(io.Writer, int, uint64) error) []byte {
	var buf bytes.Buffer
	if err := write(&buf, 20000, 1); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkTSVConn(b *testing.B) { benchDecode(b, genLog(b, zeektest.ConnLog)) }
func BenchmarkTSVDNS(b *testing.B)  { benchDecode(b, genLog(b, zeektest.DNSLog)) }

// BenchmarkJSONConn decodes the same connections written as Zeek JSON.
func BenchmarkJSONConn(b *testing.B) {
	tsv := genLog(b, zeektest.ConnLog)
	var out bytes.Buffer
	r := NewReader(bytes.NewReader(tsv), "conn.log")
	var e event.Event
	for r.Next(&e) == nil {
		out.WriteString(`{"_path":"conn","ts":`)
		out.WriteString(strconv.FormatFloat(float64(e.Time.UnixMicro())/1e6, 'f', 6, 64))
		out.WriteString(`,"uid":"` + e.UID + `","id.orig_h":"` + e.SrcIP.String() + `","id.orig_p":53975,"id.resp_h":"` +
			e.DstIP.String() + `","id.resp_p":443,"proto":"tcp","service":"ssl","duration":28.271633,"orig_bytes":7292,` +
			`"resp_bytes":1245559,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadR",` +
			`"orig_pkts":1579,"orig_ip_bytes":3618,"resp_pkts":4585,"resp_ip_bytes":2233,"community_id":"` + e.CommunityID + `"}` + "\n")
	}
	benchDecode(b, out.Bytes())
}

// BenchmarkLinesOnly reads the conn log line by line without decoding: the
// floor that decoding adds to, measured in the same run as the others.
func BenchmarkLinesOnly(b *testing.B) {
	log := genLog(b, zeektest.ConnLog)
	b.SetBytes(int64(len(log)))
	rd := bytes.NewReader(log)
	for b.Loop() {
		rd.Reset(log)
		l := source.NewLineReader(rd)
		for {
			if _, err := l.Next(); err != nil {
				break
			}
		}
	}
}
