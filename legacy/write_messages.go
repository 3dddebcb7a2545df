package legacy

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// The messages are read from the file, planned and written in one stream, so that the
// file is read and planned while the server inserts. That makes two things known only
// after rows that depend on them are written, and both are settled before the commit:
//   - a conversation's last_message_at, unread_count, creation time and status depend on
//     its messages, but it must be written before them. On a first import a quick first
//     pass over the messages predicts them (predict.go); otherwise the conversations
//     this run inserts are written closed (nothing can conflict with a closed one). Both
//     are completed after the messages, where the rules decided otherwise;
//   - a repeated delivery is read after the message it is merged into was written: what
//     it changes is written after the messages (LegacyMessagesMergeDeliveries).

// conversationRun is the conversations' write, which their messages split in two.
type conversationRun struct {
	d *tableDiff
	// inserted are the conversations this run wrote, before their messages.
	inserted map[rowKey]bool
}

// conversationsBefore writes the conversations the tenant has no fingerprint of: on a
// first import straight in, as the prediction says they end; otherwise closed.
func (w *writer) conversationsBefore(ctx context.Context, pl *plan, predicted *prediction) (*conversationRun, error) {
	run := &conversationRun{d: w.diff(conversationsTable), inserted: map[rowKey]bool{}}
	direct := w.firstImport(conversationsTable)
	var tallies map[int64]*tally
	if direct {
		tallies = predicted.wait()
	}
	predicted.stop()
	predictConversations(pl.conversations, tallies)

	var fresh []*conversationRow
	for _, cv := range pl.conversations {
		if _, found := find(run.d.old, cv.key()); !found {
			fresh = append(fresh, cv)
		}
	}
	if len(fresh) == 0 {
		return run, nil
	}
	written, err := copying(w, conversationsTable, "public.conversations", conversationColumns, fresh).write(ctx, w, fresh)
	run.inserted = written
	return run, err
}

// conversationsAfter settles the conversations once their messages are planned: those
// this run inserted are completed where they were not written as they end; the others
// are compared with their fingerprints. A conversation V1.6 changed keeps its values,
// but follows the messages this run brought (arrivals, by conversation id).
func (w *writer) conversationsAfter(ctx context.Context, pl *plan, run *conversationRun, arrivals map[uuid.UUID][]arrival) error {
	d := run.d
	var completions []*conversationRow
	var cands []candidate
	planned := make([]rowKey, len(pl.conversations))
	for i, cv := range pl.conversations {
		key := cv.key()
		planned[i] = key
		p := w.m.of(cv, false).print()
		if run.inserted[key] {
			d.inserted(key, p)
			if !cv.completed() {
				completions = append(completions, cv)
			}
			continue
		}
		switch e, found, unchanged := d.classify(key, p); {
		case !found:
			cands = append(cands, candidate{row: cv, print: p, fresh: true})
		case unchanged:
			d.unchanged(e)
		default:
			cands = append(cands, candidate{row: cv, print: p, old: e})
		}
	}
	d.goneFrom(planned)
	res, err := d.resolve(ctx, cands, "")
	if err != nil {
		return err
	}
	// One write for the completions and the updates: those that close go first.
	rows := slices.Clone(completions)
	for _, c := range res.updates {
		rows = append(rows, c.row.(*conversationRow))
	}
	if err := w.rows.updateConversations(ctx, rows); err != nil {
		return fmt.Errorf("update public.conversations: %w", err)
	}
	if err := d.readBack(ctx, res.updates, res.before); err != nil {
		return err
	}
	if err := d.checkCompletions(ctx, completions); err != nil {
		return err
	}
	return d.follow(ctx, res.conflicts, arrivals)
}

