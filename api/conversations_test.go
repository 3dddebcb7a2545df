package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// inboxSend sends one request and may be called from any goroutine: it reports failures
// as errors instead of ending the test. header may be nil; token may be empty.
func inboxSend(a *testAPI, method, path, token string, header http.Header, body []byte) (response, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, a.server.URL+path, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := a.server.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}, err
}

// inboxConversation is a conversation as the API answers it.
type inboxConversation struct {
	ID             string    `json:"id"`
	ContactID      *string   `json:"contact_id"`
	Channel        string    `json:"channel"`
	Status         string    `json:"status"`
	AssignedUserID *string   `json:"assigned_user_id"`
	AiEnabled      bool      `json:"ai_enabled"`
	LastMessageAt  time.Time `json:"last_message_at"`
	UnreadCount    int       `json:"unread_count"`
}

// inboxMessage is a message as the API answers it.
type inboxMessage struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Channel        string    `json:"channel"`
	Direction      string    `json:"direction"`
	SenderType     string    `json:"sender_type"`
	SenderUserID   *string   `json:"sender_user_id"`
	Content        *string   `json:"content"`
	Media          any       `json:"media"`
	Status         string    `json:"status"`
	ExternalID     *string   `json:"external_id"`
	CreatedAt      time.Time `json:"created_at"`
}

// inboxGet reads a conversation.
func inboxGet(t *testing.T, a *testAPI, token, id string) inboxConversation {
	t.Helper()
	var conversation inboxConversation
	a.do(request{method: "GET", path: "/api/v1/conversations/" + id, token: token}).expect(t, http.StatusOK).into(t, &conversation)
	return conversation
}

