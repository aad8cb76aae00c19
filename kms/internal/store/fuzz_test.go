package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/qtenclave/qtenclave/kms"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/store"
)

// realRecords returns the stored records of a local KMS with keys of each
// kind: symmetric and asymmetric, generated and imported, pending import,
// with and without a PCR policy.
func realRecords(t testing.TB) [][]byte {
	t.Helper()
	dir := t.TempDir()
	srv, err := kms.NewServer(kms.Options{DataDir: dir, Token: "seed-token"})
	if err != nil {
		t.Fatal(err)
	}
	c := &huawei.Client{ProjectID: "00000000000000000000000000000000", Token: huawei.NewSecret("seed-token"),
		HTTPClient: &http.Client{Transport: handlerTransport{srv}}, Endpoint: "http://kms.local"}
	ctx := context.Background()
	pcr := map[string]string{"PCR0": string(bytes.Repeat([]byte("ab"), 48)), "PCR8": string(bytes.Repeat([]byte("cd"), 32))}
	for _, req := range []*huawei.CreateKeyRequest{
		{KeyAlias: "aes"},
		{KeyAlias: "sm4", KeySpec: "SM4", KeyDescription: "a description"},
		{KeyAlias: "p256", KeySpec: "EC_P256", KeyUsage: "KEY_AGREEMENT", RecipientAttestation: pcr},
		{KeyAlias: "sm2", KeySpec: "SM2", KeyUsage: "KEY_AGREEMENT"},
		{KeyAlias: "rsa", KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY"},
		{KeyAlias: "pending", Origin: "external"},
	} {
		if _, err := c.CreateKey(ctx, req); err != nil {
			t.Fatalf("%s: %v", req.KeyAlias, err)
		}
	}
	imported, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "imported", Origin: "external"})
	if err != nil {
		t.Fatal(err)
	}
	params, err := c.GetParametersForImport(ctx, &huawei.GetParametersForImportRequest{KeyID: imported.KeyInfo.KeyID, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	if err != nil {
		t.Fatal(err)
	}
	req, err := huawei.WrapKeyMaterial(params, bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ImportKeyMaterial(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := bolt.Open(filepath.Join(dir, store.DBFile), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var recs [][]byte
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.KeysBucket).ForEach(func(_, v []byte) error {
			recs = append(recs, bytes.Clone(v))
			return nil
		})
	})
	if err != nil || len(recs) != 7 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	return recs
}

// handlerTransport serves requests with an http.Handler, in process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	return w.Result(), nil
}

// FuzzDecodeRecord decodes arbitrary stored records, seeded with the
// records of a real server. Properties: nothing panics; a record is returned
// exactly when there is no error; a decoded record has an ID and PCRs in
// bounds, was one JSON object of Record's fields only, and encodes to JSON
// that decodes and encodes the same again (the encoding is canonical).
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range realRecords(f) {
		f.Add(r)
	}
	f.Add([]byte(`null`))
	f.Add([]byte(`{"id":"k","policy":{"Version":"1.1"}}`))
	f.Add([]byte(`{"id":"k","pcrs":{"32":"AA=="}}`))
	f.Add([]byte(`{"id":"k"} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := store.DecodeRecord(b)
		if (rec == nil) == (err == nil) {
			t.Fatalf("record %v with error %v", rec, err)
		}
		if err != nil {
			return
		}
		if rec.ID == "" {
			t.Fatal("a record without an ID")
		}
		for i, v := range rec.PCRs {
			if i < 0 || i > 31 || len(v) == 0 || len(v) > 64 {
				t.Fatalf("PCR %d of %d bytes", i, len(v))
			}
		}
		enc, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		again, err := store.DecodeRecord(enc)
		if err != nil {
			t.Fatalf("%s does not decode again: %v", enc, err)
		}
		if enc2, _ := json.Marshal(again); !bytes.Equal(enc, enc2) {
			t.Fatalf("not a fixed point: %s then %s", enc, enc2)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatalf("accepted what is not a JSON object: %v", err)
		}
		for name := range fields {
			if !slices.ContainsFunc(recordFields, func(f string) bool { return strings.EqualFold(f, name) }) {
				t.Fatalf("accepted the unknown field %q", name)
			}
		}
	})
}

// recordFields are the JSON names of Record's fields.
var recordFields = func() []string {
	var names []string
	rt := reflect.TypeFor[store.Record]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}()
