package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/atende/atende/db/dbtest"
	"github.com/google/uuid"
)

// usersMember is a member as a client decodes it.
type usersMember struct {
	ID        string  `json:"id"`
	TenantID  *string `json:"tenant_id"`
	Email     *string `json:"email"`
	FullName  *string `json:"full_name"`
	AvatarURL *string `json:"avatar_url"`
	Role      *string `json:"role"`
}

// usersRoleOf reads a member's role over the API, as the tenant's owner.
func usersRoleOf(t *testing.T, a *testAPI, tn dbtest.Tenant, id uuid.UUID) string {
	t.Helper()
	var u usersMember
	a.do(request{method: "GET", path: "/api/v1/users/" + id.String(), token: a.token(tn.OwnerID)}).expect(t, http.StatusOK).into(t, &u)
	if u.Role == nil {
		t.Fatalf("member %s has no role: %+v", id, u)
	}
	return *u.Role
}

func TestMe(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	token := a.token(tn.OwnerID)
	patch := func(body any) response {
		return a.do(request{method: "PATCH", path: "/api/v1/me", token: token, body: body})
	}

	me := tenantsGetMe(t, a, token)
	if me.ID != tn.OwnerID.String() || me.Role == nil || *me.Role != "owner" || me.FullName == nil || *me.FullName != "Owner" ||
		me.Email == nil || *me.Email != "owner@clinica-a.example" || me.Tenant == nil || me.Tenant.ID != tn.ID.String() || me.Tenant.Slug != "clinica-a" {
		t.Fatalf("me: %+v", me)
	}

	var updated struct {
		usersMember
		Tenant *tenantsBranding `json:"tenant"`
	}
	patch(map[string]any{"full_name": "  Ana Dona ", "avatar_url": "https://cdn.example/ana.png"}).expect(t, http.StatusOK).into(t, &updated)
	if updated.FullName == nil || *updated.FullName != "Ana Dona" || updated.AvatarURL == nil || *updated.AvatarURL != "https://cdn.example/ana.png" ||
		updated.Role == nil || *updated.Role != "owner" || updated.Tenant == nil || updated.Tenant.ID != tn.ID.String() {
		t.Fatalf("after patch: %+v", updated)
	}
	// Absent is kept, null clears.
	patch(map[string]any{"full_name": nil}).expect(t, http.StatusOK).into(t, &updated)
	if updated.FullName != nil || updated.AvatarURL == nil {
		t.Fatalf("after clearing the name: %+v", updated)
	}

	a.expectRefusals(t, token, []refusal{
		{"blank name", "PATCH", "/api/v1/me", map[string]any{"full_name": "  "}, 400, "full_name"},
		{"name too long", "PATCH", "/api/v1/me", map[string]any{"full_name": string(make([]rune, 201))}, 400, "full_name"},
		{"avatar not web", "PATCH", "/api/v1/me", map[string]any{"avatar_url": "data:image/png;base64,AAAA"}, 400, "avatar_url"},
		{"avatar wrong type", "PATCH", "/api/v1/me", map[string]any{"avatar_url": 1}, 400, "avatar_url"},
		{"role is not theirs", "PATCH", "/api/v1/me", map[string]any{"role": "owner"}, 400, "role"},
		{"email is not here", "PATCH", "/api/v1/me", map[string]any{"email": "x@example.com"}, 400, "email"},
	}, tn.ID)
	a.do(request{method: "GET", path: "/api/v1/me"}).expectProblem(t, http.StatusUnauthorized, "")
	a.do(request{method: "PATCH", path: "/api/v1/me", body: map[string]any{"full_name": "X"}}).expectProblem(t, http.StatusUnauthorized, "")
	if me := tenantsGetMe(t, a, token); me.FullName != nil || me.Role == nil || *me.Role != "owner" {
		t.Fatalf("after the refused patches: %+v", me)
	}
}

