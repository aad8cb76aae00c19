// Package huawei is the client side of Huawei Cloud KMS's REST API as the
// seed pages define it: the request and response bodies of its operations
// (with the seed pages' field names), a Client that calls them, and
// WrapKeyMaterial, which prepares key material for import-key-material.
//
// For most uses, make a Client and call its methods:
//
//	c := &huawei.Client{Endpoint: "http://" + addr, ProjectID: project, Token: huawei.NewSecret(token)}
//	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "k", KeySpec: "EC_P256", KeyUsage: "KEY_AGREEMENT"})
//
// The Client speaks to package kms's local server or to Huawei Cloud KMS
// itself. It authenticates with X-Auth-Token, or signs each request with
// an access key pair as the official Huawei Cloud SDK does
// (SDK-HMAC-SHA256). An error answer of the KMS is an *APIError with its
// status and error_code.
//
// # Security limits
//
//   - Responses are read up to 4 MiB.
//   - Secrets are Secrets: the Client's token and secret key, and the
//     fields that carry key material or a PIN in plaintext. fmt prints them
//     as REDACTED with every verb, including the paths that call no Format
//     method (%p of a struct value, %w, unexported fields); JSON encoding
//     is unaffected. Read them with Reveal.
//
// # What is not checked
//
// The Client does not validate requests: the KMS does, and answers with an
// APIError. It does not retry.
package huawei
