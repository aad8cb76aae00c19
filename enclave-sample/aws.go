package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/qtenclave/qtenclave/internal/httpsig"
)

// awsClient speaks the KMS's AWS front end (AWS JSON 1.1: POST / with
// X-Amz-Target), as the AWS SDKs do, with the sample's credentials: an
// X-Auth-Token, which the local KMS accepts on both front ends, or a
// SigV4 signature with the access key pair.
type awsClient struct {
	url                   string
	token, ak, sk, region string
	hc                    *http.Client
}

// awsError is an AWS error answer: its __type and message.
type awsError struct {
	status  int
	typ     string
	message string
}

func (e *awsError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.typ, e.message) }

// call runs op with in as its JSON body and decodes the answer into out.
func (c *awsClient) call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.url, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "TrentService."+op)
	if c.token != "" {
		r.Header.Set("X-Auth-Token", c.token)
	} else if err := httpsig.SignSigV4(r, body, c.ak, c.sk, c.region, "kms", []string{"content-type", "host", "x-amz-date", "x-amz-target"}, time.Now()); err != nil {
		return err
	}
	resp, err := c.hc.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		json.Unmarshal(b, &e)
		return &awsError{status: resp.StatusCode, typ: e.Type, message: e.Message}
	}
	return json.Unmarshal(b, out)
}