func TestUsersList(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	adminID := tenantsMember(t, a, tn, "admin@clinica-a.example", "admin")
	token := a.token(tn.AgentID) // any member sees the team

	var first, second listPage[usersMember]
	a.do(request{method: "GET", path: "/api/v1/users?limit=2", token: token}).expect(t, http.StatusOK).into(t, &first)
	if len(first.Items) != 2 || first.NextCursor == nil {
		t.Fatalf("first page: %+v", first)
	}
	a.do(request{method: "GET", path: "/api/v1/users?limit=2&cursor=" + *first.NextCursor, token: token}).expect(t, http.StatusOK).into(t, &second)
	if len(second.Items) != 1 || second.NextCursor != nil {
		t.Fatalf("second page: %+v", second)
	}
	// Oldest first: the owner, the agent, then the admin added last.
	got := []string{first.Items[0].ID, first.Items[1].ID, second.Items[0].ID}
	want := []string{tn.OwnerID.String(), tn.AgentID.String(), adminID.String()}
	if got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("members %v, want %v", got, want)
	}
	for _, u := range append(first.Items, second.Items...) {
		if u.TenantID == nil || *u.TenantID != tn.ID.String() {
			t.Fatalf("member of another tenant listed: %+v", u)
		}
	}

	var agent usersMember
	a.do(request{method: "GET", path: "/api/v1/users/" + tn.AgentID.String(), token: token}).expect(t, http.StatusOK).into(t, &agent)
	if agent.Email == nil || *agent.Email != "agent@clinica-a.example" || agent.Role == nil || *agent.Role != "agent" {
		t.Fatalf("agent: %+v", agent)
	}
	a.expectRefusals(t, token, []refusal{
		{"another tenant's member", "GET", "/api/v1/users/" + other.AgentID.String(), nil, 404, ""},
		{"unknown member", "GET", "/api/v1/users/" + uuid.NewString(), nil, 404, ""},
		{"malformed id", "GET", "/api/v1/users/42", nil, 400, "id"},
		{"limit out of range", "GET", "/api/v1/users?limit=0", nil, 400, "limit"},
		{"forged cursor", "GET", "/api/v1/users?cursor=nonsense", nil, 400, "cursor"},
	})
	a.do(request{method: "GET", path: "/api/v1/users"}).expectProblem(t, http.StatusUnauthorized, "")
}

func TestUserRoles(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	adminID := tenantsMember(t, a, tn, "admin@clinica-a.example", "admin")
	secondAgentID := tenantsMember(t, a, tn, "agent2@clinica-a.example", "agent")
	owner, admin, agent := a.token(tn.OwnerID), a.token(adminID), a.token(tn.AgentID)
	setRole := func(token string, id uuid.UUID, body any) response {
		return a.do(request{method: "PATCH", path: "/api/v1/users/" + id.String(), token: token, body: body})
	}
	role := func(r string) map[string]any { return map[string]any{"role": r} }

	var promoted usersMember
	setRole(admin, tn.AgentID, role("admin")).expect(t, http.StatusOK).into(t, &promoted)
	if promoted.ID != tn.AgentID.String() || promoted.Role == nil || *promoted.Role != "admin" {
		t.Fatalf("promoted: %+v", promoted)
	}
	setRole(admin, tn.AgentID, role("agent")).expect(t, http.StatusOK)

	for name, tc := range map[string]struct {
		token  string
		id     uuid.UUID
		body   any
		status int
		field  string
	}{
		"an agent changes roles":          {agent, secondAgentID, role("admin"), http.StatusForbidden, ""},
		"an admin makes an owner":         {admin, tn.AgentID, role("owner"), http.StatusForbidden, ""},
		"an admin demotes the owner":      {admin, tn.OwnerID, role("agent"), http.StatusForbidden, ""},
		"an admin changes their own role": {admin, adminID, role("owner"), http.StatusForbidden, ""},
		"the owner changes their own":     {owner, tn.OwnerID, role("agent"), http.StatusForbidden, ""},
		"unknown role":                    {owner, tn.AgentID, role("boss"), http.StatusBadRequest, "role"},
		"no role":                         {owner, tn.AgentID, map[string]any{}, http.StatusBadRequest, "role"},
		"null role":                       {owner, tn.AgentID, map[string]any{"role": nil}, http.StatusBadRequest, "role"},
		"another tenant's user":           {owner, other.AgentID, role("admin"), http.StatusNotFound, ""},
		"unknown user":                    {owner, uuid.New(), role("admin"), http.StatusNotFound, ""},
		"no token":                        {"", tn.AgentID, role("admin"), http.StatusUnauthorized, ""},
	} {
		t.Run(name, func(t *testing.T) {
			setRole(tc.token, tc.id, tc.body).expectProblem(t, tc.status, tc.field)
		})
	}
	if got := usersRoleOf(t, a, tn, tn.AgentID); got != "agent" {
		t.Fatalf("agent's role after the refused changes: %s", got)
	}
	if got := usersRoleOf(t, a, tn, tn.OwnerID); got != "owner" {
		t.Fatalf("owner's role after the refused changes: %s", got)
	}

	// Only an owner makes and unmakes owners.
	setRole(owner, adminID, role("owner")).expect(t, http.StatusOK)
	if got := usersRoleOf(t, a, tn, adminID); got != "owner" {
		t.Fatalf("co-owner's role: %s", got)
	}
	setRole(owner, adminID, role("admin")).expect(t, http.StatusOK)
	if got := usersRoleOf(t, a, tn, adminID); got != "admin" {
		t.Fatalf("former co-owner's role: %s", got)
	}
	if got := usersRoleOf(t, a, other, other.AgentID); got != "agent" {
		t.Fatalf("tenant B's agent: %s", got)
	}
}

