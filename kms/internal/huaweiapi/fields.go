package huaweiapi

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"

	"github.com/qtenclave/qtenclave/kms/huawei"
	"github.com/qtenclave/qtenclave/kms/internal/core"
	"github.com/qtenclave/qtenclave/kms/internal/wire"
)

// The field rules of the seed pages. Each handler checks a request field by
// field, in order, and answers the KMS error of the first rule broken; rules
// about keys (state, usage, spec) are the core's, for both front ends.
var (
	aliasPattern    = regexp.MustCompile(`^[a-zA-Z0-9:/_-]{1,255}$`)
	base64Chars     = regexp.MustCompile(`^[0-9a-zA-Z+/=]*$`)
	keyStatePattern = regexp.MustCompile(`^[1-5]$`)
)

// isProjectID reports whether s is a project ID: 32 ASCII letters and
// digits. Every request's path is checked (twice), so not with a regular
// expression.
func isProjectID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

const (
	maxSequenceLen    = 36   // "a 36-byte serial number"
	maxDescriptionLen = 255  // key_description: 0 to 255 characters
	maxAADLen         = 128  // additional_authenticated_data: at most 128 bytes
	maxDataKeyLen     = 1024 // datakey_plain_length: 1 to 1024
	maxListLimit      = 1000 // list-keys limit
	maxPlainTextLen   = 4096 // encrypt-data plain_text: 1 to 4096 bytes
	maxDataCipherLen  = 5648 // decrypt-data cipher_text: at most 5648 base64 characters
	maxRandomBits     = 8192 // gen-random and create-datakey lengths: 8 to 8192 bits
)

// parseBits parses a length in bits: a decimal multiple of 8 in
// 8..maxRandomBits (random_data_length, datakey_length).
func parseBits(field, s string) (int, error) {
	n, err := parseLength(field, s, maxRandomBits)
	if err != nil {
		return 0, err
	}
	if n%8 != 0 {
		return 0, core.Errorf(core.KindInvalidParameter, "%s is not a multiple of 8", field)
	}
	return n, nil
}

// matchBase64Rule checks a rule ^[0-9a-zA-Z+/=]{min,max}$ of the seed pages
// (Go's regexp caps repeat counts at 1000, so the length is checked apart).
func matchBase64Rule(s string, min, max int) bool {
	return len(s) >= min && len(s) <= max && base64Chars.MatchString(s)
}

func checkKeyID(id string) error {
	if id == "" {
		return core.Errorf(core.KindMissingParameter, "key_id is missing")
	}
	if !core.ValidKeyID(id) {
		return core.Errorf(core.KindInvalidKeyID, "key_id is not a 36-byte key ID")
	}
	return nil
}

// checkSequence checks a request's sequence, which the pages describe as "a
// 36-byte serial number of a request message" with no constraint, and send
// as "sequence" (8 bytes) in their own example (create-ec-datakey-pair,
// https://support.huaweicloud.com/intl/en-us/api-dew/CreateEcDatakeyPair.html):
// the rule is a length of at most 36 bytes, and the value is otherwise
// opaque. A longer one is KMS.0206, "Invalid sequence number".
func checkSequence(seq string) error {
	if len(seq) > maxSequenceLen {
		return core.Errorf(core.KindInvalidSequence, "sequence is longer than %d bytes", maxSequenceLen)
	}
	return nil
}

func checkAAD(aad string) error {
	if len(aad) > maxAADLen {
		return core.Errorf(core.KindInvalidParameter, "additional_authenticated_data is longer than %d bytes", maxAADLen)
	}
	return nil
}

