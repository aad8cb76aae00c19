package attestation

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nitroIndex is the part of testdata/nitro/INDEX.json the tests use.
type nitroIndex struct {
	Documents []nitroEntry `json:"documents"`
}

type nitroEntry struct {
	File        string         `json:"file"`
	ModuleID    string         `json:"module_id"`
	Digest      string         `json:"digest"`
	TimestampMS int64          `json:"timestamp_ms"`
	PCRCount    int            `json:"pcr_count"`
	PCRLen      int            `json:"pcr_len"`
	Debug       bool           `json:"debug_mode_all_zero_pcr0_1_2"`
	CABundleLen int            `json:"cabundle_len"`
	PublicKey   indexField     `json:"public_key"`
	UserData    indexField     `json:"user_data"`
	Nonce       indexField     `json:"nonce"`
	Leaf        []string       `json:"leaf_certificate"`
	Raw         map[string]any `json:"-"`
}

// indexField is {"present": true, "len": N, "hex": "..."} where a long hex
// ends in "...", or {"present": true, "value": null}.
type indexField struct {
	Len int    `json:"len"`
	Hex string `json:"hex"`
}

// readDoc reads a document under testdata: raw CBOR, or base64 text (.b64).
func readDoc(tb testing.TB, rel string) []byte {
	tb.Helper()
	b := readTestdata(tb, rel)
	if strings.HasSuffix(rel, ".b64") {
		d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			tb.Fatalf("%s: %v", rel, err)
		}
		b = d
	}
	return b
}

// readTestdata returns the contents of a file under testdata.
func readTestdata(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func loadNitro(tb testing.TB) []nitroEntry {
	tb.Helper()
	var idx nitroIndex
	if err := json.Unmarshal(readTestdata(tb, "nitro/INDEX.json"), &idx); err != nil {
		tb.Fatal(err)
	}
	var raw struct {
		Documents []map[string]any `json:"documents"`
	}
	if err := json.Unmarshal(readTestdata(tb, "nitro/INDEX.json"), &raw); err != nil {
		tb.Fatal(err)
	}
	if len(idx.Documents) != 9 {
		tb.Fatalf("INDEX.json lists %d documents, want 9", len(idx.Documents))
	}
	for i := range idx.Documents {
		idx.Documents[i].Raw = raw.Documents[i]
	}
	return idx.Documents
}

func checkField(t *testing.T, name string, got []byte, want indexField) {
	t.Helper()
	if want.Len == 0 {
		if got != nil {
			t.Errorf("%s = %x, want nil (null)", name, got)
		}
		return
	}
	prefix, truncated := strings.CutSuffix(want.Hex, "...")
	if len(got) != want.Len || !strings.HasPrefix(hex.EncodeToString(got), prefix) || (!truncated && hex.EncodeToString(got) != prefix) {
		t.Errorf("%s = %d bytes %.40x, want %d bytes %.40s", name, len(got), got, want.Len, want.Hex)
	}
}

func TestRealNitroDocuments(t *testing.T) {
	for _, e := range loadNitro(t) {
		t.Run(e.File, func(t *testing.T) {
			raw := readDoc(t, "nitro/"+e.File)
			doc, err := Verify(raw, VerifyOptions{AtDocumentTime: true, AllowDebug: e.Debug})
			if err != nil {
				t.Fatalf("Verify as of the document's time: %v", err)
			}
			if doc.Platform != Nitro || doc.ModuleID != e.ModuleID || doc.Digest != e.Digest {
				t.Errorf("platform %v, module_id %q, digest %q", doc.Platform, doc.ModuleID, doc.Digest)
			}
			if !doc.Timestamp.Equal(time.UnixMilli(e.TimestampMS)) {
				t.Errorf("timestamp %v, want %d ms", doc.Timestamp, e.TimestampMS)
			}
			if len(doc.PCRs) != e.PCRCount {
				t.Errorf("%d PCRs, want %d", len(doc.PCRs), e.PCRCount)
			}
			for i := range 32 {
				want, ok := e.Raw["PCR"+strconv.Itoa(i)].(string)
				if !ok {
					continue
				}
				if got := hex.EncodeToString(doc.PCRs[i]); got != want {
					t.Errorf("PCR%d = %s, want %s", i, got, want)
				}
			}
			checkField(t, "public_key", doc.PublicKey, e.PublicKey)
			checkField(t, "user_data", doc.UserData, e.UserData)
			checkField(t, "nonce", doc.Nonce, e.Nonce)
			if len(doc.Chain) != 1+e.CABundleLen || !bytes.Equal(doc.Chain[len(doc.Chain)-1].Raw, nitroRoot.Raw) {
				t.Errorf("chain of %d certificates, not ending in the AWS root", len(doc.Chain))
			}
			if cn := doc.Chain[0].Subject.CommonName; len(e.Leaf) == 0 || !strings.HasSuffix(e.Leaf[0], "CN = "+cn) {
				t.Errorf("leaf CN %q, index says %q", cn, e.Leaf)
			}
			// Old documents are expired now, and at any time outside
			// their leaf's three hours.
			if _, err := Verify(raw, VerifyOptions{AllowDebug: true}); !errors.Is(err, ErrExpired) {
				t.Errorf("Verify now: %v, want ErrExpired", err)
			}
			if _, err := Verify(raw, VerifyOptions{AllowDebug: true, Time: doc.Timestamp.Add(4 * time.Hour)}); !errors.Is(err, ErrExpired) {
				t.Errorf("Verify 4h later: %v, want ErrExpired", err)
			}
			// Debug documents only with AllowDebug.
			if e.Debug {
				if _, err := Verify(raw, VerifyOptions{AtDocumentTime: true}); !errors.Is(err, ErrPolicy) {
					t.Errorf("debug document without AllowDebug: %v, want ErrPolicy", err)
				}
			}
			// The Huawei root alone does not trust them.
			if _, err := Verify(raw, VerifyOptions{AtDocumentTime: true, AllowDebug: true, Roots: EmbeddedRoots()[1:]}); !errors.Is(err, ErrUntrusted) {
				t.Errorf("with only the QingTian root: %v, want ErrUntrusted", err)
			}
			// Asking for QingTian is a policy failure.
			if _, err := Verify(raw, VerifyOptions{AtDocumentTime: true, AllowDebug: true, Platform: QingTian}); !errors.Is(err, ErrPolicy) {
				t.Errorf("Platform QingTian: %v, want ErrPolicy", err)
			}
			// Decode agrees with Verify.
			u, err := Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if u.Platform != Nitro || u.ModuleID != doc.ModuleID || !u.Timestamp.Equal(doc.Timestamp) || len(u.Chain) != len(doc.Chain) || !bytes.Equal(u.Chain[0].Raw, doc.Chain[0].Raw) {
				t.Errorf("Decode = %+v", u)
			}
		})
	}
}

func TestNotRealNitroDocumentRejected(t *testing.T) {
	raw := readDoc(t, "nitro/not_real/blocky-nitrite_selfsigned_attestation.b64")
	for _, opts := range []VerifyOptions{{}, {AtDocumentTime: true, AllowDebug: true}} {
		if doc, err := Verify(raw, opts); err == nil || doc != nil {
			t.Fatalf("Verify(not_real) = %v, %v", doc, err)
		} else if !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(not_real) = %v, want ErrMalformed (its unprotected header is null)", err)
		}
	}
}
