package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"
)

// Load test bounds: the figures, and a deadline so that a slow or
// stuck server fails the test instead of hanging CI.
const (
	loadRequests = 10000
	loadClients  = 64
	loadDeadline = 4 * time.Minute
)

// TestMixedLoad sends loadRequests requests from loadClients concurrent
// clients, alternating between the AWS SDK and the Huawei SDK and between
// ten operations (ECDH, symmetric encryption and decryption, key reads,
// random bytes), on loopback. Every request must succeed and return the
// right answer. It logs requests/s and latency percentiles.
func TestMixedLoad(t *testing.T) {
	url := startKMS(t)
	ac := newAWSClient(url, testAK, testSK)
	hc := newHuaweiClient(t, url, testAK, testSK)
	ctx, cancel := context.WithTimeout(t.Context(), loadDeadline)
	defer cancel()

	sym := awsCreateKey(t, ac, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	ec := hwCreateKey(t, hc, model.GetCreateKeyRequestBodyKeySpecEnum().EC_P256, hwUsage(t, "KEY_AGREEMENT"), nil)
	peer := readKey(t, "test_p256_key.pem")
	peerDER := publicDER(t, peer)
	peerB64 := base64.StdEncoding.EncodeToString(peerDER)
	secret := peerSecret(t, ac, &types.KeyMetadata{KeyId: aws.String(ec)}, peer)
	secretB64 := base64.StdEncoding.EncodeToString(secret)

	plain := []byte("mixed load")
	blob, err := ac.Encrypt(ctx, &awskms.EncryptInput{KeyId: sym.KeyId, Plaintext: plain})
	if err != nil {
		t.Fatal(err)
	}
	dek := bytes.Repeat([]byte{7}, 32)
	digest := sha256.Sum256(dek)
	dekPlain := hex.EncodeToString(append(bytes.Clone(dek), digest[:]...))
	hwBlob, err := hc.EncryptDatakey(&model.EncryptDatakeyRequest{Body: &model.EncryptDatakeyRequestBody{KeyId: *sym.KeyId, PlainText: dekPlain, DatakeyPlainLength: "32"}})
	if err != nil {
		t.Fatal(err)
	}
	ecdhAlg := model.GetDeriveSharedSecretRequestBodyKeyAgreementAlgorithmEnum().ECDH

	mismatch := errors.New("wrong answer")
	ops := []func() error{
		func() error { // AWS DeriveSharedSecret
			out, err := ac.DeriveSharedSecret(ctx, &awskms.DeriveSharedSecretInput{KeyId: aws.String(ec), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peerDER})
			if err == nil && !bytes.Equal(out.SharedSecret, secret) {
				err = mismatch
			}
			return err
		},
		func() error { // Huawei derive-shared-secret
			out, err := hc.DeriveSharedSecret(&model.DeriveSharedSecretRequest{Body: &model.DeriveSharedSecretRequestBody{KeyId: ec, KeyAgreementAlgorithm: ecdhAlg, PublicKey: peerB64}})
			if err == nil && *out.SharedSecret != secretB64 {
				err = mismatch
			}
			return err
		},
		func() error { // AWS Encrypt
			_, err := ac.Encrypt(ctx, &awskms.EncryptInput{KeyId: sym.KeyId, Plaintext: plain})
			return err
		},
		func() error { // Huawei encrypt-datakey
			_, err := hc.EncryptDatakey(&model.EncryptDatakeyRequest{Body: &model.EncryptDatakeyRequestBody{KeyId: *sym.KeyId, PlainText: dekPlain, DatakeyPlainLength: "32"}})
			return err
		},
		func() error { // AWS Decrypt
			out, err := ac.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: blob.CiphertextBlob})
			if err == nil && !bytes.Equal(out.Plaintext, plain) {
				err = mismatch
			}
			return err
		},
		func() error { // Huawei decrypt-datakey
			out, err := hc.DecryptDatakey(&model.DecryptDatakeyRequest{Body: &model.DecryptDatakeyRequestBody{KeyId: *sym.KeyId, CipherText: *hwBlob.CipherText, DatakeyCipherLength: "32"}})
			if err == nil && *out.DataKey != hex.EncodeToString(dek) {
				err = mismatch
			}
			return err
		},
		func() error { // AWS DescribeKey
			_, err := ac.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(ec)})
			return err
		},
		func() error { // Huawei describe-key
			_, err := hc.ListKeyDetail(&model.ListKeyDetailRequest{Body: &model.OperateKeyRequestBody{KeyId: *sym.KeyId}})
			return err
		},
		func() error { // AWS GenerateRandom
			out, err := ac.GenerateRandom(ctx, &awskms.GenerateRandomInput{NumberOfBytes: aws.Int32(32)})
			if err == nil && len(out.Plaintext) != 32 {
				err = mismatch
			}
			return err
		},
		func() error { // Huawei get-publickey
			_, err := hc.ShowPublicKey(&model.ShowPublicKeyRequest{Body: &model.OperateKeyRequestBody{KeyId: ec}})
			return err
		},
	}

	var (
		next     atomic.Int64
		failures atomic.Int64
		firstErr sync.Once
		errMsg   string
		lat      = make([]time.Duration, loadRequests)
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range loadClients {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= loadRequests {
					return
				}
				t0 := time.Now()
				err := ops[i%int64(len(ops))]()
				lat[i] = time.Since(t0)
				if err != nil {
					failures.Add(1)
					firstErr.Do(func() { errMsg = fmt.Sprintf("request %d (op %d): %v", i, i%int64(len(ops)), err) })
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		t.Fatalf("load did not finish within %v: %d of %d requests sent", loadDeadline, next.Load(), loadRequests)
	}
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d of %d requests failed; first: %s", n, loadRequests, errMsg)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	t.Logf("%d requests, %d clients, both front ends: %.0f requests/s; latency p50 %v, p99 %v, max %v",
		loadRequests, loadClients, float64(loadRequests)/elapsed.Seconds(), pct(0.50), pct(0.99), lat[len(lat)-1])
}
