package store

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// records returns the records of s by ID.
func records(t testing.TB, s *Store) map[string]*Record {
	t.Helper()
	recs, err := s.List()
	require.NoError(t, err)
	m := map[string]*Record{}
	for _, r := range recs {
		m[r.ID] = r
	}
	return m
}

// crashCopy copies the files of the open store in dir to a new directory,
// as a kill -9 would leave them: every acknowledged write is synced, so
// the files hold what the disk holds.
func crashCopy(t testing.TB, dir string) string {
	t.Helper()
	to := t.TempDir()
	for _, name := range []string{masterKeyFile, dbFile, journalFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(to, name), b, 0o600))
	}
	return to
}

// writeSome makes n writes of each kind to s: creates (with an alias),
// updates, lifecycle changes and deletions.
func writeSome(t testing.TB, s *Store, prefix string, n int) {
	t.Helper()
	for i := range n {
		id := fmt.Sprintf("%s-%d", prefix, i)
		require.NoError(t, s.Create(&Record{ID: id, Spec: "AES_256", State: 2, Sealed: s.Seal(id, make([]byte, 32)),
			Aliases: []Alias{{Name: "alias/" + id, Created: int64(i)}}}))
		require.NoError(t, s.Update(id, func(r *Record) error { r.Description = "updated " + id; return nil }))
		if i%3 == 1 {
			require.NoError(t, s.Change(func(tx *Tx) error {
				r := tx.Get(id)
				r.State, r.Tags = 4, map[string]string{"k": id}
				tx.Put(r)
				return nil
			}))
		}
		if i%3 == 2 {
			require.NoError(t, s.Delete(id))
		}
	}
}

// TestJournalReplay: a store killed without Close opens with every
// acknowledged write, from the journal, although keys.db has none of
// them; the alias index is rebuilt; Open checkpoints and empties the
// journal.
func TestJournalReplay(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	defer s.Close()
	writeSome(t, s, "k", 30)
	material := []byte("0123456789abcdef0123456789abcdef") // recognizable
	require.NoError(t, s.Create(&Record{ID: "m", Sealed: s.Seal("m", material)}))
	want := records(t, s)
	require.Len(t, want, 21)

	crashed := crashCopy(t, dir)
	journal, err := os.ReadFile(filepath.Join(crashed, journalFile))
	require.NoError(t, err)
	require.False(t, allZero(journal), "the writes are in the journal")
	require.False(t, bytes.Contains(journal, material), "key material in plaintext")
	require.False(t, bytes.Contains(journal, []byte(base64.StdEncoding.EncodeToString(material))))

	s2, err := Open(crashed)
	require.NoError(t, err)
	require.Equal(t, want, records(t, s2))
	require.Equal(t, "k-3", s2.AliasOwner("alias/k-3"))
	require.Empty(t, s2.AliasOwner("alias/k-2"), "deleted with its key")
	info, err := os.Stat(filepath.Join(crashed, journalFile))
	require.NoError(t, err)
	require.Zero(t, info.Size(), "checkpointed at Open")
	writeSome(t, s2, "after", 3) // the sequence goes on after a replay
	want = records(t, s2)
	require.NoError(t, s2.Close())

	s3, err := Open(crashed)
	require.NoError(t, err)
	defer s3.Close()
	require.Equal(t, want, records(t, s3))
}

