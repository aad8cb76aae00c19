package kms

import (
	"encoding/json"
	"net/http"
	"testing"
)

// BenchmarkAWSHandlerCPU measures the server's CPU per AWS request once
// net/http has read it (ServeHTTP called directly with a prepared SigV4
// request: the body, the signature, decoding, the core, the answer, the
// log line), for the operations of issue 12's throughput measure and
// Decrypt, against minimalHandler (BenchmarkThroughput's baseline) served
// the same way in the same loop (cpuRatio). "x" is ours over the baseline:
// what the handler adds to a request's cost beyond net/http's own, which
// both pay in BenchmarkThroughput.
func BenchmarkAWSHandlerCPU(b *testing.B) {
	srv := benchServer(b, "")
	d := &direct{srv: srv}
	r, body := awsBenchRequest(b, "CreateKey", `{}`)
	d.serve(b, r, body)
	var created struct{ KeyMetadata struct{ KeyId string } }
	if err := json.Unmarshal(d.body.Bytes(), &created); err != nil {
		b.Fatal(err)
	}
	id := created.KeyMetadata.KeyId
	r, body = awsBenchRequest(b, "Encrypt", `{"KeyId":"`+id+`","Plaintext":"aGVsbG8gd29ybGQ="}`)
	d.serve(b, r, body)
	var encrypted struct{ CiphertextBlob string }
	if err := json.Unmarshal(d.body.Bytes(), &encrypted); err != nil {
		b.Fatal(err)
	}
	base := &direct{srv: http.HandlerFunc(minimalHandler)}
	for _, op := range []struct{ name, body string }{
		{"Encrypt", `{"KeyId":"` + id + `","Plaintext":"aGVsbG8gd29ybGQ="}`},
		{"GenerateDataKey", `{"KeyId":"` + id + `","KeySpec":"AES_256"}`},
		{"Decrypt", `{"CiphertextBlob":"` + encrypted.CiphertextBlob + `"}`},
	} {
		b.Run(op.name, func(b *testing.B) {
			r, body := awsBenchRequest(b, op.name, op.body)
			cpuRatio(b, nil, func() { d.serve(b, r, body) }, func() { base.serve(b, r, body) })
		})
	}
}
