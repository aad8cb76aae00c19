package attestation

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/qtenclave/qtenclave/internal/sharedvec"
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
		// The embedded copy is the shared one, byte for byte.
		if shared := mustParsePEM(sharedvec.Root(t, tc.file)); !bytes.Equal(shared.Raw, root.Raw) {
			t.Errorf("%s differs from ../shared/roots", tc.file)
		}
	}
	if roots := EmbeddedRoots(); len(roots) != 2 || roots[0] != nitroRoot || roots[1] != qingtianRoot {
		t.Errorf("EmbeddedRoots() = %v", roots)
	}
}
