package legacy

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// The messages are most of a file, and reading them (SQLite's work and the driver's) is
// most of the time a sync or a verification takes, where PostgreSQL has little to do.
// They are read on two connections at once, each a range of ids in turn, and handed on
// in id order.

// streamReaders is how many connections read the messages at once.
const streamReaders = 2

// rangeRows is about how many messages one range holds: what a reader reads ahead while
// the other's range is handed on (its channel holds them).
const rangeRows = 16 * batchRows

// idRange is the messages of ids first..last, as a reader reads them.
type idRange struct {
	first, last int64
	batches     chan []row
	err         error // set before batches is closed
}

// streamMessages sends the messages, in id order and in batches, to out until they are
// all read or ctx ends.
func (f *legacyFile) streamMessages(ctx context.Context, out chan<- []row) error {
	return f.stream(ctx, messagesTable, f.messages, out)
}

// stream sends the columns of table (the messages, or some of their columns) that
// query selects for a range of ids, in id order and in batches, to out.
func (f *legacyFile) stream(ctx context.Context, table legacyTable, query *sql.Stmt, out chan<- []row) error {
	ranges, err := f.messageRanges(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", messagesTable.name, err)
	}
	// Stop the readers, and wait for them, however this ends.
	var readers sync.WaitGroup
	defer readers.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Reader k reads ranges k, k+streamReaders, ...: each hands its next range over as
	// soon as it starts it, and reads one range ahead at most.
	queues := make([]chan *idRange, streamReaders)
	for k := range queues {
		queues[k] = make(chan *idRange, 1)
		readers.Go(func() {
			defer close(queues[k])
			for i := k; i < len(ranges); i += streamReaders {
				r := ranges[i]
				select {
				case queues[k] <- r:
				case <-ctx.Done():
					return
				}
				r.err = f.readRange(ctx, table, query, r)
				close(r.batches)
			}
		})
	}
	read := 0
	for i := range ranges {
		r, ok := <-queues[i%streamReaders]
		if !ok {
			return ctx.Err()
		}
		for batch := range r.batches {
			read += len(batch)
			// checkTable counted the rows first; this holds also if the file changed since.
			if read > f.limits.messages {
				return fmt.Errorf("read %s: %w: %s has more than %d rows, the limit (row %d is one too many)",
					messagesTable.name, ErrRefusedFile, messagesTable.name, f.limits.messages, batch[len(batch)-(read-f.limits.messages)].id)
			}
			select {
			case out <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if r.err != nil {
			return fmt.Errorf("read %s: %w", messagesTable.name, r.err)
		}
	}
	return nil
}

// messageRanges splits the messages' ids into ranges of about rangeRows messages each
// (exactly, where ids are dense as V1.5 wrote them). However sparse a file's ids, there
// are no more ranges than that many rows make.
func (f *legacyFile) messageRanges(ctx context.Context) ([]*idRange, error) {
	var first, last sql.NullInt64
	var count int64
	if err := f.db.QueryRowContext(ctx, "SELECT min(id), max(id), count(*) FROM main.messages").Scan(&first, &last, &count); err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, nil
	}
	n := uint64(count/rangeRows + 1)
	// Offsets from first, in uint64: the ids may span all of int64.
	span := uint64(last.Int64) - uint64(first.Int64)
	width := span/n + 1
	var ranges []*idRange
	for off := uint64(0); ; off += width {
		r := &idRange{first: first.Int64 + int64(off), last: last.Int64, batches: make(chan []row, rangeRows/batchRows)}
		if span-off >= width {
			r.last = r.first + int64(width-1)
		}
		ranges = append(ranges, r)
		if span-off < width {
			return ranges, nil
		}
	}
}

// readRange reads r's rows of table into r.batches.
func (f *legacyFile) readRange(ctx context.Context, table legacyTable, query *sql.Stmt, r *idRange) error {
	rows, err := query.QueryContext(ctx, r.first, r.last)
	if err != nil {
		return err
	}
	return scanRows(rows, table, f.limits, func(batch []row) error {
		select {
		case r.batches <- batch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}
