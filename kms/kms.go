// Package kms is a local KMS server that speaks the Huawei Cloud KMS REST
// API and the AWS KMS JSON 1.1 API, and verifies an enclave's attestation
// document before it seals a secret to it.
//
// For most uses, run a Server and talk to it with package huawei's Client,
// or with the official Huawei Cloud or AWS SDK:
//
//	srv, err := kms.NewServer(kms.Options{DataDir: dir, Token: token})
//	go srv.Serve(ctx, listener)
//	c := &huawei.Client{Endpoint: "http://" + addr, ProjectID: project, Token: huawei.NewSecret(token)}
//	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "k", KeySpec: "EC_P256", KeyUsage: "KEY_AGREEMENT"})
//
// The server answers the Huawei REST API (POST /v1.0/{project_id}/kms/<op>,
// as the official Huawei Cloud SDK sends it) and, on the same listener, the
// AWS JSON 1.1 API (POST / with X-Amz-Target); a request's shape picks its
// front end. The server reads the body within its limit, authenticates the
// request, and hands it with its caller to the front end, which calls the
// operations of one core: one set of rules, one key store, one recipient
// path for both APIs. The operations and error codes of each API are
// documented with its front end (kms/internal/huaweiapi,
// kms/internal/awsapi).
//
// # Recipients
//
// A request with a recipient (an attestation document and
// RSAES_OAEP_SHA_256) gets ciphertext_recipient instead of the secret: the
// document is verified with package attestation against its embedded roots
// plus Options.Roots, and against the key's PCR policy (create-key's
// recipient_attestation), then the secret is sealed with package recipient
// to the RSA key the document carries. A document that fails any check is a
// 4xx error and nothing is sealed.
//
// # Security limits
//
//   - Request bodies are capped at 64 KiB, attestation documents at 32 KiB,
//     additional_authenticated_data at 128 bytes, data keys at 1024 bytes.
//   - Requests are authenticated by X-Auth-Token, an SDK-HMAC-SHA256
//     signature or an AWS SigV4 signature, compared in constant time;
//     signed dates may be at most 15 minutes from the server's clock.
//   - Key material is sealed with AES-256-GCM under a per-store master key
//     (DataDir/master.key, mode 0600), bound to the key ID. The master key
//     sits beside the database: this protects a copied database, not a
//     copied directory. A master key that is not the store's is refused at
//     start; one that other users may read is a warning in the log.
//   - Every write is an fsynced bbolt transaction: once a key is
//     acknowledged it survives kill -9.
//   - A panic in a handler is answered with a 500 and logged by its type,
//     never its value; the request log carries no secret.
//
// # What is not checked
//
// This is a development KMS. There are no users, grants, key policies
// beyond the PCR policy, quotas, rotation, deletion or auditing; a valid
// credential may use every key. The recipient envelope is not authenticated
// (CMS with AES-CBC, as AWS sends it): an enclave must only trust it as far
// as it trusts the channel.
package kms
