package main

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// maxRoots bounds the certificates of one --root file: a root file holds
// one root, or a few in a bundle.
const maxRoots = 64

// readRoots reads a --root file: PEM CERTIFICATE blocks (at least one);
// other PEM blocks and text between blocks are ignored.
func readRoots(name string) ([]*x509.Certificate, error) {
	b, err := readFileBounded(name)
	if err != nil {
		return nil, err
	}
	roots, err := parseRoots(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return roots, nil
}

// parseRoots parses the CERTIFICATE blocks of a PEM file, at least one
// and at most maxRoots.
func parseRoots(b []byte) ([]*x509.Certificate, error) {
	var roots []*x509.Certificate
	for n := 0; ; n++ {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if len(roots) == maxRoots {
			return nil, fmt.Errorf("more than %d certificates", maxRoots)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %v", n+1, err)
		}
		roots = append(roots, c)
	}
	if len(roots) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return roots, nil
}

// parsePEMPublicKey reports whether b is PEM, and if so returns the RSA key
// it holds ("PUBLIC KEY" or "RSA PUBLIC KEY", one block and nothing after
// it) or why it holds none.
func parsePEMPublicKey(b []byte) (*rsa.PublicKey, bool, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN ")) {
		return nil, false, nil
	}
	blk, rest := pem.Decode(b)
	if blk == nil || len(bytes.TrimSpace(rest)) != 0 {
		return nil, true, errors.New("not one PEM block")
	}
	var pub any
	var err error
	switch blk.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(blk.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(blk.Bytes)
	default:
		return nil, true, fmt.Errorf("PEM type %q: want PUBLIC KEY or RSA PUBLIC KEY", blk.Type)
	}
	if err != nil {
		return nil, true, err
	}
	rsaPub, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, true, fmt.Errorf("%T is not an RSA key", pub)
	}
	return rsaPub, true, nil
}

// loadPrivateKey reads a PEM RSA private key, PKCS#8 or PKCS#1. Errors never
// quote the file's contents.
func loadPrivateKey(name string) (crypto.Decrypter, error) {
	b, err := readFileBounded(name)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	return parsePrivateKeyPEM(b)
}

// parsePrivateKeyPEM parses the first PEM block of b as an RSA private key:
// "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1). Errors never quote
// the key.
func parsePrivateKeyPEM(b []byte) (crypto.Decrypter, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	defer clear(blk.Bytes)
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, err // not a nil *rsa.PrivateKey in a non-nil interface
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		rsaKey, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%T is not an RSA key", k)
		}
		return rsaKey, nil
	}
	return nil, fmt.Errorf("PEM type %q: want PRIVATE KEY or RSA PRIVATE KEY", blk.Type)
}
