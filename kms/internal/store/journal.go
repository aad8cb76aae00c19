package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The journal: how a write reaches the disk.
//
// A commit appends one entry to DataDir/journal and fdatasyncs it: that is
// the moment a write is durable, one sync per commit. keys.db (bbolt) is a
// checkpoint: when the journal passes checkpointBytes, the records changed
// since the last checkpoint are written to keys.db in one synced bbolt
// transaction, together with the sequence number of the last entry they
// include, and the journal is emptied. Open replays the entries after that
// number over keys.db, checkpoints them and empties the journal, so a
// closed store is keys.db alone. bbolt syncs twice per transaction (its
// pages, then its meta page); the journal makes that the cost of a
// checkpoint, not of every write.
//
// An entry is a header of 16 bytes (little-endian: the payload's length,
// the CRC-32C of the sequence number and payload, the sequence number)
// and its payload, the batch's changes: for each record deleted 'D', the
// ID's length (4 bytes) and the ID; for each record put 'P', the length and
// the record as keys.db stores it. Sequence numbers follow each other.
//
// The journal's space is allocated ahead of its entries, allocChunk at a
// time (fallocate(2) on Linux; elsewhere, or where the file system cannot,
// entries are appended): a sync of an entry written into allocated space
// changes no file length, and takes about two thirds of the time of an
// append's (measured on ext4: 0.22-0.26 ms against 0.32-0.46 ms).
// Allocated space reads as zeros, which end the entries.
//
// A crash can leave the entry being written torn: cut short, or with a
// CRC that fails and nothing but zeros after it. That entry was never
// acknowledged (its sync had not returned), so Open drops it. Anything
// else that fails to decode is corruption of acknowledged writes, and Open
// refuses the store (errCorruptJournal) rather than lose them silently; a
// user who accepts the loss moves DataDir/journal away, and the store opens
// as of its last checkpoint.
//
// A failed append or sync leaves the journal's end unknown (the entry may
// or may not be on disk; the page cache may have dropped it): the store
// takes no more writes (each fails with the error) until it is opened
// again, and Open decides from what is on disk. A failed checkpoint is
// tried again at the next commit; the journal keeps every write meanwhile.

const (
	journalFile    = "journal"
	entryHeaderLen = 16
	// maxEntryLen bounds an entry's payload: a batch of maxBatch writes,
	// each of a few records of at most maxRecordLen.
	maxEntryLen = 1 << 30
	opPut       = 'P'
	opDelete    = 'D'
)

// checkpointBytes is the journal's size past which a commit checkpoints;
// a variable for tests. A checkpoint rewrites the B+tree pages its records
// land on, which for random key IDs is most of keys.db: the larger the
// journal, the fewer times keys.db is rewritten.
var checkpointBytes int64 = 32 << 20

// allocChunk is the journal's allocation step.
const allocChunk = 4 << 20

var (
	// journalSeqKey, in the meta bucket, holds the sequence number of the
	// last journal entry that keys.db includes (8 bytes, big-endian).
	journalSeqKey = []byte("journal-seq")
	castagnoli    = crc32.MakeTable(crc32.Castagnoli)
)

// errCorruptJournal is the error of Open for a journal whose acknowledged
// entries do not decode. It names what is wrong, never the content.
var errCorruptJournal = errors.New("kms: corrupt key journal")

// journal is the open journal file of a store. Only the leader of a commit
// (or Close) uses it.
type journal struct {
	f     *os.File
	size  int64           // bytes of entries in the file
	alloc int64           // the file's length, allocated ahead; -1: appends only
	seq   uint64          // of the last entry written or checkpointed
	dirty map[string]bool // IDs changed since the last checkpoint
	err   error           // of a failed append: the store takes no more writes
	buf   []byte          // the entry being encoded, reused
}

// fail records err, after which the journal's end is unknown: the store
// takes no more writes.
func (j *journal) fail(err error) error {
	j.err = fmt.Errorf("kms: key journal: %w (no more writes until the store is opened again)", err)
	return j.err
}

// entry is a decoded journal entry.
type entry struct {
	seq  uint64
	puts []*Record
	dels []string
}

