package kms

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qtenclave/qtenclave/kms/huawei"
)

// TestLoad sends 10,000 requests from 64 concurrent clients over loopback,
// mixing operations, both credentials and a key store on disk, and requires
// every one to succeed. It reports requests/s and the p99 latency.
func TestLoad(t *testing.T) {
	const (
		total   = 10000
		clients = 64
	)
	k := newTestKMS(t, Options{DataDir: t.TempDir()})
	ctx := context.Background()
	aes := k.createKey(t, "AES_256", "", "")
	sm4 := k.createKey(t, "SM4", "", "")
	rsa := k.createKey(t, "RSA_2048", "", "")
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	tokenC, signedC := *k.client, *k.signed
	tokenC.HTTPClient, signedC.HTTPClient = hc, hc

	var next atomic.Int64
	var failures atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := &tokenC
			if w%2 == 1 {
				c = &signedC
			}
			for {
				i := next.Add(1)
				if i > total {
					return
				}
				t0 := time.Now()
				if err := loadOp(ctx, c, int(i), aes, sm4, rsa); err != nil {
					failures.Add(1)
					t.Errorf("request %d: %v", i, err)
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.Zero(t, failures.Load())
	all := slices.Concat(lat...)
	require.Len(t, all, total)
	slices.Sort(all)
	t.Logf("%d requests, %d clients: %.0f requests/s, p50 %v, p99 %v", total, clients,
		float64(total)/elapsed.Seconds(), all[total/2], all[total*99/100])
}

// loadOp runs the i-th operation of the mix.
func loadOp(ctx context.Context, c *huawei.Client, i int, aes, sm4, rsa string) error {
	switch i % 8 {
	case 0:
		_, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "load", KeySpec: "AES_256"})
		return err
	case 1, 2:
		id, spec := aes, "AES_256"
		if i%16 < 8 {
			id, spec = sm4, "SM4"
		}
		enc, err := c.EncryptDatakey(ctx, &huawei.EncryptDatakeyRequest{KeyID: id, PlainText: huawei.NewSecret(dekPlainText(spec, make([]byte, 32))), DatakeyPlainLength: "32", AdditionalAuthenticatedData: "load"})
		if err != nil {
			return err
		}
		_, err = c.DecryptDatakey(ctx, &huawei.DecryptDatakeyRequest{KeyID: id, CipherText: enc.CipherText, DatakeyCipherLength: "32", AdditionalAuthenticatedData: "load"})
		return err
	case 3, 4:
		_, err := c.DescribeKey(ctx, &huawei.KeyRequest{KeyID: aes})
		return err
	case 5:
		_, err := c.GetPublicKey(ctx, &huawei.KeyRequest{KeyID: rsa})
		return err
	case 6:
		_, err := c.ListKeys(ctx, &huawei.ListKeysRequest{Limit: "10"})
		return err
	default:
		_, err := c.DescribeKey(ctx, &huawei.KeyRequest{KeyID: sm4})
		return err
	}
}