// TestJournalCheckpoint: past checkpointBytes a commit checkpoints to
// keys.db and empties the journal; a crash after a checkpoint's bbolt
// transaction but before the journal is emptied replays nothing twice.
func TestJournalCheckpoint(t *testing.T) {
	defer func(n int64) { checkpointBytes = n }(checkpointBytes)
	checkpointBytes = 2 << 10
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	defer s.Close()
	checkpoints := 0
	for i := range 40 {
		size := s.journal.size
		writeSome(t, s, "c"+strconv.Itoa(i), 1)
		if s.journal.size < size {
			checkpoints++
		}
		require.Less(t, s.journal.size, checkpointBytes+1024)
	}
	require.Greater(t, checkpoints, 3)
	want := records(t, s)
	crashed := crashCopy(t, dir)
	s2, err := Open(crashed)
	require.NoError(t, err)
	require.Equal(t, want, records(t, s2))
	require.NoError(t, s2.Close())

	// The state of a crash just after a checkpoint's bbolt commit: keys.db
	// with the journal's entries, the journal not yet emptied. Open skips
	// them by number.
	checkpointBytes = 1 << 30
	writeSome(t, s, "d", 6)
	journal, err := os.ReadFile(filepath.Join(dir, journalFile))
	require.NoError(t, err)
	s.jmu.Lock()
	require.NoError(t, s.checkpoint())
	s.jmu.Unlock()
	want = records(t, s)
	crashed = crashCopy(t, dir)
	require.NoError(t, os.WriteFile(filepath.Join(crashed, journalFile), journal, 0o600))
	entries, err := parseJournal(journal, s.journal.seq)
	require.NoError(t, err)
	require.Empty(t, entries)
	s3, err := Open(crashed)
	require.NoError(t, err)
	defer s3.Close()
	require.Equal(t, want, records(t, s3))
	require.Equal(t, s.journal.seq, s3.journal.seq)
}

// journalWithEntries returns a store directory whose journal holds n
// entries (one write each), and the records after each: states[i] after
// i entries.
func journalWithEntries(t testing.TB, n int) (dir string, ends []int, states []map[string]*Record) {
	t.Helper()
	dir = t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	defer s.Close()
	states = append(states, records(t, s))
	ends = append(ends, 0)
	for i := range n {
		id := strconv.Itoa(i % 3)
		if s.AliasOwner("x") == "" && i%3 == 0 {
			require.NoError(t, s.Create(&Record{ID: id + "-" + strconv.Itoa(i), Aliases: []Alias{{Name: "x"}}}))
		} else {
			require.NoError(t, s.Create(&Record{ID: id + "-" + strconv.Itoa(i), Description: strings.Repeat("d", i)}))
		}
		states = append(states, records(t, s))
		ends = append(ends, int(s.journal.size))
	}
	return crashCopy(t, dir), ends, states
}

// TestJournalTornTail: a crash in the middle of writing the last entry
// (cut anywhere, or its bytes zeroed or garbled with nothing but zeros
// after them) opens as the store before it: that entry was not
// acknowledged.
func TestJournalTornTail(t *testing.T) {
	dir, ends, states := journalWithEntries(t, 4)
	full, err := os.ReadFile(filepath.Join(dir, journalFile))
	require.NoError(t, err)
	require.True(t, allZero(full[ends[len(ends)-1]:]), "allocated space is zeros")
	full = full[:ends[len(ends)-1]]
	last := ends[len(ends)-2]
	try := func(journal []byte, want map[string]*Record) {
		t.Helper()
		d := t.TempDir()
		for _, name := range []string{masterKeyFile, dbFile} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(d, name), b, 0o600))
		}
		require.NoError(t, os.WriteFile(filepath.Join(d, journalFile), journal, 0o600))
		s, err := Open(d)
		require.NoError(t, err, "journal of %d bytes", len(journal))
		require.Equal(t, want, records(t, s))
		require.NoError(t, s.Close())
	}
	for cut := last; cut < len(full); cut++ {
		try(full[:cut], states[len(states)-2])
	}
	try(full, states[len(states)-1])
	zeroed := append(full[:last:last], make([]byte, len(full)-last+100)...)
	try(zeroed, states[len(states)-2])
	garbled := append([]byte(nil), full...)
	garbled[len(garbled)-1] ^= 1
	try(append(garbled, make([]byte, 4096)...), states[len(states)-2])
}