func TestConversations(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tn.AgentID)
	create := func(body any) inboxConversation {
		t.Helper()
		var conversation inboxConversation
		a.do(request{method: "POST", path: "/api/v1/conversations", token: token, body: body}).expect(t, http.StatusCreated).into(t, &conversation)
		return conversation
	}

	// Maria already has an open whatsapp conversation (the seeded one).
	a.do(request{method: "POST", path: "/api/v1/conversations", token: token,
		body: map[string]any{"contact_id": tn.ContactID, "channel": "whatsapp"}}).expectProblem(t, http.StatusConflict, "contact_id")
	instagram := create(map[string]any{"contact_id": tn.ContactID, "channel": "instagram", "assigned_user_id": tn.OwnerID, "ai_enabled": false})
	if instagram.Status != "open" || instagram.AiEnabled || *instagram.AssignedUserID != tn.OwnerID.String() || *instagram.ContactID != tn.ContactID.String() || instagram.UnreadCount != 0 {
		t.Fatalf("created %+v", instagram)
	}
	webchat := create(map[string]any{"channel": "webchat", "status": "pending"})
	if webchat.Status != "pending" || !webchat.AiEnabled || webchat.ContactID != nil || webchat.AssignedUserID != nil {
		t.Fatalf("created %+v, want pending, AI on, no contact, unassigned", webchat)
	}
	seeded := tn.ConversationID.String()

	t.Run("inbox order, filters and pages", func(t *testing.T) {
		// The seeded conversation's last message is the oldest.
		if _, err := a.db.Admin.Exec(context.Background(), "update conversations set last_message_at = now() - interval '1 hour' where tenant_id = $1 and id = $2", tn.ID, tn.ConversationID); err != nil {
			t.Fatal(err)
		}
		if got, want := listIDs(t, a, token, "/api/v1/conversations?limit=1"), []string{webchat.ID, instagram.ID, seeded}; !slices.Equal(got, want) {
			t.Errorf("inbox %v, want %v (newest activity first)", got, want)
		}
		if got := listIDs(t, a, token, "/api/v1/conversations?status=pending"); !slices.Equal(got, []string{webchat.ID}) {
			t.Errorf("pending: %v", got)
		}
		if got := listIDs(t, a, token, "/api/v1/conversations?assigned_user_id="+tn.AgentID.String()); !slices.Equal(got, []string{seeded}) {
			t.Errorf("assigned to the agent: %v", got)
		}
		if got := listIDs(t, a, token, "/api/v1/conversations?status=open&assigned_user_id="+tn.OwnerID.String()); !slices.Equal(got, []string{instagram.ID}) {
			t.Errorf("open and assigned to the owner: %v", got)
		}
	})

	t.Run("patch", func(t *testing.T) {
		var patched inboxConversation
		a.do(request{method: "PATCH", path: "/api/v1/conversations/" + instagram.ID, token: token,
			body: map[string]any{"status": "closed", "assigned_user_id": nil}}).expect(t, http.StatusOK).into(t, &patched)
		if patched.Status != "closed" || patched.AssignedUserID != nil || patched.AiEnabled {
			t.Errorf("after closing and unassigning: %+v", patched)
		}
		a.do(request{method: "PATCH", path: "/api/v1/conversations/" + instagram.ID, token: token,
			body: map[string]any{"ai_enabled": true, "assigned_user_id": tn.AgentID}}).expect(t, http.StatusOK).into(t, &patched)
		if patched.Status != "closed" || !patched.AiEnabled || *patched.AssignedUserID != tn.AgentID.String() {
			t.Errorf("after switching AI on and assigning: %+v", patched)
		}
	})

	t.Run("read", func(t *testing.T) {
		if _, err := a.db.Admin.Exec(context.Background(), "update conversations set unread_count = 5 where tenant_id = $1 and id = $2", tn.ID, tn.ConversationID); err != nil {
			t.Fatal(err)
		}
		var read inboxConversation
		a.do(request{method: "POST", path: "/api/v1/conversations/" + seeded + "/read", token: token}).expect(t, http.StatusOK).into(t, &read)
		if read.UnreadCount != 0 || inboxGet(t, a, token, seeded).UnreadCount != 0 {
			t.Errorf("unread_count after read: %d", read.UnreadCount)
		}
	})

	foreign := other.ConversationID.String()
	a.expectRefusals(t, token, []refusal{
		{"no channel", "POST", "/api/v1/conversations", map[string]any{"status": "open"}, 400, "channel"},
		{"unknown channel", "POST", "/api/v1/conversations", map[string]any{"channel": "sms"}, 400, "channel"},
		{"unknown status", "POST", "/api/v1/conversations", map[string]any{"channel": "email", "status": "archived"}, 400, "status"},
		{"malformed assignee", "POST", "/api/v1/conversations", map[string]any{"channel": "email", "assigned_user_id": "bob"}, 400, "assigned_user_id"},
		{"another tenant's assignee", "POST", "/api/v1/conversations", map[string]any{"channel": "email", "assigned_user_id": other.AgentID}, 422, "assigned_user_id"},
		{"another tenant's contact", "POST", "/api/v1/conversations", map[string]any{"channel": "email", "contact_id": other.ContactID}, 422, "contact_id"},
		{"null status", "PATCH", "/api/v1/conversations/" + seeded, map[string]any{"status": nil}, 400, "status"},
		{"unknown status in a patch", "PATCH", "/api/v1/conversations/" + seeded, map[string]any{"status": "done"}, 400, "status"},
		{"null ai_enabled", "PATCH", "/api/v1/conversations/" + seeded, map[string]any{"ai_enabled": nil}, 400, "ai_enabled"},
		{"unknown status filter", "GET", "/api/v1/conversations?status=done", nil, 400, "status"},
		{"malformed assignee filter", "GET", "/api/v1/conversations?assigned_user_id=me", nil, 400, "assigned_user_id"},
		{"malformed id", "GET", "/api/v1/conversations/123", nil, 400, "id"},
		{"unknown conversation", "GET", "/api/v1/conversations/" + uuid.NewString(), nil, 404, ""},
		{"read an unknown conversation", "POST", "/api/v1/conversations/" + uuid.NewString() + "/read", nil, 404, ""},
		{"another tenant's conversation", "GET", "/api/v1/conversations/" + foreign, nil, 404, ""},
		{"patch another tenant's conversation", "PATCH", "/api/v1/conversations/" + foreign, map[string]any{"status": "closed"}, 404, ""},
		{"read another tenant's conversation", "POST", "/api/v1/conversations/" + foreign + "/read", nil, 404, ""},
		{"delete another tenant's conversation", "DELETE", "/api/v1/conversations/" + foreign, nil, 404, ""},
	}, tn.ID, other.ID)

	// Deleting a conversation deletes its messages.
	a.do(request{method: "DELETE", path: "/api/v1/conversations/" + seeded, token: token}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: "/api/v1/conversations/" + seeded, token: token}).expect(t, http.StatusNotFound)
	var left int
	if err := a.db.Admin.QueryRow(context.Background(), "select count(*) from messages where tenant_id = $1 and conversation_id = $2", tn.ID, tn.ConversationID).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d messages left after deleting their conversation (err %v)", left, err)
	}
}

