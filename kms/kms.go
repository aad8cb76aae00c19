// Package kms is the KMS of the seed pages: the request and response models
// of its operations, a client, and a local KMS server that verifies an
// enclave's attestation document before it seals a secret to it.
//
// For most uses, run a Server and talk to it with a Client:
//
//	srv, err := kms.NewServer(kms.Options{DataDir: dir, Token: token})
//	go srv.Serve(ctx, listener)
//	c := &huawei.Client{Endpoint: "http://" + addr, ProjectID: project, Token: token}
//	key, err := c.CreateKey(ctx, &huawei.CreateKeyRequest{KeyAlias: "k", KeySpec: "EC_P256", KeyUsage: "KEY_AGREEMENT"})
//
// The server answers the Huawei REST API (POST /v1.0/{project_id}/kms/<op>,
// as the official Huawei Cloud SDK sends it) and, on the same listener, the
// AWS JSON 1.1 API (POST / with X-Amz-Target). Both front ends share one
// typed operation layer, one key store and one recipient path.
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
// # Operations and errors
//
// The Huawei front end serves create-key, describe-key, list-keys,
// get-publickey, derive-shared-secret, create-ec-datakey-pair,
// create-rsa-datakey-pair, encrypt-datakey, decrypt-datakey,
// get-parameters-for-import and import-key-material. It answers errors as
// {"error": {"error_code": .., "error_msg": ..}}, the shape the official SDK
// reads, with these codes (Huawei's own where Huawei publishes one):
//
//	400 KMS.0201  the URL names no operation (also 405 for a method other than POST)
//	400 KMS.0202  the body is not a JSON object of the operation's fields
//	400 KMS.0203  the body is larger than 64 KiB
//	400 KMS.0204  a mandatory field is missing
//	400 KMS.0205  key_id is not a 36-byte key ID
//	400 KMS.0206  sequence is not 36 bytes
//	400 KMS.0209  the key is not enabled (its imported material expired)
//	400 KMS.0308  a field breaks its enum, pattern, length or range, or is not supported
//	400 KMS.0309  import on a key whose origin is not external
//	400 KMS.0310  import on a key that does not wait for key material
//	400 KMS.0311  encrypted_key_material or encrypted_privatekey does not decrypt
//	400 KMS.1101  key_alias breaks its pattern
//	404 KMS.0701  no key has that ID
//	400 KMS.0702  the key's usage or kind does not allow the operation
//	400 KMS.0703  the peer's or the imported key is of another spec
//	400 KMS.0704  public_key is not a valid DER SubjectPublicKeyInfo on its curve
//	400 KMS.0705  plain_text's digest does not match its data key
//	400 KMS.0706  a ciphertext does not decrypt (key, AAD or bytes)
//	400 KMS.0707  import_token is forged, expired or for another key
//	400 KMS.0708  the key still waits for its key material
//	400 KMS.0901  the attestation document is malformed
//	403 KMS.0902  the document's signature, chain, validity, age or PCR policy fails
//	400 KMS.0903  the document carries no RSA-2048/3072/4096 public_key
//	401 APIGW.0301 no valid X-Auth-Token or signature
//	500 KMS.0105  internal error
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
//     copied directory.
//   - Every write is an fsynced bbolt transaction: once a key is
//     acknowledged it survives kill -9.
//
// # What is not checked
//
// This is a development KMS. There are no users, grants, key policies
// beyond the PCR policy, quotas, rotation, deletion or auditing; a valid
// credential may use every key. The recipient envelope is not authenticated
// (CMS with AES-CBC, as AWS sends it): an enclave must only trust it as far
// as it trusts the channel.
package kms
