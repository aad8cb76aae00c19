package sharedvec

import (
	"bytes"
	"testing"
)

func TestFindsVectorsAndRoots(t *testing.T) {
	msg := Read(t, "openssl_cms/msg.txt")
	if !bytes.Equal(msg, []byte("hello CMS envelope\n")) {
		t.Fatalf("openssl_cms/msg.txt = %q", msg)
	}
	if root := Root(t, "aws_nitro_enclaves_root_G1.pem"); !bytes.HasPrefix(root, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("aws root is not PEM: %q", root[:min(len(root), 40)])
	}
}
