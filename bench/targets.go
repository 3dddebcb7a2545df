package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/atende/atende/auth"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// A Target is what one request, or one replayed transaction, is about: a caller of a
// tenant and rows of that tenant. The load and pgbench draw them from the same set, so
// that both spread over the same tenants, users and ids.
type Target struct {
	Kind           string // small or big: the tenant's size
	TenantID       uuid.UUID
	UserID         uuid.UUID
	Token          string // the user's access token
	Claims         string // its payload: what the server sets as request.jwt.claims
	ContactID      uuid.UUID
	ConversationID uuid.UUID
	LeadID         uuid.UUID
	Q              string // a search that finds the contact: four letters of its surname
	Phone          string // the contact's phone, the sender of a webhook delivery
	WebhookSecret  string
}

const (
	small = "small"
	big   = "big"

	targetsPerSmallTenant = 20
	bigTargets            = 2000
	tokenTTL              = 12 * time.Hour
)

// Targets are the drawn targets of each kind.
type Targets map[string][]Target

// replayVariables are the target's values a replayed transaction may take, by the names
// the pgbench script gives them; bench.targets has a column of each.
var replayVariables = []string{"tenant_id", "user_id", "claims", "contact_id", "conversation_id", "q"}

// replayValues are the target's values by the names of replayVariables.
func (t Target) replayValues() map[string]string {
	return map[string]string{
		"tenant_id": t.TenantID.String(), "user_id": t.UserID.String(), "claims": t.Claims,
		"contact_id": t.ContactID.String(), "conversation_id": t.ConversationID.String(), "q": t.Q,
	}
}

// DrawTargets mints a token for every user of the bench database and draws the targets:
// targetsPerSmallTenant per small tenant and bigTargets of the big one, each with a
// random user, contact, conversation and lead of its tenant. It writes them to
// bench.targets, where the pgbench scripts look them up.
func DrawTargets(ctx context.Context, d Database, minter *auth.Verifier) (Targets, error) {
	conn, err := pgx.Connect(ctx, d.AdminURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tenants, err := loadTenants(ctx, conn, minter)
	if err != nil {
		return nil, err
	}
	targets := Targets{}
	for _, tn := range tenants {
		kind, count := small, targetsPerSmallTenant
		if tn.big {
			kind, count = big, bigTargets
		}
		for range count {
			targets[kind] = append(targets[kind], tn.draw(kind))
		}
	}
	if len(targets[small]) == 0 || len(targets[big]) == 0 {
		return nil, fmt.Errorf("the bench database has no small or no big tenant")
	}
	return targets, writeTargets(ctx, conn, targets)
}

// tenantRows is a tenant with the rows targets are drawn from.
type tenantRows struct {
	id            uuid.UUID
	big           bool
	secret        string
	callers       []caller
	contacts      []contact
	conversations []uuid.UUID
	leads         []uuid.UUID
}

type caller struct {
	id            uuid.UUID
	token, claims string
}

type contact struct {
	id          uuid.UUID
	name, phone string
}

func (tn *tenantRows) draw(kind string) Target {
	u := tn.callers[rand.IntN(len(tn.callers))]
	c := tn.contacts[rand.IntN(len(tn.contacts))]
	return Target{
		Kind: kind, TenantID: tn.id, UserID: u.id, Token: u.token, Claims: u.claims,
		ContactID: c.id, Phone: c.phone, Q: searchFor(c.name), WebhookSecret: tn.secret,
		ConversationID: tn.conversations[rand.IntN(len(tn.conversations))],
		LeadID:         tn.leads[rand.IntN(len(tn.leads))],
	}
}

// searchFor is what someone looking for the contact types: four letters of the surname.
func searchFor(name string) string {
	words := strings.Fields(strings.ToLower(name))
	word := words[len(words)-1]
	return word[:min(4, len(word))]
}

func loadTenants(ctx context.Context, conn *pgx.Conn, minter *auth.Verifier) ([]*tenantRows, error) {
	byID := map[uuid.UUID]*tenantRows{}
	var tenants []*tenantRows
	rows, _ := conn.Query(ctx, `select t.id, t.slug = $1, s.webhook_secret
		from tenants t join tenant_secrets s on s.tenant_id = t.id order by t.slug`, bigSlug)
	tn := &tenantRows{}
	_, err := pgx.ForEachRow(rows, []any{&tn.id, &tn.big, &tn.secret}, func() error {
		t := *tn
		byID[t.id] = &t
		tenants = append(tenants, &t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load tenants: %w", err)
	}
	// Each query appends one kind of row to its tenant.
	var tenantID, id uuid.UUID
	var name, phone *string
	queries := []struct {
		sql    string
		scan   []any
		append func(*tenantRows) error
	}{
		{"select tenant_id, id from users where tenant_id is not null", []any{&tenantID, &id}, func(t *tenantRows) error {
			token, err := minter.Mint(id, tokenTTL)
			t.callers = append(t.callers, caller{id: id, token: token, claims: tokenClaims(token)})
			return err
		}},
		{"select tenant_id, id, name, phone from contacts where phone is not null", []any{&tenantID, &id, &name, &phone}, func(t *tenantRows) error {
			if name != nil {
				t.contacts = append(t.contacts, contact{id: id, name: *name, phone: *phone})
			}
			return nil
		}},
		{"select tenant_id, id from conversations", []any{&tenantID, &id}, func(t *tenantRows) error {
			t.conversations = append(t.conversations, id)
			return nil
		}},
		{"select tenant_id, id from leads_pipeline", []any{&tenantID, &id}, func(t *tenantRows) error {
			t.leads = append(t.leads, id)
			return nil
		}},
	}
	for _, q := range queries {
		rows, _ := conn.Query(ctx, q.sql)
		_, err := pgx.ForEachRow(rows, q.scan, func() error {
			if t := byID[tenantID]; t != nil {
				return q.append(t)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.sql, err)
		}
	}
	for _, t := range tenants {
		if len(t.callers) == 0 || len(t.contacts) == 0 || len(t.conversations) == 0 || len(t.leads) == 0 {
			return nil, fmt.Errorf("tenant %s lacks users, contacts, conversations or leads: reseed (drop the bench database)", t.id)
		}
	}
	return tenants, nil
}

// tokenClaims is the payload of a compact JWS, verbatim: what the server's verifier hands
// to the transaction as request.jwt.claims.
func tokenClaims(token string) string {
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		panic("auth.Mint made a token whose payload is not base64url: " + err.Error())
	}
	return string(payload)
}

// writeTargets replaces bench.targets with targets, numbered from 1 within each kind. Its
// columns are text: pgbench reads them into variables, which are text.
func writeTargets(ctx context.Context, conn *pgx.Conn, targets Targets) error {
	_, err := conn.Exec(ctx, fmt.Sprintf(`drop table if exists bench.targets;
		create table bench.targets (kind text, n integer, %s text, primary key (kind, n));
		grant select on bench.targets to atende_app`, strings.Join(replayVariables, " text, ")))
	if err != nil {
		return fmt.Errorf("create bench.targets: %w", err)
	}
	var rows [][]any
	for kind, list := range targets {
		for i, t := range list {
			row := []any{kind, i + 1}
			values := t.replayValues()
			for _, v := range replayVariables {
				row = append(row, values[v])
			}
			rows = append(rows, row)
		}
	}
	columns := append([]string{"kind", "n"}, replayVariables...)
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"bench", "targets"}, columns, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("write bench.targets: %w", err)
	}
	_, err = conn.Exec(ctx, "analyze bench.targets")
	return err
}
