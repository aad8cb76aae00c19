// Command gen writes the qtenclave test vectors (the JSON files of package
// testvectors). It is independent of the code the vectors check: it imports
// only the standard library and golang.org/x/crypto, never a package of
// this module, and builds every structure (CBOR, COSE_Sign1, CMS, OAEP,
// AES key wrap, SM3, the SM2 and secp256k1 curves) itself.
//
// Its output is deterministic: keys are fixed (testdata/*.pem, or scalars
// derived from labels), randomness comes from a labelled SHA-256 stream, and
// times are constants. Run it with go generate in package testvectors.
//
// Every key here is a TEST KEY, published with the vectors.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", ".", "directory to write the vector files to")
	flag.Parse()
	files := []*vectorFile{
		attestationFile(),
		envelopeFile(),
		sm2ECDHFile(false),
		sm2ECDHFile(true),
		secp256k1ECPointFile(),
		datakeyFile(),
		importFile(),
	}
	for _, f := range files {
		if err := f.write(*out); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

// generatorVersion is written into every file; bump it when the meaning of
// a field changes.
const generatorVersion = "1"

// vectorFile is one JSON file in the Wycheproof layout.
type vectorFile struct {
	name string // file name, without directory

	Algorithm        string          `json:"algorithm"`
	Schema           string          `json:"schema"`
	GeneratorVersion string          `json:"generatorVersion"`
	NumberOfTests    int             `json:"numberOfTests"`
	Header           []string        `json:"header"`
	Notes            map[string]note `json:"notes"`
	TestGroups       []any           `json:"testGroups"`

	nextID int
	used   map[string]bool // flags that some test carries
}

// note describes a flag, as in Wycheproof.
type note struct {
	BugType     string `json:"bugType"`
	Description string `json:"description"`
}

// common holds the fields that every test has.
type common struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
}

// Results.
const (
	valid      = "valid"
	invalid    = "invalid"
	acceptable = "acceptable"
)

// id returns the next test id and counts the test.
func (f *vectorFile) id() int {
	f.nextID++
	f.NumberOfTests++
	return f.nextID
}

// newCommon returns the common fields of a new test and checks its flags.
func (f *vectorFile) newCommon(comment string, flags ...string) common {
	for _, fl := range flags {
		if _, ok := f.Notes[fl]; !ok {
			panic(fmt.Sprintf("%s: flag %q has no note", f.name, fl))
		}
		if f.used == nil {
			f.used = map[string]bool{}
		}
		f.used[fl] = true
	}
	if flags == nil {
		flags = []string{}
	}
	return common{TcID: f.id(), Comment: comment, Flags: flags}
}

func (f *vectorFile) write(dir string) error {
	// A file describes only the flags its tests carry.
	notes := map[string]note{}
	for fl := range f.used {
		notes[fl] = f.Notes[fl]
	}
	f.Notes = notes
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	return os.WriteFile(filepath.Join(dir, f.name), b, 0o644)
}

// hexBytes is a byte string that JSON encodes as lowercase hex ("" when
// empty).
type hexBytes []byte

func (h hexBytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(hex.EncodeToString(h))
}

// stream is deterministic randomness: SHA-256(label || counter) blocks.
type stream struct {
	label string
	n     uint64
	buf   []byte
}

func newStream(label string) *stream { return &stream{label: label} }

func (s *stream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) {
		h := sha256.New()
		h.Write([]byte("qtenclave test vectors: " + s.label))
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], s.n)
		s.n++
		h.Write(c[:])
		s.buf = h.Sum(s.buf)
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// bytesOf returns n deterministic bytes for a label.
func bytesOf(label string, n int) []byte {
	b := make([]byte, n)
	newStream(label).Read(b)
	return b
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// readTestKey reads a PEM file of testdata, skipping the line of text
// before the block that labels it a test key.
func readTestKey(name string) []byte {
	b, err := os.ReadFile(filepath.Join(sourceDir(), "testdata", name))
	if err != nil {
		panic(err)
	}
	if i := bytes.Index(b, []byte("-----BEGIN")); i > 0 && strings.HasPrefix(string(b), "TEST ONLY") {
		return b[i:]
	}
	panic(name + ": not labelled TEST ONLY")
}

// sourceDir is the directory of this command's source: go generate runs it
// from package testvectors, and tests from here.
func sourceDir() string {
	for _, d := range []string{".", filepath.Join("internal", "gen")} {
		if _, err := os.Stat(filepath.Join(d, "testdata", "test-rsa2048-a.key.pem")); err == nil {
			return d
		}
	}
	panic("gen: cannot find testdata/ (run from testvectors or testvectors/internal/gen)")
}
