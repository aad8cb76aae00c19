package awsapi

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkEncodeEncryptResponse measures an Encrypt response appended to
// a reused buffer against json.Marshal of it, interleaved in batches (each
// timed as a whole, so that reading the clock does not count); "x" is the
// append's time over Marshal's.
func BenchmarkEncodeEncryptResponse(b *testing.B) {
	const batch = 64
	v := &awsEncryptResponse{
		CiphertextBlob:      make([]byte, 76),
		EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
		KeyID:               keyARN{"arn:aws:kms:us-east-1:000000000000:key/", "0123abcd-wxyz-4a5b-8c9d-0123456789yz"},
	}
	buf := make([]byte, 0, 1024)
	var appendTime, marshalTime time.Duration
	for b.Loop() {
		t0 := time.Now()
		for range batch {
			buf = v.appendJSON(buf[:0])
		}
		t1 := time.Now()
		for range batch {
			if _, err := json.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
		appendTime, marshalTime = appendTime+t1.Sub(t0), marshalTime+time.Since(t1)
	}
	n := float64(b.N * batch)
	b.ReportMetric(float64(appendTime.Nanoseconds())/n, "append-ns/op")
	b.ReportMetric(float64(marshalTime.Nanoseconds())/n, "marshal-ns/op")
	b.ReportMetric(float64(appendTime)/float64(marshalTime), "x")
}