func TestConversationMessages(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	token := a.token(tn.AgentID)
	messages := "/api/v1/conversations/" + tn.ConversationID.String() + "/messages"
	if _, err := a.db.Admin.Exec(context.Background(), "update conversations set unread_count = 2 where tenant_id = $1 and id = $2", tn.ID, tn.ConversationID); err != nil {
		t.Fatal(err)
	}
	seededIDs := listIDs(t, a, token, messages+"?limit=50")
	if len(seededIDs) != 2 {
		t.Fatalf("seeded conversation lists %d messages, want 2", len(seededIDs))
	}

	var reply inboxMessage
	a.do(request{method: "POST", path: messages, token: token, body: map[string]any{"content": "Posso ajudar?"}}).
		expect(t, http.StatusCreated).into(t, &reply)
	if reply.Direction != "outbound" || reply.SenderType != "user" || reply.SenderUserID == nil || *reply.SenderUserID != tn.AgentID.String() ||
		reply.Status != "queued" || reply.Channel != "whatsapp" || reply.ConversationID != tn.ConversationID.String() ||
		*reply.Content != "Posso ajudar?" || reply.Media != nil || reply.ExternalID != nil {
		t.Fatalf("reply %+v, want a queued outbound whatsapp message from the agent", reply)
	}
	conversation := inboxGet(t, a, token, tn.ConversationID.String())
	if conversation.UnreadCount != 0 || !conversation.LastMessageAt.Equal(reply.CreatedAt) {
		t.Errorf("conversation after the reply: unread %d, last message at %v; want 0 and %v", conversation.UnreadCount, conversation.LastMessageAt, reply.CreatedAt)
	}

	var photo inboxMessage
	a.do(request{method: "POST", path: messages, token: token, body: map[string]any{"media": []any{map[string]any{"type": "image", "url": "https://example.com/a.jpg"}}}}).
		expect(t, http.StatusCreated).into(t, &photo)
	if photo.Content != nil || photo.Media == nil {
		t.Errorf("media-only message %+v", photo)
	}

	// Newest first, across pages.
	if got, want := listIDs(t, a, token, messages+"?limit=1"), append([]string{photo.ID, reply.ID}, seededIDs...); !slices.Equal(got, want) {
		t.Errorf("messages %v, want %v", got, want)
	}

	t.Run("a cursor belongs to one conversation", func(t *testing.T) {
		var page struct {
			NextCursor *string `json:"next_cursor"`
		}
		a.do(request{method: "GET", path: messages + "?limit=1", token: token}).expect(t, http.StatusOK).into(t, &page)
		var otherConversation inboxConversation
		a.do(request{method: "POST", path: "/api/v1/conversations", token: token, body: map[string]any{"channel": "webchat"}}).
			expect(t, http.StatusCreated).into(t, &otherConversation)
		a.do(request{method: "GET", path: "/api/v1/conversations/" + otherConversation.ID + "/messages?cursor=" + url.QueryEscape(*page.NextCursor), token: token}).
			expectProblem(t, http.StatusBadRequest, "cursor")
	})

	foreign := "/api/v1/conversations/" + other.ConversationID.String() + "/messages"
	unknown := "/api/v1/conversations/" + uuid.NewString() + "/messages"
	a.expectRefusals(t, token, []refusal{
		{"neither content nor media", "POST", messages, map[string]any{}, 400, "content"},
		{"blank content", "POST", messages, map[string]any{"content": "  ", "media": nil}, 400, "content"},
		{"media as text", "POST", messages, map[string]any{"content": "x", "media": "photo.jpg"}, 400, "media"},
		{"content of the wrong type", "POST", messages, map[string]any{"content": 5}, 400, "content"},
		{"malformed conversation id", "GET", "/api/v1/conversations/x/messages", nil, 400, "id"},
		{"list an unknown conversation", "GET", unknown, nil, 404, ""},
		{"send to an unknown conversation", "POST", unknown, map[string]any{"content": "Olá"}, 404, ""},
		{"list another tenant's conversation", "GET", foreign, nil, 404, ""},
		{"send to another tenant's conversation", "POST", foreign, map[string]any{"content": "Olá"}, 404, ""},
	}, tn.ID, other.ID)
}