// TestJournalCorrupt: damage to an acknowledged entry (one followed by
// another) is refused, never dropped silently.
func TestJournalCorrupt(t *testing.T) {
	dir, ends, _ := journalWithEntries(t, 3)
	full, err := os.ReadFile(filepath.Join(dir, journalFile))
	require.NoError(t, err)
	full = full[:ends[len(ends)-1]]
	cases := map[string]func(b []byte) []byte{
		"flipped payload byte":   func(b []byte) []byte { b[ends[1]-1] ^= 1; return b },
		"flipped header byte":    func(b []byte) []byte { b[5] ^= 1; return b },
		"a missing entry":        func(b []byte) []byte { return append(b[:ends[1]:ends[1]], b[ends[2]:]...) },
		"entries out of order":   func(b []byte) []byte { return append(append([]byte(nil), b[ends[1]:ends[2]]...), b[:ends[1]]...) },
		"garbage after the tail": func(b []byte) []byte { return append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) },
		"a first entry after a gap": func(b []byte) []byte {
			return b[ends[1]:] // entry 2 without 1, over a checkpoint at 0
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			d := t.TempDir()
			for _, n := range []string{masterKeyFile, dbFile} {
				b, err := os.ReadFile(filepath.Join(dir, n))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(d, n), b, 0o600))
			}
			require.NoError(t, os.WriteFile(filepath.Join(d, journalFile), damage(append([]byte(nil), full...)), 0o600))
			s, err := Open(d)
			require.ErrorIs(t, err, errCorruptJournal)
			require.Nil(t, s)
			// Moved away, the journal's writes are lost and the store
			// opens as of its last checkpoint (here: empty).
			require.NoError(t, os.Rename(filepath.Join(d, journalFile), filepath.Join(d, "journal.bad")))
			s, err = Open(d)
			require.NoError(t, err)
			require.Empty(t, records(t, s))
			require.NoError(t, s.Close())
		})
	}
}

// TestParseEntryRules: an entry whose checksum holds but whose payload
// breaks a rule is corrupt.
func TestParseEntryRules(t *testing.T) {
	good, err := encodeEntry(nil, 1, []*Record{{ID: "a"}}, []string{"b"})
	require.NoError(t, err)
	entries, err := parseJournal(good, 0)
	require.NoError(t, err)
	require.Equal(t, []entry{{seq: 1, puts: []*Record{{ID: "a"}}, dels: []string{"b"}}}, entries)
	withPayload := func(p []byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, uint32(len(p)))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, 1)
		b = append(b, p...)
		binary.LittleEndian.PutUint32(b[4:], crcOf(b[8:]))
		return b
	}
	op := func(kind byte, v string) []byte {
		return append(binary.LittleEndian.AppendUint32([]byte{kind}, uint32(len(v))), v...)
	}
	for name, p := range map[string][]byte{
		"no change":              nil,
		"unknown kind":           op('X', "a"),
		"deletion without an ID": op(opDelete, ""),
		"a key changed twice":    append(op(opDelete, "a"), op(opPut, `{"id":"a"}`)...),
		"a record without an ID": op(opPut, `{"spec":"AES_256"}`),
		"an unknown field":       op(opPut, `{"id":"a","policy2":""}`),
		"a change cut short":     op(opDelete, "abc")[:6],
		"a short change header":  {opDelete, 1, 0},
	} {
		_, err := parseJournal(withPayload(p), 0)
		require.ErrorIs(t, err, errCorruptJournal, name)
	}
}

// TestJournalAppendFails: after a failed sync the store takes no writes
// until it is opened again, and the records in memory stay those on disk.
func TestJournalAppendFails(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Create(&Record{ID: "a"}))
	require.NoError(t, s.journal.f.Close())
	require.ErrorIs(t, s.Create(&Record{ID: "b"}), os.ErrClosed)
	s.journal.f, err = os.OpenFile(filepath.Join(dir, journalFile), os.O_RDWR, 0)
	require.NoError(t, err)
	require.ErrorIs(t, s.Create(&Record{ID: "c"}), os.ErrClosed, "no more writes")
	require.Len(t, records(t, s), 1)
	require.NoError(t, s.Close())
	s, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	require.Len(t, records(t, s), 1)
	require.NoError(t, s.Create(&Record{ID: "b"}))
}

// killChildEnv makes the test binary a writer for TestJournalKill.
const killChildEnv = "QTENCLAVE_STORE_KILL_CHILD"

