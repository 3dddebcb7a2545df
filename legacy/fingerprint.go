package legacy

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/atende/atende/db"
	"github.com/google/uuid"
)

// Every row an import writes leaves a fingerprint in the tenant's import state
// (private.legacy_import_fingerprints, which no client role can read): the hashes of its
// mapped values (mapped.go) as V1.5 last gave them and as the import last wrote them. A
// later run compares each planned row with them: a row that hashes as it was seen is
// unchanged in V1.5 and not read from PostgreSQL at all; a row that does not changed in
// V1.5, and it is read once to tell whether V1.6 still has it as written.

// rowKey names a legacy row: by its id (its V1.6 row's id is the LegacyUUID of it) or,
// for a setting, by its key.
type rowKey struct {
	id   int64
	name string
}

func (k rowKey) String() string {
	if k.name != "" {
		return k.name
	}
	return strconv.FormatInt(k.id, 10)
}

func compareKeys(a, b rowKey) int {
	return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.name, b.name))
}

// entry is one imported row's fingerprint.
type entry struct {
	key rowKey
	// seen hashes all of the row's mapped values as V1.5 last gave them: a planned row
	// that hashes otherwise changed in V1.5 since.
	seen uint64
	// written hashes the record the import last wrote (see mapped): V1.6 changed the row
	// when its record no longer hashes so. 0 when the import never wrote it: the row was
	// in the tenant, otherwise, when the import first met it.
	written uint64
	// kept, when hasKept, hashes all of V1.6's row as a conflict left it (0: V1.6 had
	// deleted it), which --verify accepts as it is.
	kept    uint64
	hasKept bool
}

// fingerprints are a tenant's entries by legacy table, each table's sorted by key.
type fingerprints map[string][]entry

// find returns the entry of key in entries (sorted by key).
func find(entries []entry, key rowKey) (entry, bool) {
	i, found := slices.BinarySearchFunc(entries, key, func(e entry, k rowKey) int { return compareKeys(e.key, k) })
	if !found {
		return entry{}, false
	}
	return entries[i], true
}

// chunkEntries is how many entries one row of the store packs: a few MB.
const chunkEntries = 100_000

// The packed form of a chunk: for each entry, in key order, the id as a varint delta
// from the previous one, the name's length and bytes, a flags byte, then seen, and
// written and kept when the flags say so (written is left out when equal to seen).
const (
	flagWritten = 1 << iota
	flagKept
)

func encodeEntries(entries []entry) []byte {
	buf := make([]byte, 0, len(entries)*20)
	var prev int64
	for _, e := range entries {
		buf = binary.AppendVarint(buf, e.key.id-prev)
		prev = e.key.id
		buf = binary.AppendUvarint(buf, uint64(len(e.key.name)))
		buf = append(buf, e.key.name...)
		var flags byte
		if e.written != e.seen {
			flags |= flagWritten
		}
		if e.hasKept {
			flags |= flagKept
		}
		buf = append(buf, flags)
		buf = binary.BigEndian.AppendUint64(buf, e.seen)
		if flags&flagWritten != 0 {
			buf = binary.BigEndian.AppendUint64(buf, e.written)
		}
		if flags&flagKept != 0 {
			buf = binary.BigEndian.AppendUint64(buf, e.kept)
		}
	}
	return buf
}

var errCorruptEntries = errors.New("corrupt fingerprint entries")

func decodeEntries(buf []byte, out []entry) ([]entry, error) {
	var prev int64
	for len(buf) > 0 {
		delta, n := binary.Varint(buf)
		if n <= 0 {
			return nil, errCorruptEntries
		}
		buf = buf[n:]
		nameLen, n := binary.Uvarint(buf)
		if n <= 0 || uint64(len(buf)-n) < nameLen+9 {
			return nil, errCorruptEntries
		}
		buf = buf[n:]
		e := entry{key: rowKey{id: prev + delta, name: string(buf[:nameLen])}}
		prev = e.key.id
		buf = buf[nameLen:]
		flags := buf[0]
		e.seen, e.written = binary.BigEndian.Uint64(buf[1:]), binary.BigEndian.Uint64(buf[1:])
		buf = buf[9:]
		for _, field := range []struct {
			flag byte
			dest *uint64
		}{{flagWritten, &e.written}, {flagKept, &e.kept}} {
			if flags&field.flag == 0 {
				continue
			}
			if len(buf) < 8 {
				return nil, errCorruptEntries
			}
			*field.dest, buf = binary.BigEndian.Uint64(buf), buf[8:]
		}
		e.hasKept = flags&flagKept != 0
		out = append(out, e)
	}
	return out, nil
}

// equal says whether prints and other hold the same entries.
func (prints fingerprints) equal(other fingerprints) bool {
	for table, entries := range other {
		if !slices.Equal(prints[table], entries) {
			return false
		}
	}
	for table, entries := range prints {
		if len(entries) > 0 && len(other[table]) == 0 {
			return false
		}
	}
	return true
}

// loadFingerprints reads the tenant's fingerprints.
func loadFingerprints(ctx context.Context, q *db.Queries, tenantID uuid.UUID) (fingerprints, error) {
	chunks, err := q.LegacyFingerprintsGet(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("read the import's fingerprints: %w", err)
	}
	prints := fingerprints{}
	for _, c := range chunks {
		if prints[c.SourceTable], err = decodeEntries(c.Entries, prints[c.SourceTable]); err != nil {
			return nil, fmt.Errorf("read the fingerprints of %s: %w", c.SourceTable, err)
		}
	}
	return prints, nil
}

// save replaces the tenant's fingerprints with prints.
func (prints fingerprints) save(ctx context.Context, q *db.Queries, tenantID uuid.UUID) error {
	if err := q.LegacyFingerprintsClear(ctx, tenantID); err != nil {
		return fmt.Errorf("write the import's fingerprints: %w", err)
	}
	for table, entries := range prints {
		for chunk := 0; chunk*chunkEntries < len(entries); chunk++ {
			part := entries[chunk*chunkEntries : min(len(entries), (chunk+1)*chunkEntries)]
			err := q.LegacyFingerprintsPut(ctx, db.LegacyFingerprintsPutParams{
				TenantID: tenantID, SourceTable: table, Chunk: int32(chunk), Entries: encodeEntries(part)})
			if err != nil {
				return fmt.Errorf("write the fingerprints of %s: %w", table, err)
			}
		}
	}
	return nil
}
