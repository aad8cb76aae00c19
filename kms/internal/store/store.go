// Package store keeps the local KMS's key records: all of them decoded in
// memory for reads and, with a data directory, each write first committed to
// a journal, checkpointed to a bbolt file (journal.go). The key material of
// a record is sealed under the store's master key, so a record holds no
// plaintext secret.
//
// For most uses, Open a store, then Create, Get, Update, Delete and List
// records, or Change several in one transaction (lifecycle.go); Seal and
// Unseal protect key material (or anything else bound to a label) under
// the master key; OpenKey gives a record's key material parsed, from a
// cache beside the records (keycache.go).
//
// Writes (Create, Update, Change, Delete) are group-committed without a
// timer (commit.go): a writer alone commits at once, writers that come
// during a commit share the next one.
//
// # Security limits
//
//   - Key material is sealed with AES-256-GCM under a per-store master key
//     (DataDir/master.key, mode 0600), bound to the key ID. The master key
//     sits beside the database: this protects a copied database, not a
//     copied directory.
//   - A check value sealed under the master key, written when the store is
//     created, makes Open refuse a master key that is not the store's
//     (ErrWrongMasterKey). LoosePermissions reports a master key or data
//     directory that other users may read or write; Open does not refuse
//     one.
//   - Every write is a journal entry, fdatasynced before it is
//     acknowledged: once Create, Update, Change or Delete returned nil the
//     write survives kill -9. Open refuses a journal whose acknowledged
//     entries do not decode, rather than drop them.
//   - Parsed key material lives in memory only, at most maxCachedKeys keys,
//     behind function values that fmt does not follow; a key is dropped as
//     soon as its record changes and destroyed (Parsed.Destroy) when its
//     last user is done.
//   - Records are decoded strictly and within bounds (64 KiB, PCR0 to
//     PCR31): a record with a field this version does not know is refused,
//     so that a store written by a newer version does not open with its
//     rules silently dropped.
package store

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Record is a stored key. It holds no plaintext secret: the key material
// is sealed under the store's master key (see Store.Seal), so a record may be
// copied or logged by mistake without harm. Records are stored as JSON.
type Record struct {
	ID          string         `json:"id"`
	Alias       string         `json:"alias"`
	Description string         `json:"description,omitempty"`
	Spec        string         `json:"spec"`   // a create-key spec name: AES_256, EC_P256, ...
	Usage       string         `json:"usage"`  // ENCRYPT_DECRYPT, SIGN_VERIFY or KEY_AGREEMENT
	Origin      string         `json:"origin"` // kms or external
	State       int            `json:"state"`  // Huawei's numbering: 2 enabled, 5 pending import
	Created     int64          `json:"created"`
	Public      []byte         `json:"public,omitempty"` // DER SubjectPublicKeyInfo of asymmetric keys
	Sealed      []byte         `json:"sealed,omitempty"` // key material sealed under the master key
	Expires     int64          `json:"expires,omitempty"`
	PCRs        map[int][]byte `json:"pcrs,omitempty"` // recipient attestation policy
	// Policy is the key's AWS key policy exactly as it was given (or as
	// the core wrote it), for GetKeyPolicy; "" in records written before
	// key policies existed, whose PCRs the core turns into the equivalent
	// key policy. Records with a Policy leave PCRs empty.
	Policy string `json:"policy,omitempty"`

	// The key's lifecycle (see lifecycle.go): the aliases that name it,
	// its tags, and, in state 4 (pending deletion), when it is deleted
	// (milliseconds since the epoch) and the waiting period it was
	// scheduled with.
	Aliases      []Alias           `json:"aliases,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	DeletionDate int64             `json:"deletion_date,omitempty"`
	PendingDays  int               `json:"pending_days,omitempty"`
}

// Store keeps key records: all of them decoded in memory for reads, and,
// with a data directory, each write first committed to the journal.
//
// A commit's journal entry is synced before the write returns, so a key is
// on disk before the server acknowledges it, and a kill -9 loses no
// acknowledged write. Only this process writes the files (bbolt holds an
// exclusive lock on keys.db), so the memory copy stays exact.
type Store struct {
	db      *bolt.DB // nil: memory only
	journal *journal // nil: memory only
	jmu     sync.Mutex
	commit  committer
	mu      sync.RWMutex
	recs    map[string]*Record // never modified in place: replaced
	aliases map[string]string  // alias name -> key ID, of recs
	sealer  *sealer
	keys    keyCache // parsed key material, beside the records
}

// ErrNotFound is the error of Get and Update for an ID that no record has.
var ErrNotFound = errors.New("kms: no such key")

// ErrWrongMasterKey is the error of Open when the master key is not the one
// the store was sealed under: it does not open the store's check value or,
// in a store made before there was one, any of its sealed records. Without
// this check every use of a key would fail instead.
var ErrWrongMasterKey = errors.New("kms: the master key does not open this key store")

var (
	keysBucket = []byte("keys")
	// metaBucket holds what is not a key record: the check value.
	metaBucket = []byte("meta")
	checkKey   = []byte("master-key-check")
)

// The check value is checkPlaintext sealed under the master key with the
// label checkLabel, written when the store is created. No key ID or import
// token header is checkLabel, and the plaintext is public, so it opens
// nothing else and reveals nothing.
const checkLabel = "qtenclave kms master key check"

var checkPlaintext = []byte("qtenclave kms master key check v1")

const (
	dbFile        = "keys.db"
	masterKeyFile = "master.key"
	// lockTimeout bounds the wait for another server's lock on the file.
	lockTimeout = 2 * time.Second
)

// Open opens the store in dir, creating the directory, its database
// (keys.db) and its master key (master.key) if need be. With dir "", the
// store lives in memory under a random master key and dies with the process.
// Close the store to release the database.
//
// A master key that is not the store's is refused with ErrWrongMasterKey.
// Open does not check file modes: see LoosePermissions.
func Open(dir string) (*Store, error) {
	if dir == "" {
		master := make([]byte, masterKeyLen)
		rand.Read(master)
		sl, err := newSealer(master)
		clear(master)
		if err != nil {
			return nil, err
		}
		return &Store{recs: make(map[string]*Record), aliases: make(map[string]string), sealer: sl}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kms: data directory: %w", err)
	}
	master, err := loadMasterKey(dir)
	if err != nil {
		return nil, err
	}
	sl, err := newSealer(master)
	clear(master)
	if err != nil {
		return nil, err
	}
	return openBolt(dir, sl)
}

// openBolt opens (or creates) dir/keys.db, loads every record and checks
// that the master key is the store's.
func openBolt(dir string, sl *sealer) (*Store, error) {
	path := filepath.Join(dir, dbFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, fmt.Errorf("kms: open key store: %w", err)
	}
	s := &Store{db: db, recs: make(map[string]*Record), aliases: make(map[string]string), sealer: sl}
	err = db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(keysBucket)
		if err != nil {
			return err
		}
		err = bk.ForEach(func(k, v []byte) error {
			rec, err := decodeRecord(v)
			if err != nil {
				return err
			}
			if rec.ID != string(k) {
				return fmt.Errorf("kms: key record %q is stored under %q", rec.ID, k)
			}
			s.recs[rec.ID] = rec
			s.index(nil, rec)
			return nil
		})
		if err != nil {
			return err
		}
		return s.checkMasterKey(tx)
	})
	if err == nil {
		err = s.openJournal(dir)
	}
	if err != nil {
		if s.journal != nil {
			s.journal.f.Close()
		}
		db.Close()
		if errors.Is(err, ErrWrongMasterKey) {
			return nil, fmt.Errorf("%w: %s is not the key %s was sealed under",
				ErrWrongMasterKey, filepath.Join(dir, masterKeyFile), path)
		}
		return nil, fmt.Errorf("kms: open key store: %w", err)
	}
	return s, nil
}

// checkMasterKey opens the check value with the master key, or, in a store
// that has none yet (a new one, or one made before check values), checks the
// key against the sealed records and writes the check value. A store without
// a sealed record has nothing to check a key against: its key is the one
// that writes the check value.
func (s *Store) checkMasterKey(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	if v := meta.Get(checkKey); v != nil {
		pt, err := s.sealer.open(checkLabel, v)
		if err != nil || !bytes.Equal(pt, checkPlaintext) {
			return ErrWrongMasterKey
		}
		return nil
	}
	sealed, opened := false, false
	for _, rec := range s.recs {
		if len(rec.Sealed) == 0 {
			continue
		}
		sealed = true
		if pt, err := s.sealer.open(rec.ID, rec.Sealed); err == nil {
			clear(pt)
			opened = true
			break
		}
	}
	if sealed && !opened {
		return ErrWrongMasterKey
	}
	return meta.Put(checkKey, s.sealer.seal(checkLabel, checkPlaintext))
}

// Limits of a stored record. The largest real record, an RSA-4096 key with
// a 32 KiB key policy, 50 tags and 100 aliases, is under 128 KiB.
const (
	maxRecordLen = 256 << 10
	maxPCRIndex  = 31 // PCR0 to PCR31, as attestation documents carry them
	maxPCRLen    = 64 // SHA-512
)

// errCorruptRecord is the error of a record that does not decode. It names
// what is wrong, never the record's content.
var errCorruptRecord = errors.New("kms: corrupt key record")

// decodeRecord decodes a stored record strictly: one JSON object of
// Record's fields (a field this version does not know is refused, not
// dropped: it may hold a rule, such as an attestation policy, that would
// otherwise be silently lost), with an ID and PCR indices and values in
// bounds. On error the record is nil.
func decodeRecord(b []byte) (*Record, error) {
	if len(b) > maxRecordLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", errCorruptRecord, maxRecordLen)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var rec Record
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object of a record's fields", errCorruptRecord)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", errCorruptRecord)
	}
	if rec.ID == "" {
		return nil, fmt.Errorf("%w: no ID", errCorruptRecord)
	}
	for i, v := range rec.PCRs {
		if i < 0 || i > maxPCRIndex || len(v) == 0 || len(v) > maxPCRLen {
			return nil, fmt.Errorf("%w: PCR %d of %d bytes", errCorruptRecord, i, len(v))
		}
	}
	return &rec, nil
}

// Create stores a new record, on disk first. It returns once the record is
// committed; writers that come while a commit is under way share the next
// one (see commit.go), a writer alone does not wait. A record with an
// alias that another keeps is refused with ErrAliasExists.
func (s *Store) Create(rec *Record) error {
	return s.do(func(tx *Tx) error {
		if tx.Get(rec.ID) != nil {
			return fmt.Errorf("kms: key %s exists", rec.ID)
		}
		tx.create(rec)
		return nil
	})
}

// Get returns a record, or ErrNotFound. Callers must not modify it.
func (s *Store) Get(id string) (*Record, error) {
	s.mu.RLock()
	rec, ok := s.recs[id]
	s.mu.RUnlock()
	if !ok {
		return nil, ErrNotFound
	}
	return rec, nil
}

// Update applies fn to a copy of the record and stores the result, on disk
// first; fn's error aborts the update and is returned as is. fn sees every
// update acknowledged before (and those committed with it, in their
// order), and may run on another writer's goroutine; a panic in fn is
// raised again in the caller's. A record that would take an alias that
// another keeps is refused with ErrAliasExists.
func (s *Store) Update(id string, fn func(*Record) error) error {
	return s.do(func(tx *Tx) error {
		rec := tx.Get(id)
		if rec == nil {
			return ErrNotFound
		}
		if err := fn(rec); err != nil {
			return err
		}
		tx.Put(rec)
		return nil
	})
}

// List returns every record, oldest first. Callers must not modify them.
func (s *Store) List() ([]*Record, error) {
	s.mu.RLock()
	recs := make([]*Record, 0, len(s.recs))
	for _, rec := range s.recs {
		recs = append(recs, rec)
	}
	s.mu.RUnlock()
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Created != recs[j].Created {
			return recs[i].Created < recs[j].Created
		}
		return recs[i].ID < recs[j].ID
	})
	return recs, nil
}

// Close drops the parsed keys, checkpoints the journal and releases the
// files. Writes after Close fail.
func (s *Store) Close() error {
	s.keys.dropAll()
	if s.db == nil {
		return nil
	}
	s.jmu.Lock()
	defer s.jmu.Unlock()
	j := s.journal
	if j.err == errClosed {
		return nil
	}
	var err error
	if j.err == nil && j.size > 0 {
		err = s.checkpoint()
	}
	j.err = errClosed
	return errors.Join(err, j.f.Close(), s.db.Close())
}

// errClosed is the error of a write to a closed store.
var errClosed = errors.New("kms: key store is closed")

// Seal encrypts material under the master key, bound to label (a key ID, or
// anything else that names what the material belongs to).
func (s *Store) Seal(label string, material []byte) []byte { return s.sealer.seal(label, material) }

// Unseal opens what Seal made for the same label.
func (s *Store) Unseal(label string, sealed []byte) ([]byte, error) {
	return s.sealer.open(label, sealed)
}

// sealer encrypts key material at rest with AES-256-GCM under the store's
// master key. The key ID is bound as additional data, so sealed material
// cannot be moved to another record.
//
// The cipher, whose key schedule holds the master key, is behind a pointer
// to the interface: fmt prints a pointer that it meets with a verb for other
// kinds (%s, %q, ...) by printing what it points to, one level deep, and
// prints the pointer to the interface as an address.
type sealer struct {
	aead *cipher.AEAD
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
	return &sealer{aead: &aead}, nil
}

func (s *sealer) seal(id string, material []byte) []byte {
	aead := *s.aead
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(material)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, material, append(sealLabel[:len(sealLabel):len(sealLabel)], id...))
}

func (s *sealer) open(id string, sealed []byte) ([]byte, error) {
	aead := *s.aead
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, errors.New("kms: sealed key material is truncated")
	}
	pt, err := aead.Open(nil, sealed[:n], sealed[n:], append(sealLabel[:len(sealLabel):len(sealLabel)], id...))
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
	return syncDir(dir)
}

// LoosePermissions returns a warning for each file of the store in dir that
// other users may read or change: the data directory or master key readable
// or writable by group or others, or the database writable by them. Open
// makes them 0700 and 0600; a looser mode comes from a hand-made directory,
// a copy, or a chmod. The database holds no plaintext secret, so reading it
// is harmless; changing it is not (a record's attestation policy is not
// sealed). The warnings name paths and modes, nothing else. Nothing is
// reported for files that do not exist or on systems without Unix modes.
func LoosePermissions(dir string) []string {
	if dir == "" || runtime.GOOS == "windows" {
		return nil
	}
	var warnings []string
	for _, c := range []struct {
		path, what, risk string
		mask, want       fs.FileMode
	}{
		{dir, "data directory", "list or change its files", 0o066, 0o700},
		{filepath.Join(dir, masterKeyFile), "master key", "read or replace it", 0o066, 0o600},
		{filepath.Join(dir, dbFile), "key database", "change its records", 0o022, 0o600},
		{filepath.Join(dir, journalFile), "key journal", "change its records", 0o022, 0o600},
	} {
		info, err := os.Stat(c.path)
		if err != nil {
			continue
		}
		if mode := info.Mode().Perm(); mode&c.mask != 0 {
			warnings = append(warnings, fmt.Sprintf("kms: %s %s is mode %04o: group or others may %s (chmod %o)",
				c.what, c.path, mode, c.risk, c.want))
		}
	}
	return warnings
}