// encodeEntry appends the entry of seq, with the records put and the IDs
// deleted, to b. Records are encoded as keys.db stores them.
func encodeEntry(b []byte, seq uint64, puts []*Record, dels []string) ([]byte, error) {
	start := len(b)
	b = append(b, make([]byte, entryHeaderLen)...)
	op := func(kind byte, v []byte) {
		b = append(b, kind)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	for _, id := range dels {
		op(opDelete, []byte(id))
	}
	for _, rec := range puts {
		v, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		op(opPut, v)
	}
	n := len(b) - start - entryHeaderLen
	if n > maxEntryLen {
		return nil, fmt.Errorf("kms: key journal: a commit of %d bytes is over the limit", n)
	}
	h := b[start : start+entryHeaderLen]
	binary.LittleEndian.PutUint32(h, uint32(n))
	binary.LittleEndian.PutUint64(h[8:], seq)
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(b[start+8:], castagnoli))
	return b, nil
}

// parseJournal decodes the entries of a journal, dropping a torn last one
// (see above) and those that the checkpoint, up to sequence number after,
// includes. On error the entries are nil.
func parseJournal(b []byte, after uint64) ([]entry, error) {
	var entries []entry
	prev := uint64(0)
	for off := 0; off < len(b); {
		rest := b[off:]
		if len(rest) < entryHeaderLen {
			break // a header cut short: torn
		}
		n := binary.LittleEndian.Uint32(rest)
		if n > maxEntryLen || int64(n) > int64(len(rest)-entryHeaderLen) {
			break // runs past the end: torn
		}
		end := entryHeaderLen + int(n)
		seq := binary.LittleEndian.Uint64(rest[8:])
		if crc32.Checksum(rest[8:end], castagnoli) != binary.LittleEndian.Uint32(rest[4:]) {
			if allZero(rest[end:]) {
				break // torn
			}
			return nil, fmt.Errorf("%w: entry at byte %d fails its checksum", errCorruptJournal, off)
		}
		switch {
		case off == 0 && seq > after+1:
			return nil, fmt.Errorf("%w: entries %d to %d are missing", errCorruptJournal, after+1, seq-1)
		case off > 0 && seq != prev+1:
			return nil, fmt.Errorf("%w: entry %d follows entry %d", errCorruptJournal, seq, prev)
		}
		prev = seq
		e, err := parseEntry(rest[entryHeaderLen:end])
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", errCorruptJournal, seq, err)
		}
		if seq > after {
			e.seq = seq
			entries = append(entries, e)
		}
		off += end
	}
	return entries, nil
}

// parseEntry decodes an entry's payload: at least one change, each ID once.
func parseEntry(p []byte) (entry, error) {
	var e entry
	seen := map[string]bool{}
	for len(p) > 0 {
		if len(p) < 5 {
			return entry{}, errors.New("a change cut short")
		}
		kind, n := p[0], binary.LittleEndian.Uint32(p[1:])
		if int64(n) > int64(len(p)-5) || n > maxRecordLen {
			return entry{}, errors.New("a change longer than its entry")
		}
		v := p[5 : 5+n]
		p = p[5+n:]
		var id string
		switch kind {
		case opDelete:
			if n == 0 {
				return entry{}, errors.New("a deletion without an ID")
			}
			id = string(v)
			e.dels = append(e.dels, id)
		case opPut:
			rec, err := decodeRecord(v)
			if err != nil {
				return entry{}, err
			}
			id = rec.ID
			e.puts = append(e.puts, rec)
		default:
			return entry{}, fmt.Errorf("a change of kind %#x", kind)
		}
		if seen[id] {
			return entry{}, errors.New("a key changed twice")
		}
		seen[id] = true
	}
	if len(seen) == 0 {
		return entry{}, errors.New("no change")
	}
	return e, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// openJournal opens dir/journal (creating it), replays its entries after
// the checkpoint into s.recs and rebuilds the alias index. Replayed
// changes are checkpointed and the journal emptied before Open returns.
func (s *Store) openJournal(dir string) error {
	path := filepath.Join(dir, journalFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("kms: key journal: %w", err)
	}
	j := &journal{f: f, dirty: map[string]bool{}}
	s.journal = j
	if err := syncDir(dir); err != nil { // the file's name is durable
		return fmt.Errorf("kms: key journal: %w", err)
	}
	var after uint64
	err = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(metaBucket).Get(journalSeqKey); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("%w: a checkpoint number of %d bytes", errCorruptJournal, len(v))
			}
			after = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b, err := io.ReadAll(f) // writes go by offset: f's own is not used
	if err != nil {
		return fmt.Errorf("kms: key journal: %w", err)
	}
	entries, err := parseJournal(b, after)
	if err != nil {
		return err
	}
	j.seq, j.alloc = after, int64(len(b))
	for _, e := range entries {
		for _, id := range e.dels {
			delete(s.recs, id)
			j.dirty[id] = true
		}
		for _, rec := range e.puts {
			s.recs[rec.ID] = rec
			j.dirty[rec.ID] = true
		}
		j.seq = e.seq
	}
	clear(s.aliases)
	for _, rec := range s.recs {
		s.index(nil, rec)
	}
	if allZero(b) {
		return nil // nothing written since the last checkpoint
	}
	return s.checkpoint()
}

