package api_test

import (
	"net/http"
	"testing"

	"github.com/atende/atende/db/dbtest"
)

func TestContacts(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	token := a.token(tn.AgentID)

	var created struct {
		ID    string   `json:"id"`
		Phone string   `json:"phone"`
		Tags  []string `json:"tags"`
	}
	a.do(request{method: "POST", path: "/api/v1/contacts", token: token,
		body: map[string]any{"name": "Ana Lima", "phone": "(11) 91234-5678", "tags": []string{"vip"}}}).
		expect(t, http.StatusCreated).into(t, &created)
	if created.Phone != "+5511912345678" || len(created.Tags) != 1 {
		t.Fatalf("created %+v, want the phone in E.164 and the tag", created)
	}

	dup := a.do(request{method: "POST", path: "/api/v1/contacts", token: token,
		body: map[string]any{"name": "Ana again", "phone": "+55 11 91234-5678"}}).expect(t, http.StatusConflict)
	if p := dup.problem(t); p.Field != "phone" {
		t.Fatalf("duplicate phone problem names %q, want phone", p.Field)
	}

	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	a.do(request{method: "GET", path: "/api/v1/contacts?q=lima", token: token}).expect(t, http.StatusOK).into(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != created.ID || list.NextCursor != nil {
		t.Fatalf("search for lima: %+v", list)
	}

	a.do(request{method: "PATCH", path: "/api/v1/contacts/" + created.ID, token: token,
		body: map[string]any{"email": "ana@example.com", "phone": nil}}).expect(t, http.StatusOK)
	var got struct {
		Email *string `json:"email"`
		Phone *string `json:"phone"`
		Name  string  `json:"name"`
	}
	a.do(request{method: "GET", path: "/api/v1/contacts/" + created.ID, token: token}).expect(t, http.StatusOK).into(t, &got)
	if got.Email == nil || *got.Email != "ana@example.com" || got.Phone != nil || got.Name != "Ana Lima" {
		t.Fatalf("after patch: %+v", got)
	}

	a.do(request{method: "DELETE", path: "/api/v1/contacts/" + created.ID, token: token}).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: "/api/v1/contacts/" + created.ID, token: token}).expect(t, http.StatusNotFound)
}