// checkPin checks the PIN fields of the data key operations as the pages
// and the official SDK's models define them: pin protects a data key "only
// in the level-4 cryptography testing scenario", which this server does not
// offer, so a pin is refused, naming it; pin_type is CipherText (the
// default) or PlainText, and without a pin it has nothing to describe, so
// either is accepted
// (https://support.huaweicloud.com/intl/en-us/api-dew/CreateDatakey.html).
func checkPin(pin, pinType string) error {
	if pin != "" {
		return core.Errorf(core.KindUnsupported, "pin: PIN protection of data keys (level-4 cryptography testing) is not supported by this server")
	}
	switch pinType {
	case "", "CipherText", "PlainText":
		return nil
	}
	return core.Errorf(core.KindInvalidParameter, "pin_type %.64q is not CipherText or PlainText", pinType)
}

// secretTail checks the fields that the operations releasing a secret end
// with, in their order: additional_authenticated_data, sequence, pin and
// pin_type (of the data key operations; "" for the others), recipient; it
// returns the recipient.
func secretTail(aad, seq, pin, pinType string, r *huawei.Recipient) (*core.Recipient, error) {
	if err := checkAAD(aad); err != nil {
		return nil, err
	}
	if err := checkSequence(seq); err != nil {
		return nil, err
	}
	if err := checkPin(pin, pinType); err != nil {
		return nil, err
	}
	return recipientOf(r)
}

// decodeHex decodes a hex field of either case.
func decodeHex(field, s string) ([]byte, error) {
	if s == "" {
		return nil, core.Errorf(core.KindMissingParameter, "%s is missing", field)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, core.Errorf(core.KindInvalidParameter, "%s is not hex", field)
	}
	return b, nil
}

// parseLength parses a decimal length field in 1..max. Leading zeros and
// signs are refused: the field is compared against the data it describes.
func parseLength(field, s string, max int) (int, error) {
	if s == "" {
		return 0, core.Errorf(core.KindMissingParameter, "%s is missing", field)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max || strconv.Itoa(n) != s {
		return 0, core.Errorf(core.KindInvalidParameter, "%s is not an integer in 1..%d", field, max)
	}
	return n, nil
}

// recipientOf converts a Recipient to the core's form.
func recipientOf(r *huawei.Recipient) (*core.Recipient, error) {
	if r == nil {
		return nil, nil
	}
	return blobRecipientOf(&blobRecipient{AttestationDocument: wire.BlobOf(r.AttestationDocument), KeyEncryptionAlgorithm: r.KeyEncryptionAlgorithm})
}

// blobRecipient is a huawei.Recipient whose document the decoder decoded
// (see deriveRequest).
type blobRecipient struct {
	AttestationDocument    wire.Blob `json:"attestation_document,omitempty"`
	KeyEncryptionAlgorithm string    `json:"key_encryption_algorithm,omitempty"`
}

func blobRecipientOf(r *blobRecipient) (*core.Recipient, error) {
	if r == nil {
		return nil, nil
	}
	const field = "recipient.attestation_document"
	if r.AttestationDocument.Len() > base64.StdEncoding.EncodedLen(core.MaxDocumentLen) {
		return nil, core.Errorf(core.KindInvalidParameter, "%s is longer than %d bytes", field, core.MaxDocumentLen)
	}
	doc, err := r.AttestationDocument.Bytes(field)
	if err != nil {
		return nil, err
	}
	return &core.Recipient{Document: doc, Algorithm: r.KeyEncryptionAlgorithm}, nil
}

// pcrPolicy parses recipient_attestation: "PCR0".."PCR31" -> hex of 32, 48
// or 64 bytes.
func pcrPolicy(m map[string]string) (map[int][]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[int][]byte, len(m))
	for k, v := range m {
		idx, ok := strings.CutPrefix(k, "PCR")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 0 || n > 31 || strconv.Itoa(n) != idx {
			return nil, core.Errorf(core.KindInvalidParameter, "recipient_attestation key %q is not PCR0..PCR31", k)
		}
		b, err := decodeHex("recipient_attestation."+k, v)
		if err != nil {
			return nil, err
		}
		if len(b) != 32 && len(b) != 48 && len(b) != 64 {
			return nil, core.Errorf(core.KindInvalidParameter, "recipient_attestation.%s is not 32, 48 or 64 bytes", k)
		}
		out[n] = b
	}
	return out, nil
}