// checkCompletions reads back the conversations this run completed: one that stayed
// closed, since V1.6 has another open for its contact and channel, says so, and its
// fingerprint records what was written.
func (d *tableDiff) checkCompletions(ctx context.Context, completions []*conversationRow) error {
	var opened []plannedRow
	for _, cv := range completions {
		if cv.status != "closed" {
			opened = append(opened, cv)
		}
	}
	if len(opened) == 0 {
		return nil
	}
	after, err := d.w.rows.read(ctx, d.table, keysOf(opened))
	if err != nil {
		return err
	}
	for _, row := range opened {
		cv := row.(*conversationRow)
		now, ok := after[cv.key()].(*conversationRow)
		if !ok || now.status == cv.status {
			continue
		}
		d.tr.change(cv.r, "status %s not applied: another conversation of the contact on %s is open in V1.6 (one open conversation per contact and channel)", cv.status, cv.channel)
		p := d.w.m.of(now, false).print()
		d.setEntry(cv.key(), func(e *entry) { e.written, e.kept, e.hasKept = p.record, p.all, true })
	}
	return nil
}

// setEntry changes the entry of key this run leaves.
func (d *tableDiff) setEntry(key rowKey, change func(*entry)) {
	for i := range d.entries {
		if d.entries[i].key == key {
			change(&d.entries[i])
			return
		}
	}
}

// arrival is a message a sync brought into a conversation.
type arrival struct {
	order   messageOrder
	inbound bool
}