// TestInboxRows: each inbox row carries its contact and its last message, so a client
// draws the inbox from one request; updated_since keeps what changed since a poll.
func TestInboxRows(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	owner := a.token(tn.OwnerID)
	ctx := context.Background()

	type row struct {
		ID               string  `json:"id"`
		ContactName      *string `json:"contact_name"`
		ContactPhone     *string `json:"contact_phone"`
		ContactAvatarURL *string `json:"contact_avatar_url"`
		LastMessage      *struct {
			Preview   *string `json:"preview"`
			Direction string  `json:"direction"`
			Status    string  `json:"status"`
		} `json:"last_message"`
	}
	if _, err := a.db.Admin.Exec(ctx, `update contacts set avatar_url = 'https://cdn.example/maria.jpg' where id = $1`, tn.ContactID); err != nil {
		t.Fatal(err)
	}
	postCreated[inboxConversation](t, a, owner, "/api/v1/conversations", map[string]any{"channel": "email"})
	empty := postCreated[inboxConversation](t, a, owner, "/api/v1/conversations", map[string]any{"channel": "webchat"})
	long := strings.Repeat("ç", 200)
	postCreated[inboxMessage](t, a, owner, "/api/v1/conversations/"+tn.ConversationID.String()+"/messages", map[string]any{"content": long})

	rows := listAll[row](t, a, owner, "/api/v1/conversations?limit=2")
	byID := map[string]row{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	seeded := byID[tn.ConversationID.String()]
	if seeded.ContactName == nil || *seeded.ContactName != "Maria" || seeded.ContactPhone == nil || *seeded.ContactPhone != "+5511987654321" ||
		seeded.ContactAvatarURL == nil || *seeded.ContactAvatarURL != "https://cdn.example/maria.jpg" {
		t.Errorf("the seeded conversation's contact: %+v", seeded)
	}
	if m := seeded.LastMessage; m == nil || m.Preview == nil || *m.Preview != long[:140*2] || m.Direction != "outbound" || m.Status != "queued" {
		t.Errorf("the seeded conversation's last message: %+v", seeded.LastMessage)
	}
	if r, ok := byID[empty.ID]; !ok || r.LastMessage != nil || r.ContactName != nil {
		t.Errorf("a conversation without contact or messages: %+v (listed %v)", r, ok)
	}
	if len(rows) != 3 {
		t.Errorf("inbox has %d rows, want the seeded one and the two new", len(rows))
	}

	// What changed since a poll: only the conversation updated after it.
	var since time.Time
	if err := a.db.Admin.QueryRow(ctx, `select now()`).Scan(&since); err != nil {
		t.Fatal(err)
	}
	a.do(request{method: "PATCH", path: "/api/v1/conversations/" + empty.ID, token: owner, body: map[string]any{"status": "pending"}}).expect(t, http.StatusOK)
	changed := listIDs(t, a, owner, "/api/v1/conversations?updated_since="+url.QueryEscape(since.Format(time.RFC3339Nano)))
	if !slices.Equal(changed, []string{empty.ID}) {
		t.Errorf("updated_since: %v, want only %s", changed, empty.ID)
	}
	a.do(request{method: "GET", path: "/api/v1/conversations?updated_since=yesterday", token: owner}).expectProblem(t, http.StatusBadRequest, "updated_since")

	// A cursor of the filtered list is refused on the unfiltered one.
	var first listPage[row]
	a.do(request{method: "GET", path: "/api/v1/conversations?status=open&limit=1", token: owner}).expect(t, http.StatusOK).into(t, &first)
	if first.NextCursor == nil {
		t.Fatal("no second page of open conversations")
	}
	a.do(request{method: "GET", path: "/api/v1/conversations?cursor=" + url.QueryEscape(*first.NextCursor), token: owner}).
		expectProblem(t, http.StatusBadRequest, "cursor")
}
