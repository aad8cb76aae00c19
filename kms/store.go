package kms

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keyRecord is a stored key. It holds no plaintext secret: the key material
// is sealed under the store's master key (see sealer), so a record may be
// copied, logged by mistake or returned to the front ends without harm.
type keyRecord struct {
	ID          string         `json:"id"`
	Alias       string         `json:"alias"`
	Description string         `json:"description,omitempty"`
	Spec        string         `json:"spec"`   // a create-key spec name: AES_256, EC_P256, ...
	Usage       string         `json:"usage"`  // ENCRYPT_DECRYPT, SIGN_VERIFY or KEY_AGREEMENT
	Origin      string         `json:"origin"` // kms or external
	State       int            `json:"state"`  // stateEnabled or statePendingImport
	Created     int64          `json:"created"`
	Public      []byte         `json:"public,omitempty"` // DER SubjectPublicKeyInfo of asymmetric keys
	Sealed      []byte         `json:"sealed,omitempty"` // key material sealed under the master key
	Expires     int64          `json:"expires,omitempty"`
	PCRs        map[int][]byte `json:"pcrs,omitempty"` // recipient attestation policy
}

// Key states, with Huawei's numbering.
const (
	stateEnabled       = 2
	statePendingImport = 5
)

// store keeps key records. Both implementations store the encoded record,
// so that a caller never shares memory with the store.
type store interface {
	create(rec *keyRecord) error
	get(id string) (*keyRecord, error)
	// update applies fn to the record and stores the result atomically.
	update(id string, fn func(*keyRecord) error) error
	list() ([]*keyRecord, error)
	close() error
}

var errNotFound = errors.New("kms: no such key")

func decodeRecord(b []byte) (*keyRecord, error) {
	var rec keyRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("kms: corrupt key record: %w", err)
	}
	return &rec, nil
}

func sortRecords(recs []*keyRecord) {
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Created != recs[j].Created {
			return recs[i].Created < recs[j].Created
		}
		return recs[i].ID < recs[j].ID
	})
}

// memStore keeps records in memory, for a server started without a data
// directory.
type memStore struct {
	mu   sync.RWMutex
	recs map[string][]byte
}

func newMemStore() *memStore { return &memStore{recs: make(map[string][]byte)} }

func (m *memStore) create(rec *keyRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recs[rec.ID]; ok {
		return fmt.Errorf("kms: key %s exists", rec.ID)
	}
	m.recs[rec.ID] = b
	return nil
}

func (m *memStore) get(id string) (*keyRecord, error) {
	m.mu.RLock()
	b, ok := m.recs[id]
	m.mu.RUnlock()
	if !ok {
		return nil, errNotFound
	}
	return decodeRecord(b)
}

func (m *memStore) update(id string, fn func(*keyRecord) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.recs[id]
	if !ok {
		return errNotFound
	}
	rec, err := decodeRecord(b)
	if err != nil {
		return err
	}
	if err := fn(rec); err != nil {
		return err
	}
	if b, err = json.Marshal(rec); err != nil {
		return err
	}
	m.recs[id] = b
	return nil
}

func (m *memStore) list() ([]*keyRecord, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	recs := make([]*keyRecord, 0, len(m.recs))
	for _, b := range m.recs {
		rec, err := decodeRecord(b)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	sortRecords(recs)
	return recs, nil
}

func (m *memStore) close() error { return nil }

// boltStore keeps records in a bbolt file. Every write is a transaction that
// bbolt commits with fsync before it returns, so a key is durable once the
// server acknowledges it, and a kill -9 leaves either the old or the new
// state of the file.
type boltStore struct {
	db *bolt.DB
}

var keysBucket = []byte("keys")

const (
	dbFile        = "keys.db"
	masterKeyFile = "master.key"
	// lockTimeout bounds the wait for another server's lock on the file.
	lockTimeout = 2 * time.Second
)

func openBoltStore(dir string) (*boltStore, error) {
	db, err := bolt.Open(filepath.Join(dir, dbFile), 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, fmt.Errorf("kms: open key store: %w", err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(keysBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("kms: open key store: %w", err)
	}
	return &boltStore{db: db}, nil
}

func (s *boltStore) create(rec *keyRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(keysBucket)
		if bk.Get([]byte(rec.ID)) != nil {
			return fmt.Errorf("kms: key %s exists", rec.ID)
		}
		return bk.Put([]byte(rec.ID), b)
	})
}

func (s *boltStore) get(id string) (*keyRecord, error) {
	var rec *keyRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(keysBucket).Get([]byte(id))
		if b == nil {
			return errNotFound
		}
		var err error
		rec, err = decodeRecord(b) // decodes a copy: b is only valid in the transaction
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func (s *boltStore) update(id string, fn func(*keyRecord) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(keysBucket)
		b := bk.Get([]byte(id))
		if b == nil {
			return errNotFound
		}
		rec, err := decodeRecord(b)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
		nb, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return bk.Put([]byte(id), nb)
	})
}

func (s *boltStore) list() ([]*keyRecord, error) {
	var recs []*keyRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(keysBucket).ForEach(func(_, v []byte) error {
			rec, err := decodeRecord(v)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sortRecords(recs)
	return recs, nil
}

func (s *boltStore) close() error { return s.db.Close() }

// sealer encrypts key material at rest with AES-256-GCM under the store's
// master key. The key ID is bound as additional data, so sealed material
// cannot be moved to another record.
type sealer struct {
	aead cipher.AEAD
}

const masterKeyLen = 32

var sealLabel = []byte("qtenclave kms key material v1\x00")

func newSealer(master []byte) (*sealer, error) {
	if len(master) != masterKeyLen {
		return nil, errors.New("kms: master key has the wrong length")
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(id string, material []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(material)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, material, append(sealLabel[:len(sealLabel):len(sealLabel)], id...))
}

func (s *sealer) open(id string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errors.New("kms: sealed key material is truncated")
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], append(sealLabel[:len(sealLabel):len(sealLabel)], id...))
	if err != nil {
		return nil, errors.New("kms: sealed key material does not open under the master key")
	}
	return pt, nil
}

// loadMasterKey reads dir/master.key, creating it when neither it nor the
// key database exists yet. A database without its master key is an error:
// silently making a new key would make every stored key unusable.
func loadMasterKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, masterKeyFile)
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != masterKeyLen {
			return nil, fmt.Errorf("kms: %s is not a %d-byte master key", path, masterKeyLen)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("kms: read master key: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err == nil {
		return nil, fmt.Errorf("kms: %s is missing but %s exists", masterKeyFile, dbFile)
	}
	key = make([]byte, masterKeyLen)
	rand.Read(key)
	if err := writeFileDurably(path, key); err != nil {
		return nil, fmt.Errorf("kms: write master key: %w", err)
	}
	return key, nil
}

// writeFileDurably writes data to path through a synced temporary file and a
// rename, then syncs the directory, so that a crash leaves the old file or
// the complete new one.
func writeFileDurably(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