// follow moves the conversations V1.6 changed (conflicts) as the backend would for the
// messages this run brought them: last_message_at to the newest, and after the
// conversation's last activity an inbound message adds one unread, a reply resets them.
func (d *tableDiff) follow(ctx context.Context, conflicts map[rowKey]mappedRow, arrivals map[uuid.UUID][]arrival) error {
	var rows []followRecord
	var keys []rowKey
	for key, row := range conflicts {
		cv := row.(*conversationRow)
		came := arrivals[cv.id]
		if len(came) == 0 {
			continue
		}
		slices.SortFunc(came, func(a, b arrival) int {
			return cmp.Or(a.order.at.Compare(b.order.at), cmp.Compare(a.order.id, b.order.id))
		})
		last, unread := cv.lastMessageAt, cv.unreadCount
		for _, a := range came {
			if !a.order.at.After(cv.lastMessageAt) {
				continue
			}
			if a.inbound {
				unread++
			} else {
				unread = 0
			}
			last = maxTime(last, a.order.at)
		}
		if last.Equal(cv.lastMessageAt) && unread == cv.unreadCount {
			continue
		}
		rows = append(rows, followRecord{ID: cv.id, LastMessageAt: pgTime(last), UnreadCount: unread})
		keys = append(keys, key)
	}
	if len(rows) == 0 {
		return nil
	}
	if err := d.w.rows.follow(ctx, rows); err != nil {
		return err
	}
	// What --verify accepts of them is now the followed row.
	after, err := d.w.rows.read(ctx, d.table, keys)
	if err != nil {
		return err
	}
	for key, now := range after {
		p := d.w.m.of(now, false).print()
		d.setEntry(key, func(e *entry) { e.kept = p.all })
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// messageSource reads the messages from the file (in a goroutine), plans each one and
// compares it with its fingerprint as it passes, and hands COPY the ones to write: all
// of them on a first import (direct), else those the tenant has no fingerprint of.
type messageSource struct {
	ctx      context.Context
	w        *writer
	d        *tableDiff
	mp       *messagePlanner
	file     *legacyFile
	direct   bool
	progress func(table string, rows int)
	every    int

	cursor int // into d.old, in key order as the stream
	// fresh are the rows written to staging, changed those V1.5 changed, in key order.
	fresh, changed []candidate

	started bool
	cancel  context.CancelFunc
	batches chan []row
	readErr error // set before batches is closed
	batch   []row
	m       messageRow
	values  []any
	read    int
	err     error
}

// writeMessages streams the messages into the tenant, settles what the stream could not
// (repeated deliveries, rows to compare with the tenant's), then completes the
// conversations.
func (w *writer) writeMessages(ctx context.Context, pl *plan, file *legacyFile, conversations *conversationRun) error {
	s := &messageSource{ctx: ctx, w: w, d: w.diff(messagesTable), mp: pl.messages, file: file,
		direct: w.firstImport(messagesTable), progress: w.copier.progress, every: w.copier.every}
	s.d.entries = make([]entry, 0, file.counts[messagesTable.name])
	ct := copyTable{legacy: messagesTable.name, target: "public.messages", columns: messageColumns, source: s}
	var inserted []uuid.UUID
	var err error
	if s.direct {
		err = w.copier.copyDirect(ctx, ct)
	} else {
		inserted, err = w.copier.copyStaged(ctx, ct)
	}
	s.stop()
	if err != nil {
		// When reading the file failed (e.g. a row over the limits), that error ended
		// the COPY: return it rather than PostgreSQL's echo of its text ("COPY from stdin
		// failed: ..."), which callers cannot match with errors.Is.
		if readErr := s.Err(); readErr != nil {
			return fmt.Errorf("copy %s: %w", ct.target, readErr)
		}
		return err
	}
	s.d.gone = append(s.d.gone, s.d.old[s.cursor:]...)
	if err := s.settleFixes(ctx); err != nil {
		return err
	}
	pl.messages.finish()

	arrivals := map[uuid.UUID][]arrival{}
	if !s.direct {
		ids := make(map[uuid.UUID]bool, len(inserted))
		for _, id := range inserted {
			ids[id] = true
		}
		var there []candidate
		for _, c := range s.fresh {
			m := c.row.(*messageRow)
			if !ids[m.id] {
				there = append(there, c)
				continue
			}
			s.d.inserted(m.key(), c.print)
			arrivals[m.conversationID] = append(arrivals[m.conversationID], arrival{messageOrder{m.createdAt, m.legacyID}, m.direction == "inbound"})
		}
		s.changed = append(s.changed, there...)
	}
	if err := w.rows.mergeDeliveries(ctx, s.mergedInto(inserted)); err != nil {
		return err
	}
	res, err := s.d.resolve(ctx, s.changed, "")
	if err != nil {
		return err
	}
	if err := s.d.apply(ctx, res); err != nil {
		return err
	}
	if err := w.conversationsAfter(ctx, pl, conversations, arrivals); err != nil {
		return err
	}
	return nil
}

// mergedInto are the repeated deliveries' changes to write: all of them on a first
// import, else those to messages this run inserted (the others are updates).
func (s *messageSource) mergedInto(inserted []uuid.UUID) []*messageFix {
	if s.direct {
		return s.mp.fixes
	}
	ids := make(map[uuid.UUID]bool, len(inserted))
	for _, id := range inserted {
		ids[id] = true
	}
	var fixes []*messageFix
	for _, f := range s.mp.fixes {
		if ids[f.id] {
			fixes = append(fixes, f)
		}
	}
	return fixes
}

// settleFixes gives the first copies of repeated deliveries what later copies changed,
// after the stream: their fingerprints, and, for a row compared with its fingerprint as
// it passed, its verdict. The rows the stream kept (fresh, changed) change in place; the
// others are read again from the file.
func (s *messageSource) settleFixes(ctx context.Context) error {
	fixes := map[rowKey]*messageFix{}
	var reread []int64
	for _, f := range s.mp.fixes {
		key := rowKey{id: f.legacyID}
		if c := findCandidate(s.fresh, key); c != nil {
			s.refix(c, f)
			continue
		}
		if c := findCandidate(s.changed, key); c != nil {
			s.refix(c, f)
			continue
		}
		fixes[key] = f
		reread = append(reread, f.legacyID)
	}
	rows, err := s.file.messagesByID(ctx, reread)
	if err != nil {
		return err
	}
	for _, r := range rows {
		m, ok := s.mp.replan(r)
		key := rowKey{id: r.id}
		i, found := slices.BinarySearchFunc(s.d.entries, key, func(e entry, k rowKey) int { return compareKeys(e.key, k) })
		if !ok || !found {
			return fmt.Errorf("merge repeated deliveries: message %d planned otherwise on a second reading", r.id)
		}
		fixes[key].apply(&m)
		p := s.w.m.of(&m, false).print()
		e := &s.d.entries[i]
		switch {
		case s.direct:
			e.seen, e.written = p.all, p.record
		case e.seen != p.all: // it passed as unchanged: changed, with the later copies
			s.changed = append(s.changed, candidate{row: &m, print: p, old: *e})
			s.d.entries = slices.Delete(s.d.entries, i, i+1)
			s.d.tr.Unchanged--
		}
	}
	// A changed row the later copies made as it was seen is unchanged after all.
	s.changed = slices.DeleteFunc(s.changed, func(c candidate) bool {
		if c.print.all == c.old.seen {
			s.d.unchanged(c.old)
			return true
		}
		return false
	})
	return nil
}

// refix applies f to a kept row and prints it again.
func (s *messageSource) refix(c *candidate, f *messageFix) {
	m := c.row.(*messageRow)
	f.apply(m)
	c.print = s.w.m.of(m, false).print()
}

// findCandidate finds key among cands, which are in key order.
func findCandidate(cands []candidate, key rowKey) *candidate {
	i, found := slices.BinarySearchFunc(cands, key, func(c candidate, k rowKey) int { return compareKeys(c.row.key(), k) })
	if !found {
		return nil
	}
	return &cands[i]
}

// start runs the reader. It stops, and closes batches, once the file is read, on a
// read error, or when the COPY ends first (stop).
func (s *messageSource) start() {
	s.started = true
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(s.ctx)
	s.batches = make(chan []row, 16)
	go func() {
		s.readErr = s.file.streamMessages(ctx, s.batches)
		close(s.batches)
	}()
}

// stop ends the reader, if it runs, and waits for it.
func (s *messageSource) stop() {
	if !s.started {
		return
	}
	s.cancel()
	for range s.batches {
	}
}

func (s *messageSource) Next() bool {
	if !s.started {
		s.start()
	}
	for {
		for len(s.batch) > 0 {
			r := s.batch[0]
			s.batch = s.batch[1:]
			if s.progress != nil && s.read > 0 && s.read%s.every == 0 {
				s.progress(messagesTable.name, s.read)
			}
			s.read++
			// COPY runs as long as rows come: stop it as soon as the import is
			// cancelled, before another row goes out.
			if err := s.ctx.Err(); err != nil {
				return s.fail(err)
			}
			if s.mp.plan(r, &s.m) && s.emit() {
				return true
			}
		}
		batch, ok := <-s.batches
		if !ok {
			s.cancel()
			if err := s.ctx.Err(); err != nil {
				return s.fail(err)
			}
			s.err = s.readErr
			return false
		}
		s.batch = batch
	}
}

// emit compares the message just planned with its fingerprint, and says whether COPY
// writes it.
func (s *messageSource) emit() bool {
	p := s.w.m.of(&s.m, false).print()
	key := s.m.key()
	d := s.d
	if s.direct {
		d.inserted(key, p)
		return true
	}
	for s.cursor < len(d.old) && compareKeys(d.old[s.cursor].key, key) < 0 {
		d.gone = append(d.gone, d.old[s.cursor])
		s.cursor++
	}
	m := s.m
	if s.cursor < len(d.old) && d.old[s.cursor].key == key {
		e := d.old[s.cursor]
		s.cursor++
		if e.seen == p.all {
			d.unchanged(e)
		} else {
			s.changed = append(s.changed, candidate{row: &m, print: p, old: e})
		}
		return false
	}
	s.fresh = append(s.fresh, candidate{row: &m, print: p, fresh: true})
	return true
}

func (s *messageSource) fail(err error) bool {
	s.err = err
	s.stop()
	return false
}

func (s *messageSource) Values() ([]any, error) {
	s.values = s.m.appendCopyValues(s.values[:0], s.w.tenant)
	return s.values, nil
}

func (s *messageSource) Err() error { return s.err }