// TestJournalKill kills (SIGKILL) a process that writes to a store from 8
// goroutines, with a journal that checkpoints every few commits, and checks
// that every write it acknowledged (printed, read up to the process's end)
// is in the store reopened. The kill lands at a random point: in an
// append, a sync, an allocation, a checkpoint.
func TestJournalKill(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	for round := range 3 {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalKill$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		acked := map[string]string{} // key -> description acknowledged last
		lines := bufio.NewScanner(out)
		killAt := 300 + round*400
		for n := 0; lines.Scan(); n++ {
			f := strings.Fields(lines.Text())
			if len(f) == 2 {
				acked[f[0]] = f[1]
			}
			if n == killAt {
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			}
		}
		cmd.Wait()
		require.Greater(t, len(acked), 50, "round %d", round)

		s, err := Open(dir)
		require.NoError(t, err)
		recs := records(t, s)
		for id, desc := range acked {
			r := recs[id]
			require.NotNil(t, r, id)
			// The last acknowledged update, or one after it that was
			// acknowledged but not yet printed, or in flight.
			got, _ := strconv.Atoi(strings.TrimPrefix(r.Description, "v"))
			want, _ := strconv.Atoi(strings.TrimPrefix(desc, "v"))
			require.GreaterOrEqual(t, got, want, id)
		}
		require.NoError(t, s.Close())
	}
}

// killChild writes until it is killed: 8 goroutines each create keys and
// update them, printing each acknowledged write.
func killChild(t *testing.T, dir string) {
	checkpointBytes = 16 << 10
	s, err := Open(dir)
	require.NoError(t, err)
	lines := make(chan string, 64)
	for w := range 8 {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("w%d-%d", w, i/4)
				var err error
				if i%4 == 0 {
					err = s.Create(&Record{ID: id, Description: "v0", Sealed: s.Seal(id, make([]byte, 32))})
				} else {
					err = s.Update(id, func(r *Record) error { r.Description = "v" + strconv.Itoa(i%4); return nil })
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				lines <- fmt.Sprintf("%s v%d", id, i%4)
			}
		}()
	}
	deadline := time.After(time.Minute)
	for {
		select {
		case l := <-lines:
			fmt.Println(l)
		case <-deadline:
			t.Fatal(errors.New("not killed within a minute"))
		}
	}
}

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// FuzzParseJournal parses arbitrary journals, seeded with real ones (and
// their torn and damaged forms). Properties: nothing panics; entries only
// without error; entries are numbered one after the other, after the
// checkpoint; each encodes to an entry that parses back the same.
func FuzzParseJournal(f *testing.F) {
	dir, ends, _ := journalWithEntries(f, 4)
	full, err := os.ReadFile(filepath.Join(dir, journalFile))
	if err != nil {
		f.Fatal(err)
	}
	full = full[:ends[len(ends)-1]]
	f.Add(full, uint64(0))
	f.Add(full, uint64(2))
	f.Add(full[:len(full)-3], uint64(0))
	f.Add(append(full[:ends[1]:ends[1]], make([]byte, 64)...), uint64(0))
	f.Add(full[ends[1]:], uint64(1))
	f.Add([]byte{}, uint64(0))
	f.Add(full[entryHeaderLen:ends[1]], uint64(0)) // a payload, framed below
	f.Fuzz(func(t *testing.T, b []byte, after uint64) {
		checkParsed(t, b, after)
		// b as the payload of an entry whose checksum holds, so that the
		// fuzzer reaches the payload's rules.
		framed := binary.LittleEndian.AppendUint32(nil, uint32(len(b)))
		framed = binary.LittleEndian.AppendUint32(framed, 0)
		framed = binary.LittleEndian.AppendUint64(framed, after+1)
		framed = append(framed, b...)
		binary.LittleEndian.PutUint32(framed[4:], crcOf(framed[8:]))
		checkParsed(t, framed, after)
	})
}

func checkParsed(t *testing.T, b []byte, after uint64) {
	entries, err := parseJournal(b, after)
	if err != nil {
		if entries != nil {
			t.Fatal("entries with an error")
		}
		return
	}
	for i, e := range entries {
		if e.seq <= after || (i > 0 && e.seq != entries[i-1].seq+1) {
			t.Fatalf("entry %d numbered %d", i, e.seq)
		}
		enc, err := encodeEntry(nil, e.seq, e.puts, e.dels)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseJournal(enc, e.seq-1)
		if err != nil || len(again) != 1 {
			t.Fatalf("%v %d", err, len(again))
		}
		if !reflect.DeepEqual(again[0], e) {
			t.Fatalf("entry %d does not round-trip", e.seq)
		}
	}
}