func TestUserDelete(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	tn := dbtest.SeedTenant(t, a.db, "clinica-a")
	other := dbtest.SeedTenant(t, a.db, "clinica-b")
	adminID := tenantsMember(t, a, tn, "admin@clinica-a.example", "admin")
	admin, agent := a.token(adminID), a.token(tn.AgentID)
	remove := func(token string, id uuid.UUID) response {
		return a.do(request{method: "DELETE", path: "/api/v1/users/" + id.String(), token: token})
	}

	remove(agent, adminID).expectProblem(t, http.StatusForbidden, "")
	a.expectRefusals(t, admin, []refusal{
		{"the owner", "DELETE", "/api/v1/users/" + tn.OwnerID.String(), nil, 403, ""},
		{"themselves", "DELETE", "/api/v1/users/" + adminID.String(), nil, 403, ""},
		{"another tenant's member", "DELETE", "/api/v1/users/" + other.AgentID.String(), nil, 404, ""},
		{"unknown member", "DELETE", "/api/v1/users/" + uuid.NewString(), nil, 404, ""},
		{"malformed id", "DELETE", "/api/v1/users/x", nil, 400, "id"},
	}, tn.ID, other.ID)

	remove(admin, tn.AgentID).expect(t, http.StatusNoContent)
	a.do(request{method: "GET", path: "/api/v1/users/" + tn.AgentID.String(), token: admin}).expectProblem(t, http.StatusNotFound, "")
	remove(admin, tn.AgentID).expectProblem(t, http.StatusNotFound, "")
	// The removed agent keeps a tenantless profile and reaches nothing of the tenant.
	var me struct {
		TenantID *uuid.UUID `json:"tenant_id"`
		Email    string     `json:"email"`
	}
	a.do(request{method: "GET", path: "/api/v1/me", token: agent}).expect(t, http.StatusOK).into(t, &me)
	if me.TenantID != nil || me.Email != "agent@clinica-a.example" {
		t.Fatalf("removed agent's profile: %+v, want no tenant", me)
	}
	a.do(request{method: "GET", path: "/api/v1/contacts", token: agent}).expectProblem(t, http.StatusForbidden, "")
	// What the agent was assigned stays, unassigned.
	var assigned *uuid.UUID
	if err := a.db.Admin.QueryRow(context.Background(), `select assigned_user_id from conversations where tenant_id = $1 and id = $2`,
		tn.ID, tn.ConversationID).Scan(&assigned); err != nil {
		t.Fatal(err)
	}
	if assigned != nil {
		t.Fatalf("the conversation is still assigned to %s", assigned)
	}
	// The owner removes an owner.
	a.do(request{method: "PATCH", path: "/api/v1/users/" + adminID.String(), token: a.token(tn.OwnerID), body: map[string]any{"role": "owner"}}).expect(t, http.StatusOK)
	remove(a.token(tn.OwnerID), adminID).expect(t, http.StatusNoContent)
	if got := usersRoleOf(t, a, other, other.AgentID); got != "agent" {
		t.Fatalf("tenant B's agent: %s", got)
	}
}
