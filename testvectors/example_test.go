package testvectors_test

import (
	"fmt"
	"io/fs"

	"github.com/qtenclave/qtenclave/testvectors"
)

// Load a file into typed groups and decide each test; here, count them.
func ExampleLoad() {
	f, err := testvectors.Load[testvectors.EnvelopeGroup]("envelope_test.json")
	if err != nil {
		panic(err)
	}
	results := map[string]int{}
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			results[tc.Result]++
		}
	}
	fmt.Println(f.Algorithm, f.NumberOfTests, results)
	// Output: CmsEnvelopedData 125 map[acceptable:10 invalid:84 valid:31]
}

// The raw files, for runners that read JSON themselves.
func ExampleFS() {
	names, err := fs.Glob(testvectors.FS, "*_test.json")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		fmt.Println(name)
	}
	// Output:
	// attestation_test.json
	// ecdh_secp256k1_ecpoint_test.json
	// ecdh_sm2_ecpoint_test.json
	// ecdh_sm2_test.json
	// envelope_test.json
	// kms_encrypt_datakey_test.json
	// kms_import_key_material_test.json
}
