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
// # Operations
//
// AWS: CreateKey, DescribeKey, ListKeys, GetPublicKey, PutKeyPolicy,
// GetKeyPolicy, ListKeyPolicies, Encrypt, Decrypt, ReEncrypt,
// GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateDataKeyPair,
// GenerateDataKeyPairWithoutPlaintext, GenerateRandom, DeriveSharedSecret,
// Sign and Verify. Huawei: create-key, describe-key, list-keys,
// get-publickey, encrypt-data, decrypt-data, create-datakey,
// create-datakey-without-plaintext, encrypt-datakey, decrypt-datakey,
// create-ec-datakey-pair, create-rsa-datakey-pair, gen-random,
// derive-shared-secret, sign, verify, get-parameters-for-import and
// import-key-material, and the lifecycle operations below. Keys are AES_256 and SM4 (symmetric), RSA_2048/3072/4096
// (ENCRYPT_DECRYPT with RSAES-OAEP SHA-1 or SHA-256, or SIGN_VERIFY with
// RSASSA-PSS and PKCS #1 v1.5), EC_P256/P384/P521 and SECP256K1 (SIGN_VERIFY
// with ECDSA, or KEY_AGREEMENT) and SM2 (SM2 encryption, SM2DSA with the
// distinguishing ID 1234567812345678, or KEY_AGREEMENT); the AWS front end
// allows the combinations AWS allows.
//
// # Key lifecycle
//
// Keys have the states of Huawei's numbering, mapped to AWS's KeyState: 2
// Enabled, 3 Disabled, 4 PendingDeletion, 5 PendingImport. Both front ends
// change them: Huawei enable-key, disable-key, schedule-key-deletion
// (pending_days 7 to 1096), cancel-key-deletion (the key returns to
// disabled) and delete-imported-key-material; AWS EnableKey, DisableKey,
// ScheduleKeyDeletion (PendingWindowInDays 7 to 30), CancelKeyDeletion,
// GetParametersForImport, ImportKeyMaterial (ExpirationModel, ValidTo) and
// DeleteImportedKeyMaterial. A key is deleted when its deletion date
// passes (checked whenever it is read or keys are listed) and is then
// NotFound; imported material past its expiration (Huawei's
// expiration_time, in seconds, or AWS's ValidTo) or deleted returns its
// key to pending import, ready for material again. Every operation answers
// in every state as the references say: a disabled key's material is
// refused with DisabledException (Huawei KMS.0209), a key pending deletion
// or import with KMSInvalidStateException (KMS.0210, KMS.0708). Keys also
// have a description (update-key-description, UpdateKeyDescription), tags
// (Huawei's create-kms-tag, delete-kms-tag, show-kms-tags,
// batch-create-kms-tags and list-kms-tags on their REST paths, GET and
// DELETE included; AWS's TagResource, UntagResource, ListResourceTags; at
// most 50 a key) and aliases: names unique in the KMS (AWS CreateAlias,
// UpdateAlias, DeleteAlias, ListAliases; Huawei create-alias,
// associate-alias, delete-alias, list-aliases). An AWS alias (alias/NAME or
// its ARN) names its key wherever AWS accepts an alias as KeyId: the
// cryptographic operations, DescribeKey and GetPublicKey. Huawei's
// key_alias (create-key, update-key-alias) is a display name, not unique.
// Every lifecycle change is authorized like any operation (kms:EnableKey,
// kms:cmk:enable, ...) and is on disk before it is acknowledged.
//
// # Recipients
//
// A request with a recipient (an attestation document and
// RSAES_OAEP_SHA_256) gets ciphertext_recipient instead of the secret: the
// document is verified with package attestation against its embedded roots
// plus Options.Roots (signature, chain, validity, at most five minutes old,
// an RSA key that can be encrypted to), the call is authorized with the
// document's PCRs as condition values, and only then is the secret computed
// and sealed with package recipient to the RSA key the document carries. A
// document that fails verification is a 4xx error and satisfies no
// condition. Every operation that releases a secret takes a recipient: AWS
// Decrypt (of symmetric and asymmetric ciphertexts), GenerateDataKey,
// GenerateDataKeyPair, GenerateRandom and
// DeriveSharedSecret; Huawei derive-shared-secret, create-ec-datakey-pair,
// create-rsa-datakey-pair, create-datakey, decrypt-datakey, decrypt-data and
// gen-random.
//
// # Policies
//
// Every key has an AWS key policy
// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html),
// parsed by package policy: the one given to CreateKey or PutKeyPolicy
// (GetKeyPolicy gives it back byte for byte), or AWS's default key policy,
// which gives the account every permission. Create-key's
// recipient_attestation is a shorthand for the default policy plus, per
// PCR, a Deny of the secret-releasing actions (kms:Decrypt,
// kms:DeriveSharedSecret, kms:GenerateDataKey, kms:GenerateDataKeyPair and
// kms:ReEncryptFrom) when kms:RecipientAttestation:PCR<n> is not that value.
// ReEncrypt is decided twice, as on AWS: kms:ReEncryptFrom on the source
// key, kms:ReEncryptTo on the destination. It takes no recipient and never
// returns the plaintext, but it moves it under another key: a key policy
// that releases secrets only to an enclave must not allow
// kms:ReEncryptFrom either (the shorthand denies it). The *WithoutPlaintext
// operations and Sign, Verify and Encrypt release no secret.
//
// The key policy decides every operation on the key, on both front ends (a
// Huawei operation is decided with the AWS action that does the same),
// before anything secret is computed; its condition keys
// kms:RecipientAttestation:ImageSha384 and kms:RecipientAttestation:PCR0 to
// PCR31 come only from a verified document, so a request without a
// recipient has none: a policy that allows Decrypt only with a PCR0 denies
// it.
//
// The local KMS has one identity: every authenticated caller, whatever its
// credential and front end, acts as Options.Principal of Options.Account.
// Options.HuaweiPolicies are Huawei IAM identity policies (kms serve
// --policy) for the Huawei front end's callers, decided with the Huawei
// action names (kms:cmk:decryptData and its aliases kms:cmk:crypto and
// kms:cmk:decrypt, ...) and the condition keys
// kms:RecipientAttestation/PCR<n>: with any, a Huawei call needs both the
// key policy and these policies to allow it, and an explicit Deny in any of
// them wins. Operations on no key (CreateKey, ListKeys, GenerateRandom) are
// decided by those IAM policies alone; there are no AWS IAM policies here, so
// the AWS front end's callers may perform them. A denial is
// AccessDeniedException (400) on the AWS front end and 403 KMS.0904 on the
// Huawei one, worded as AWS words it ("User: ARN is not authorized to
// perform: kms:Decrypt on resource: KEY-ARN because no resource-based
// policy allows the kms:Decrypt action").
//
// # Request log
//
// Options.Logger receives one line ("request") per logged request: its ID
// (also the X-Request-Id header of the answer), front end, operation,
// status and duration, and for a failure the error code, the message
// (which names fields, never their content) and, for an internal error,
// its cause. Every failure is logged. Successes are sampled: at most 100 a
// second (of the wall clock, when they started) are logged, which is every
// one while a developer tries the server or a test suite runs at a modest
// pace; under load, where a line's formatting and write were a fifth of a
// cheap request's CPU, the others are counted, and the first request of the
// next second that has any logs "requests not logged" with their count.
// Request IDs are a random prefix drawn at start and a counter: unique
// across restarts, in the order the server took the requests.
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
//   - Every write is a journal entry synced before it is acknowledged:
//     once a key or a change is acknowledged it survives kill -9.
//   - A panic in a handler is answered with a 500 and logged by its type,
//     never its value; the request log carries no secret.
//
// # What is not checked
//
// This is a development KMS. There are no users, grants, quotas,
// rotation or auditing, and no AWS IAM policies: a key policy
// statement whose principal is the account (its root) stands for the
// account's IAM and matches every caller. Key policies see no
// kms:EncryptionContext values (a condition on them sees an absent key). A
// key policy names the account it was written for: a data directory served
// later with another account or principal is held to its policies as
// written. Imported material is taken once per import: AWS's reimport of
// the same material into an enabled key, ImportType EXISTING_KEY_MATERIAL
// and KeyMaterialId are refused, and GetParametersForImport answers only
// for a key pending import; Huawei's list-kms-by-tags
// (resource_instances/action) is not served. The recipient envelope is not authenticated (CMS with AES-CBC, as
// AWS sends it): an enclave must only trust it as far as it trusts the
// channel.
package kms
