package attestation

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
)

// The fingerprints the platforms publish (PLATFORMS.md).
const (
	nitroRootSHA256    = "641A0321A3E244EFE456463195D606317ED7CDCC3C1756E09893F3C68F79BB5B"
	qingtianRootSHA256 = "F23443B4EB52A70719DF49BDDA0E57BB25F1C04530885DBECDBDE241C8C4F581"
)

func TestEmbeddedRootsArePinned(t *testing.T) {
	for _, tc := range []struct {
		file, fingerprint, cn string
		platform              Platform
	}{
		{"aws_nitro_enclaves_root_G1.pem", nitroRootSHA256, "aws.nitro-enclaves", Nitro},
		{"huawei_qingtian_enclaves_root_G1.pem", qingtianRootSHA256, "huaweicloud.qingtian-enclaves", QingTian},
	} {
		var root = nitroRoot
		if tc.platform == QingTian {
			root = qingtianRoot
		}
		sum := sha256.Sum256(root.Raw)
		if got := strings.ToUpper(hex.EncodeToString(sum[:])); got != tc.fingerprint {
			t.Errorf("%s: SHA-256 %s, want %s", tc.file, got, tc.fingerprint)
		}
		if root.Subject.CommonName != tc.cn || rootPlatform(root.Raw) != tc.platform {
			t.Errorf("%s: CN %q, platform %v", tc.file, root.Subject.CommonName, rootPlatform(root.Raw))
		}
	}
	if roots := EmbeddedRoots(); len(roots) != 2 || roots[0] != nitroRoot || roots[1] != qingtianRoot {
		t.Errorf("EmbeddedRoots() = %v", roots)
	}
}

// nitroRootZipSHA256 is the SHA-256 that AWS publishes for its official
// download AWS_NitroEnclaves_Root-G1.zip (PLATFORMS.md).
const nitroRootZipSHA256 = "8cf60e2b2efca96c6a9e71e851d00c1b6991cc09eadbe64a6a1d1b1eb9faff7c"

// TestNitroRootIsTheOfficialDownload checks the embedded Nitro root against
// root.pem inside the official zip (testdata/nitro, see its PROVENANCE.md),
// whose hash AWS publishes.
func TestNitroRootIsTheOfficialDownload(t *testing.T) {
	b := readTestdata(t, "nitro/AWS_NitroEnclaves_Root-G1.zip")
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != nitroRootZipSHA256 {
		t.Fatalf("zip SHA-256 %x, AWS publishes %s", sum, nitroRootZipSHA256)
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(z.File) != 1 || z.File[0].Name != "root.pem" {
		t.Fatalf("zip holds %d files, want root.pem alone", len(z.File))
	}
	rc, err := z.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	pemBytes, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pemBytes, nitroRootPEM) {
		t.Errorf("the embedded aws_nitro_enclaves_root_G1.pem differs from root.pem of the official zip")
	}
}
