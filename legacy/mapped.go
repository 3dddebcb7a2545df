package legacy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
	"hash/fnv"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// A row's mapped values are the values the import writes into its V1.6 row, column by
// column. The same row planned from the file and read back from the tenant gives the
// same mapped values: they are encoded in a form both share (times to the microsecond
// PostgreSQL keeps, JSON as jsonb normalises it), so that a fingerprint (a hash of the
// encoding) tells whether the row changed on either side, and a conflict or --verify
// can list the columns that differ.

// mappedRow is a row of a table the import writes: planned from the file, or as the
// tenant has it.
type mappedRow interface {
	values(m *mapped)
}

// mapped collects one row's mapped values. Values after outsideRecord are part of the
// row's fingerprint but not of its record, the part whose change says V1.6 edited the
// row: a message's status, which both sides advance and which only moves forward.
type mapped struct {
	buf    []byte
	record int // where the values outside the record begin
	// text, when set, also renders each value (columns) for a report.
	text    bool
	columns []ColumnValue
	hasher  hash.Hash
	sum     []byte
}

// ColumnValue is one column of a row and its value as text (nil for NULL).
type ColumnValue struct {
	Column string  `json:"column"`
	Value  *string `json:"value"`
}

// rowPrint is a row's fingerprint: a hash of all its mapped values, and one of its
// record.
type rowPrint struct {
	all, record uint64
}

// of resets m to the mapped values of row.
func (m *mapped) of(row mappedRow, text bool) *mapped {
	m.buf, m.record, m.text, m.columns = m.buf[:0], -1, text, nil
	row.values(m)
	return m
}

// print hashes the values: the record by SHA-256, of which 8 bytes is plenty to tell a
// changed row (a chance of 2^-64 to miss one) and runs at a gigabyte a second on this
// hardware; the few bytes outside it (a status) are mixed in with FNV-1a, rather than
// hashing the row twice.
func (m *mapped) print() rowPrint {
	if m.hasher == nil {
		m.hasher = sha256.New()
	}
	record := m.record
	if record < 0 {
		record = len(m.buf)
	}
	m.hasher.Reset()
	m.hasher.Write(m.buf[:record])
	m.sum = m.hasher.Sum(m.sum[:0])
	p := rowPrint{record: binary.BigEndian.Uint64(m.sum)}
	p.all = p.record
	if record < len(m.buf) {
		outside := fnv.New64a()
		outside.Write(m.buf[record:])
		p.all = mix(p.record ^ outside.Sum64())
	}
	return p
}

// mix is SplitMix64's finaliser: every bit of x moves every bit of the result.
func mix(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// outsideRecord starts the values that are not part of the record.
func (m *mapped) outsideRecord() { m.record = len(m.buf) }

func (m *mapped) null(column string) {
	m.buf = append(m.buf, 0)
	if m.text {
		m.columns = append(m.columns, ColumnValue{Column: column})
	}
}

func (m *mapped) present(column string, render func() string) {
	m.buf = append(m.buf, 1)
	if m.text {
		s := render()
		m.columns = append(m.columns, ColumnValue{Column: column, Value: &s})
	}
}

func (m *mapped) str(column, s string) {
	m.present(column, func() string { return s })
	m.buf = binary.AppendUvarint(m.buf, uint64(len(s)))
	m.buf = append(m.buf, s...)
}

func (m *mapped) optStr(column string, s *string) {
	if s == nil {
		m.null(column)
		return
	}
	m.str(column, *s)
}

func (m *mapped) id(column string, id uuid.UUID) {
	m.present(column, id.String)
	m.buf = append(m.buf, id[:]...)
}

func (m *mapped) optID(column string, id *uuid.UUID) {
	if id == nil {
		m.null(column)
		return
	}
	m.id(column, *id)
}

// time encodes t as the microseconds PostgreSQL stores, computed as pgx sends them.
func (m *mapped) time(column string, t time.Time) {
	micros := pgMicros(t)
	m.present(column, func() string { return time.UnixMicro(micros).UTC().Format(time.RFC3339Nano) })
	m.buf = binary.BigEndian.AppendUint64(m.buf, uint64(micros))
}

func (m *mapped) optTime(column string, t *time.Time) {
	if t == nil {
		m.null(column)
		return
	}
	m.time(column, *t)
}

// pgMicros is t as the microseconds since 1970 that pgx sends PostgreSQL (sub-microsecond
// digits dropped).
func pgMicros(t time.Time) int64 { return t.Unix()*1_000_000 + int64(t.Nanosecond())/1000 }

// pgTime is t as PostgreSQL keeps it.
func pgTime(t time.Time) time.Time { return time.UnixMicro(pgMicros(t)).UTC() }

func (m *mapped) boolean(column string, b bool) {
	m.present(column, func() string { return strconv.FormatBool(b) })
	if b {
		m.buf = append(m.buf, 1)
	} else {
		m.buf = append(m.buf, 0)
	}
}

func (m *mapped) integer(column string, n int64) {
	m.present(column, func() string { return strconv.FormatInt(n, 10) })
	m.buf = binary.AppendVarint(m.buf, n)
}

func (m *mapped) real(column string, f float32) {
	m.present(column, func() string { return strconv.FormatFloat(float64(f), 'g', -1, 32) })
	m.buf = binary.BigEndian.AppendUint32(m.buf, math.Float32bits(f))
}

// numeric encodes n as PostgreSQL prints a numeric(12,2): "1500.50".
func (m *mapped) numeric(column string, n pgtype.Numeric) {
	text, err := n.Value()
	if err != nil || text == nil {
		m.null(column)
		return
	}
	m.str(column, text.(string))
}

// strs encodes a text[] column.
func (m *mapped) strs(column string, ss []string) {
	m.present(column, func() string {
		doc, _ := json.Marshal(ss)
		return string(doc)
	})
	m.buf = binary.AppendUvarint(m.buf, uint64(len(ss)))
	for _, s := range ss {
		m.buf = binary.AppendUvarint(m.buf, uint64(len(s)))
		m.buf = append(m.buf, s...)
	}
}

// json encodes a jsonb column as jsonb keeps it: keys sorted and once each (the last
// wins), no insignificant space, numbers by value. NULL is nil.
func (m *mapped) json(column string, doc json.RawMessage) {
	if doc == nil {
		m.null(column)
		return
	}
	m.str(column, string(canonicalJSON(doc)))
}

// canonicalJSON is doc decoded and encoded again: Go's encoder sorts object keys, and a
// number goes through float64 on both sides, so that 1.50 and 1.5, or 1e2 and 100,
// encode alike, as jsonb considers them. A document that is not JSON is kept as it is.
func canonicalJSON(doc []byte) []byte {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return doc
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return doc
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
