package legacy

import (
	"context"
	"time"
)

// The conversations are written before their messages (the messages' foreign key needs
// them), but what the messages make of them is known only once the messages are
// planned, as they stream into the COPY. A quick first pass over the messages, in the
// background while the other tables are read and written, predicts it, so that a first
// import writes the conversations as they will most likely end and corrects only the
// few the rules decide otherwise.

// messageTimesTable is the columns of the messages that the prediction reads.
var (
	messageTimesTable = legacyTable{"messages", []string{"id", "conversation_id", "direction", "created_at"}}

	predictConversationID = messageTimesTable.col("conversation_id")
	predictDirection      = messageTimesTable.col("direction")
	predictCreatedAt      = messageTimesTable.col("created_at")
)

// predictTallies reads the messages' conversation, direction and time (and nothing
// else: a quick pass over the file) and tallies them by legacy conversation id as the
// rules will, except that it rejects and merges no message.
func predictTallies(ctx context.Context, file *legacyFile, loc *time.Location) (map[int64]*tally, error) {
	query, err := file.db.PrepareContext(ctx, selectSQL(messageTimesTable, file.limits.cellBytes, "id BETWEEN ? AND ?"))
	if err != nil {
		return nil, err
	}
	defer query.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []row, 16)
	var readErr error
	go func() {
		readErr = file.stream(ctx, messageTimesTable, query, batches)
		close(batches)
	}()
	tallies := map[int64]*tally{}
	for batch := range batches {
		for _, r := range batch {
			conversation, ok, err := parseRef(r.cell(predictConversationID))
			if err != nil || !ok {
				continue
			}
			direction, err := messageDirections.lookup(r.cell(predictDirection), "")
			if err != nil {
				continue
			}
			at, ok, err := parseTime(r.cell(predictCreatedAt), loc)
			if err != nil || !ok {
				continue
			}
			t := tallies[conversation]
			if t == nil {
				t = &tally{}
				tallies[conversation] = t
			}
			t.add(at, r.id, direction)
		}
	}
	return tallies, readErr
}

// prediction runs predictTallies in the background.
type prediction struct {
	done    chan struct{}
	cancel  context.CancelFunc
	tallies map[int64]*tally
}

func startPrediction(ctx context.Context, file *legacyFile, loc *time.Location) *prediction {
	ctx, cancel := context.WithCancel(ctx)
	pr := &prediction{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(pr.done)
		tallies, err := predictTallies(ctx, file, loc)
		if err == nil { // else no prediction: the messages themselves will say
			pr.tallies = tallies
		}
	}()
	return pr
}

// wait returns the tallies, nil if the prediction failed or was stopped (or there is
// none: pr is nil).
func (pr *prediction) wait() map[int64]*tally {
	if pr == nil {
		return nil
	}
	<-pr.done
	return pr.tallies
}

// stop ends the prediction if it still runs.
func (pr *prediction) stop() {
	if pr == nil {
		return
	}
	pr.cancel()
	<-pr.done
}

// predictConversations decides how the conversations are written before their
// messages are planned: with the last_message_at, unread_count and creation time that
// predicted (the tallies by legacy conversation id) gives them, and closed when another
// conversation of the same contact and channel is predicted to stay open. Without a
// prediction they are written closed, as the legacy row says otherwise, and completed
// after the messages: closed conflicts with no conversation that is already open.
func predictConversations(convs []*conversationRow, predicted map[int64]*tally) {
	for _, cv := range convs {
		guess := tally{lastMessageAt: cv.lastMessageAt}
		if t := predicted[cv.r.id]; t != nil && t.messages > 0 {
			guess = *t
		}
		cv.written = writtenConversation{status: cv.status, lastMessageAt: guess.lastMessageAt,
			unreadCount: int32(len(guess.unread)), createdAt: cv.createdAt}
		if start := guess.start(); start.Before(cv.createdAt) {
			cv.written.createdAt = start
		}
		if predicted == nil {
			cv.written.status = "closed"
		}
	}
	if predicted != nil {
		oneOpenPerContact(convs, func(cv *conversationRow) time.Time { return cv.written.lastMessageAt },
			func(cv, _ *conversationRow) { cv.written.status = "closed" })
	}
}
