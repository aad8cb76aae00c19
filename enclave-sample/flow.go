package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/qtenclave/qtenclave/attestation"
	"github.com/qtenclave/qtenclave/attestation/attestationtest"
	"github.com/qtenclave/qtenclave/keyspec"
	"github.com/qtenclave/qtenclave/kms"
	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/recipient"
)

// specs are the five KMS EC key specs, with the create-key spec name of a
// KEY_AGREEMENT key of the same curve.
var specs = []struct {
	pair      string // create-ec-datakey-pair key_spec
	agreement string // create-key key_spec
}{
	{"ECC_NIST_P256", "EC_P256"},
	{"ECC_NIST_P384", "EC_P384"},
	{"ECC_NIST_P521", "EC_P521"},
	{"ECC_SECG_P256K1", "SECP256K1"},
	{"SM2", "SM2"},
}

// flow is one run of the sample: a KMS client, a simulated enclave and the
// report of what was checked.
type flow struct {
	ctx    context.Context
	kms    *huawei.Client
	kmsURL string
	rep    *report

	platform attestation.Platform
	key      *recipient.Key // the enclave's ephemeral RSA key
	doc      []byte         // its attestation document, carrying key's SPKI
	docPCR0  []byte
	docPCRs  map[int][]byte

	aesCMK, sm4CMK string // key IDs of the symmetric CMKs
}

// errStop ends the flow after a step that later steps cannot do without.
var errStop = errors.New("enclave-sample: cannot go on")

func runFlow(ctx context.Context, cfg config) *report {
	start := time.Now()
	rep := &report{Platform: cfg.platform.String()}
	f := &flow{ctx: ctx, rep: rep, platform: cfg.platform}
	for _, s := range specs {
		rep.Specs = append(rep.Specs, s.pair)
	}

	stop, err := f.connect(cfg)
	if err == nil {
		defer stop()
		err = f.run()
	}
	if err != nil && !errors.Is(err, errStop) {
		rep.add("run", "", time.Now(), "", err)
	}
	rep.OK = rep.Failed == 0 && rep.Passed > 0
	rep.Millis = millis(time.Since(start))
	return rep
}

