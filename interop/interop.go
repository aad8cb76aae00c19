// Package interop holds no code: its tests run the official cloud SDK
// clients, unmodified apart from the endpoint and credentials, against the
// local KMS of github.com/qtenclave/qtenclave/kms started in-process on the
// loopback interface:
//
//   - github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2 (the
//     Huawei REST front end, AK/SK signatures);
//   - github.com/aws/aws-sdk-go-v2/service/kms (the AWS JSON 1.1 front end,
//     SigV4 signatures).
//
// It is a module of its own so that users of the library never download
// these SDKs. Recipient cases use attestationtest documents, which the
// server trusts through kms.Options.Roots, and open the results with the
// recipient package.
package interop