// appendEntry writes the entry of a batch to the journal and syncs it.
func (s *Store) appendEntry(puts map[string]*Record, dels map[string]bool) error {
	j := s.journal
	if j.err != nil {
		return j.err
	}
	recs := make([]*Record, 0, len(puts))
	for _, id := range slices.Sorted(maps.Keys(puts)) {
		recs = append(recs, puts[id])
	}
	b, err := encodeEntry(j.buf[:0], j.seq+1, recs, slices.Sorted(maps.Keys(dels)))
	if err != nil {
		return err // nothing was written
	}
	if cap(b) <= 1<<20 {
		j.buf = b // records hold no plaintext secret: nothing to clear
	}
	if end := j.size + int64(len(b)); j.alloc >= 0 && end > j.alloc {
		n := (end - j.alloc + allocChunk - 1) / allocChunk * allocChunk
		if allocate(j.f, j.alloc, n) == nil {
			j.alloc += n
		} else {
			j.alloc = -1 // appends from now on
		}
	}
	if _, err = j.f.WriteAt(b, j.size); err == nil {
		err = datasync(j.f)
	}
	if err != nil {
		return j.fail(err)
	}
	j.size += int64(len(b))
	j.seq++
	for id := range puts {
		j.dirty[id] = true
	}
	for id := range dels {
		j.dirty[id] = true
	}
	return nil
}

// checkpoint writes the records changed since the last checkpoint to
// keys.db, with the sequence number of the last entry, in one synced bbolt
// transaction, then empties the journal. The records in memory are those
// of the last entry: only the leader (or Open, or Close) changes them.
func (s *Store) checkpoint() error {
	j := s.journal
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(keysBucket)
		// In key order: bbolt splits a node only when it commits, and
		// an insertion into a node moves the keys after it, so keys in
		// random order cost the square of their number.
		for _, id := range slices.Sorted(maps.Keys(j.dirty)) {
			rec := s.recs[id]
			if rec == nil {
				if err := bk.Delete([]byte(id)); err != nil {
					return err
				}
				continue
			}
			v, err := json.Marshal(rec)
			if err != nil {
				return err
			}
			if err := bk.Put([]byte(id), v); err != nil {
				return err
			}
		}
		return tx.Bucket(metaBucket).Put(journalSeqKey, binary.BigEndian.AppendUint64(nil, j.seq))
	})
	if err != nil {
		return fmt.Errorf("kms: key store checkpoint: %w", err)
	}
	clear(j.dirty)
	// The entries are in keys.db now: a crash before the truncation is
	// synced leaves them in the journal, where Open skips them by number.
	// A failure leaves the journal's length unknown: no more writes.
	// Truncating first drops the old entries: allocated space reads as
	// zeros.
	err = j.f.Truncate(0)
	if err == nil {
		err = datasync(j.f)
	}
	if err != nil {
		return j.fail(err)
	}
	j.size = 0
	if j.alloc >= 0 {
		j.alloc = 0
	}
	return nil
}

// syncDir syncs a directory, so that the names created in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