// connect sets up the KMS client: to the KMS at cfg.kmsURL, or to a local
// KMS started in-process on a loopback port, which trusts the attestation
// test authority (as `qtenclave kms serve --trust-test-root` does).
func (f *flow) connect(cfg config) (stop func(), err error) {
	t0 := time.Now()
	if cfg.kmsURL != "" {
		f.rep.KMS, f.kmsURL = cfg.kmsURL, cfg.kmsURL
		f.kms = &huawei.Client{Endpoint: cfg.kmsURL, ProjectID: cfg.projectID,
			Token: huawei.NewSecret(cfg.token), AccessKey: cfg.accessKey, SecretKey: huawei.NewSecret(cfg.secretKey)}
		return func() {}, nil
	}
	token := base64.RawURLEncoding.EncodeToString(randomBytes(24))
	srv, err := kms.NewServer(kms.Options{Token: token, Roots: []*x509.Certificate{attestationtest.Root()}})
	if err != nil {
		f.rep.add("start local KMS", "", t0, "", err)
		return nil, errStop
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		f.rep.add("start local KMS", "", t0, "", err)
		return nil, errStop
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	url := "http://" + ln.Addr().String()
	f.kmsURL = url
	f.rep.KMS = url + " (in-process)"
	f.kms = &huawei.Client{Endpoint: url, ProjectID: cfg.projectID, Token: huawei.NewSecret(token),
		HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	f.rep.add("start local KMS", "", t0, "listening on "+url+", trusting the attestation test root", nil)
	return func() { cancel(); <-done; srv.Close() }, nil
}

// run plays the enclave against the KMS, step by step.
func (f *flow) run() error {
	if err := f.step("attest", "", f.attest); err != nil {
		return errStop
	}
	if err := f.step("create CMKs", "", f.createCMKs); err != nil {
		return errStop
	}
	for _, s := range specs {
		f.step("derive-shared-secret", s.pair, func() (string, error) { return f.deriveSharedSecret(s.pair, s.agreement) })
		f.step("create-ec-datakey-pair", s.pair, func() (string, error) { return f.createECDataKeyPair(s.pair) })
	}
	f.step("encrypt/decrypt-datakey", "AES_256", func() (string, error) { return f.datakeyRoundTrip(f.aesCMK, sha256.New) })
	f.step("encrypt/decrypt-datakey", "SM4", func() (string, error) { return f.datakeyRoundTrip(f.sm4CMK, sm3.New) })
	f.step("import-key-material", "AES_256", f.importKeyMaterial)
	f.step("refuse wrong PCR0", "", f.refuseWrongPCR)
	f.step("refuse tampered signature", "", f.refuseTamperedSignature)
	f.runPolicies()
	return nil
}

// step runs one step and records it.
func (f *flow) step(name, spec string, fn func() (string, error)) error {
	t0 := time.Now()
	checked, err := fn()
	f.rep.add(name, spec, t0, checked, err)
	return err
}

// attest makes the enclave's ephemeral RSA key and gets an attestation
// document that carries it, then verifies the document as the KMS will.
func (f *flow) attest() (string, error) {
	key, err := recipient.GenerateKey(2048)
	if err != nil {
		return "", err
	}
	doc, err := attestationtest.Issue(attestationtest.Options{Platform: f.platform, PublicKey: key.PublicKeyDER()})
	if err != nil {
		return "", err
	}
	verified, err := attestation.Verify(doc, attestation.VerifyOptions{
		Roots:               []*x509.Certificate{attestationtest.Root()},
		Platform:            f.platform,
		PublicKey:           key.PublicKeyDER(),
		RequireRSAPublicKey: true,
		MaxAge:              5 * time.Minute,
	})
	if err != nil {
		return "", fmt.Errorf("the enclave's own document does not verify: %w", err)
	}
	f.key, f.doc, f.docPCR0, f.docPCRs = key, doc, verified.PCRs[0], verified.PCRs
	return fmt.Sprintf("RSA-2048 key in a %d-byte %s document (PCR0 %.16x…), verified against the test root",
		len(doc), verified.Platform, verified.PCRs[0]), nil
}

func (f *flow) recipient() *huawei.Recipient {
	return &huawei.Recipient{
		AttestationDocument:    base64.StdEncoding.EncodeToString(f.doc),
		KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
	}
}

func (f *flow) createCMKs() (string, error) {
	var err error
	if f.aesCMK, err = f.createKey("enclave-sample-aes", "AES_256", "ENCRYPT_DECRYPT", nil); err != nil {
		return "", err
	}
	if f.sm4CMK, err = f.createKey("enclave-sample-sm4", "SM4", "ENCRYPT_DECRYPT", nil); err != nil {
		return "", err
	}
	return "AES_256 " + f.aesCMK + ", SM4 " + f.sm4CMK, nil
}

func (f *flow) createKey(alias, spec, usage string, pcrs map[string]string) (string, error) {
	resp, err := f.kms.CreateKey(f.ctx, &huawei.CreateKeyRequest{
		KeyAlias: alias, KeySpec: spec, KeyUsage: usage, RecipientAttestation: pcrs})
	if err != nil {
		return "", f.kmsError(fmt.Sprintf("create-key %s %s", spec, usage), err)
	}
	return resp.KeyInfo.KeyID, nil
}

// deriveSharedSecret asks the KMS for ECDH between its KEY_AGREEMENT key
// and the enclave's EC key, sealed to the enclave, and checks that the
// enclave computes the same secret itself.
func (f *flow) deriveSharedSecret(pairSpec, createSpec string) (string, error) {
	spec, err := keyspec.ParseSpec(pairSpec)
	if err != nil {
		return "", err
	}
	keyID, err := f.createKey("enclave-sample-"+createSpec, createSpec, "KEY_AGREEMENT", nil)
	if err != nil {
		return "", err
	}
	pub, err := f.kms.GetPublicKey(f.ctx, &huawei.KeyRequest{KeyID: keyID})
	if err != nil {
		return "", f.kmsError("get-publickey", err)
	}
	kmsPub, err := parseSPKI(pub.PublicKey)
	if err != nil {
		return "", fmt.Errorf("the public_key of get-publickey: %w", err)
	}
	mine, err := keyspec.GenerateKey(spec)
	if err != nil {
		return "", err
	}
	resp, err := f.kms.DeriveSharedSecret(f.ctx, &huawei.DeriveSharedSecretRequest{
		KeyID:                 keyID,
		KeyAgreementAlgorithm: "ECDH",
		PublicKey:             base64.StdEncoding.EncodeToString(mine.PublicKey().MarshalPKIX()),
		Recipient:             f.recipient(),
	})
	if err != nil {
		return "", f.kmsError("derive-shared-secret", err)
	}
	if !resp.SharedSecret.IsZero() {
		return "", errors.New("derive-shared-secret with a recipient returned shared_secret in plaintext")
	}
	env, err := base64.StdEncoding.DecodeString(resp.CiphertextRecipient)
	if err != nil {
		return "", fmt.Errorf("ciphertext_recipient: %w", err)
	}
	theirs, err := recipient.OpenSharedSecret(env, f.key, recipient.OpenOptions{})
	if err != nil {
		return "", fmt.Errorf("opening ciphertext_recipient: %w", err)
	}
	local, err := mine.ECDH(kmsPub)
	if err != nil {
		return "", fmt.Errorf("local ECDH: %w", err)
	}
	if !bytes.Equal(theirs, local) {
		return "", errors.New("the shared secret from the KMS differs from the one computed in the enclave")
	}
	return fmt.Sprintf("%d-byte envelope opened; its %d-byte secret equals local ECDH with the KMS key", len(env), len(local)), nil
}

// createECDataKeyPair asks for a data key pair sealed to the enclave, opens
// the PKCS#8 private key, checks it against the public key the KMS
// returned, and uses it for ECDH with a peer.
func (f *flow) createECDataKeyPair(pairSpec string) (string, error) {
	resp, err := f.kms.CreateECDataKeyPair(f.ctx, &huawei.DataKeyPairRequest{
		KeyID: f.aesCMK, KeySpec: pairSpec, Recipient: f.recipient()})
	if err != nil {
		return "", f.kmsError("create-ec-datakey-pair", err)
	}
	if !resp.PrivateKeyPlainText.IsZero() || resp.WrappedPrivateKey != "" {
		return "", errors.New("create-ec-datakey-pair with a recipient returned the private key outside ciphertext_recipient")
	}
	if resp.PrivateKeyCipherText == "" {
		return "", errors.New("create-ec-datakey-pair returned no private_key_cipher_text")
	}
	env, err := base64.StdEncoding.DecodeString(resp.CiphertextRecipient)
	if err != nil {
		return "", fmt.Errorf("ciphertext_recipient: %w", err)
	}
	pkcs8, err := recipient.OpenPrivateKey(env, f.key, recipient.OpenOptions{})
	if err != nil {
		return "", fmt.Errorf("opening ciphertext_recipient: %w", err)
	}
	priv, err := keyspec.ParsePrivateKey(pkcs8)
	if err != nil {
		return "", fmt.Errorf("the private key in ciphertext_recipient: %w", err)
	}
	pub, err := parseSPKI(resp.PublicKey)
	if err != nil {
		return "", fmt.Errorf("public_key: %w", err)
	}
	if !priv.PublicKey().Equal(pub) || priv.Spec().String() != pairSpec {
		return "", fmt.Errorf("the private key in ciphertext_recipient (%v) does not match public_key (%v)", priv.Spec(), pub.Spec())
	}
	peer, err := keyspec.GenerateKey(priv.Spec())
	if err != nil {
		return "", err
	}
	ours, err := priv.ECDH(peer.PublicKey())
	if err != nil {
		return "", err
	}
	theirs, err := peer.ECDH(priv.PublicKey())
	if err != nil {
		return "", err
	}
	if !bytes.Equal(ours, theirs) {
		return "", errors.New("ECDH with the data key pair disagrees with the peer")
	}
	return fmt.Sprintf("PKCS#8 key opened, matches public_key, ECDH with a peer agrees (%d bytes)", len(ours)), nil
}

// datakeyRoundTrip encrypts a DEK under a CMK in the DEK || digest format
// of encrypt-datakey and decrypts it back.
func (f *flow) datakeyRoundTrip(cmk string, digest func() hash.Hash) (string, error) {
	dek := randomBytes(32)
	h := digest()
	h.Write(dek)
	sum := h.Sum(nil)
	enc, err := f.kms.EncryptDatakey(f.ctx, &huawei.EncryptDatakeyRequest{
		KeyID:              cmk,
		PlainText:          huawei.NewSecret(hex.EncodeToString(append(append([]byte{}, dek...), sum...))),
		DatakeyPlainLength: strconv.Itoa(len(dek)),
	})
	if err != nil {
		return "", f.kmsError("encrypt-datakey", err)
	}
	dec, err := f.kms.DecryptDatakey(f.ctx, &huawei.DecryptDatakeyRequest{
		KeyID:               cmk,
		CipherText:          enc.CipherText,
		DatakeyCipherLength: strconv.Itoa(len(dek)),
	})
	if err != nil {
		return "", f.kmsError("decrypt-datakey", err)
	}
	got, err := hex.DecodeString(dec.DataKey.Reveal())
	if err != nil || !bytes.Equal(got, dek) {
		return "", errors.New("decrypt-datakey returned another data key")
	}
	if dec.DatakeyDgst.Reveal() != hex.EncodeToString(sum) {
		return "", errors.New("decrypt-datakey returned another digest")
	}
	return fmt.Sprintf("32-byte DEK with its %d-byte digest round-trips (%d hex chars of cipher_text)", len(sum), len(enc.CipherText)), nil
}

// importKeyMaterial imports an AES-256 key made inside the enclave and
// uses it.
func (f *flow) importKeyMaterial() (string, error) {
	keyID, err := f.createKeyWithOrigin("enclave-sample-imported", "AES_256", "external")
	if err != nil {
		return "", err
	}
	params, err := f.kms.GetParametersForImport(f.ctx, &huawei.GetParametersForImportRequest{
		KeyID: keyID, WrappingAlgorithm: "RSAES_OAEP_SHA_256"})
	if err != nil {
		return "", f.kmsError("get-parameters-for-import", err)
	}
	material := randomBytes(32)
	req, err := huawei.WrapKeyMaterial(params, material)
	if err != nil {
		return "", err
	}
	if err := f.kms.ImportKeyMaterial(f.ctx, req); err != nil {
		return "", f.kmsError("import-key-material", err)
	}
	if _, err := f.datakeyRoundTrip(keyID, sha256.New); err != nil {
		return "", fmt.Errorf("using the imported key: %w", err)
	}
	return "key material wrapped with RSAES-OAEP-SHA256 under the import token, imported, and used for encrypt/decrypt-datakey", nil
}

func (f *flow) createKeyWithOrigin(alias, spec, origin string) (string, error) {
	resp, err := f.kms.CreateKey(f.ctx, &huawei.CreateKeyRequest{KeyAlias: alias, KeySpec: spec, Origin: origin})
	if err != nil {
		return "", f.kmsError(fmt.Sprintf("create-key %s origin %s", spec, origin), err)
	}
	return resp.KeyInfo.KeyID, nil
}

// refuseWrongPCR asks for a secret of a key whose policy wants another
// enclave image (PCR0) than the one the document attests.
func (f *flow) refuseWrongPCR() (string, error) {
	other := bytes.Repeat([]byte{0xee}, len(f.docPCR0))
	keyID, err := f.createKey("enclave-sample-pinned", "EC_P256", "KEY_AGREEMENT",
		map[string]string{"PCR0": hex.EncodeToString(other)})
	if err != nil {
		return "", err
	}
	return f.expectRefusal(keyID, f.doc)
}

// refuseTamperedSignature sends the document with one signature bit
// flipped.
func (f *flow) refuseTamperedSignature() (string, error) {
	keyID, err := f.createKey("enclave-sample-tamper", "EC_P256", "KEY_AGREEMENT", nil)
	if err != nil {
		return "", err
	}
	doc := bytes.Clone(f.doc)
	doc[len(doc)-1] ^= 0x01 // the last byte of the 96-byte signature
	return f.expectRefusal(keyID, doc)
}

// expectRefusal asks derive-shared-secret to seal to doc and requires the
// KMS to refuse with a client error, wrapping nothing.
func (f *flow) expectRefusal(keyID string, doc []byte) (string, error) {
	peer, err := keyspec.GenerateKey(keyspec.P256)
	if err != nil {
		return "", err
	}
	resp, err := f.kms.DeriveSharedSecret(f.ctx, &huawei.DeriveSharedSecretRequest{
		KeyID:                 keyID,
		KeyAgreementAlgorithm: "ECDH",
		PublicKey:             base64.StdEncoding.EncodeToString(peer.PublicKey().MarshalPKIX()),
		Recipient: &huawei.Recipient{
			AttestationDocument:    base64.StdEncoding.EncodeToString(doc),
			KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
		},
	})
	if err == nil {
		return "", fmt.Errorf("the KMS accepted the document and wrapped %d bytes", len(resp.CiphertextRecipient)+len(resp.SharedSecret.Reveal()))
	}
	var apiErr *huawei.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode < 400 || apiErr.StatusCode >= 500 {
		return "", fmt.Errorf("the KMS failed instead of refusing: %w", err)
	}
	return fmt.Sprintf("refused: HTTP %d %s: %s; nothing wrapped", apiErr.StatusCode, apiErr.Code, apiErr.Message), nil
}

func parseSPKI(b64 string) (*keyspec.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	return keyspec.ParsePublicKey(der)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// kmsError says which KMS refused which operation, and why, in the words a
// person needs: "KMS at URL refused derive-shared-secret: kms: 403 ...".
func (f *flow) kmsError(op string, err error) error {
	var apiErr *huawei.APIError
	if errors.As(err, &apiErr) {
		return fmt.Errorf("KMS at %s refused %s: %w", f.kmsURL, op, err)
	}
	return fmt.Errorf("KMS at %s did not answer %s: %w", f.kmsURL, op, err)
}
