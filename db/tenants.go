package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/atende/atende/input"
	"github.com/google/uuid"
)

// NewTenant is what a tenant is created from, as typed: CreateTenant normalises and
// checks every field.
type NewTenant struct {
	// ID is the tenant's id; a new UUIDv7 when nil.
	ID           uuid.UUID
	Name         string
	Slug         string
	CustomDomain *string
	LogoURL      *string
	Theme        json.RawMessage
	// BaseDomain is APP_BASE_DOMAIN: a custom domain may not be under it.
	BaseDomain string
}

// defaultSettings are the settings every new tenant starts with.
var defaultSettings = map[string]json.RawMessage{
	"locale":   json.RawMessage(`"pt-BR"`),
	"timezone": json.RawMessage(`"America/Sao_Paulo"`),
}

// CreateTenant is the one way a tenant is made — by setup in the API, by the command
// line and by the V1.5 importer: the fields are checked (an *input.Error names the one
// at fault), then the tenant is created with everything a tenant needs: its webhook
// secret, the default AI configuration and the default settings. q should be a
// privileged transaction (service_role or the owner) so that it all lands or none of it
// does. A custom domain starts unverified.
func CreateTenant(ctx context.Context, q *Queries, t NewTenant) (Tenant, error) {
	p, err := t.params()
	if err != nil {
		return Tenant{}, err
	}
	tenant, err := q.TenantCreate(ctx, p)
	if err != nil {
		return Tenant{}, err
	}
	if _, err := q.TenantSecretCreate(ctx, tenant.ID); err != nil {
		return Tenant{}, err
	}
	if err := q.AIConfigCreateDefault(ctx, tenant.ID); err != nil {
		return Tenant{}, err
	}
	for key, value := range defaultSettings {
		if _, err := q.SystemSettingUpsert(ctx, SystemSettingUpsertParams{TenantID: tenant.ID, Key: key, Value: value}); err != nil {
			return Tenant{}, err
		}
	}
	return tenant, nil
}

// ErrAlreadyMember refuses a tenant to a user who already belongs to one.
var ErrAlreadyMember = &Error{Kind: ErrConflict, Reason: "you already belong to a tenant; a user belongs to one tenant only"}

// RefusedError: the caller's account may not act now, as private.caller_refusal says
// (deleted, banned, or their tenant suspended).
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "the caller is refused: " + e.Reason }

// CreateOwnTenant is "Setup de Novo Cliente": user, who belongs to no tenant, creates
// one (CreateTenant) and becomes its owner. q is a service-role transaction on the
// user's behalf (DB.AsServiceFor), so the tenant and its owner land together or not at
// all. A user gone is ErrNoProfile, one refused a *RefusedError, one already a member
// ErrAlreadyMember (also when a concurrent setup of theirs committed first).
func CreateOwnTenant(ctx context.Context, q *Queries, userID uuid.UUID, t NewTenant) (Tenant, error) {
	caller, err := q.UserGetCaller(ctx, userID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Tenant{}, ErrNoProfile
	case err != nil:
		return Tenant{}, err
	case caller.Refusal != "":
		return Tenant{}, &RefusedError{Reason: caller.Refusal}
	case caller.User.TenantID != nil:
		return Tenant{}, ErrAlreadyMember
	}
	tenant, err := CreateTenant(ctx, q, t)
	if err != nil {
		return Tenant{}, err
	}
	// The attach updates only a profile still without a tenant.
	_, err = q.UserAttachToTenant(ctx, UserAttachToTenantParams{TenantID: tenant.ID, Role: UserRoleOwner, ID: userID})
	if errors.Is(err, ErrNotFound) {
		return Tenant{}, ErrAlreadyMember
	}
	return tenant, err
}

// params checks and normalises the new tenant's fields.
func (t NewTenant) params() (TenantCreateParams, error) {
	p := TenantCreateParams{TenantID: t.ID, Theme: t.Theme}
	var err error
	if p.Name, err = input.TenantName(t.Name); err != nil {
		return p, err
	}
	if p.Slug, err = input.Slug(t.Slug); err != nil {
		return p, err
	}
	if t.CustomDomain != nil {
		domain, err := input.CustomDomain(*t.CustomDomain, t.BaseDomain)
		if err != nil {
			return p, err
		}
		p.CustomDomain = &domain
	}
	if t.LogoURL != nil {
		logo, err := input.HTTPSURL("logo_url", *t.LogoURL)
		if err != nil {
			return p, err
		}
		p.LogoUrl = &logo
	}
	if p.Theme == nil {
		p.Theme = json.RawMessage(`{}`)
	}
	if p.TenantID == uuid.Nil {
		if p.TenantID, err = uuid.NewV7(); err != nil {
			return p, fmt.Errorf("tenant id: %w", err)
		}
	}
	return p, nil
}

// NewInvitation is an invitation to join a tenant, as typed.
type NewInvitation struct {
	TenantID uuid.UUID
	Email    string
	// Role is admin or agent (agent when empty): owners are made by promoting a member.
	Role UserRole
	// InvitedBy is the member who invites; nil for the platform (the command line).
	InvitedBy *uuid.UUID
}

// CreateInvitation is the one way an invitation is made, by an admin in the API or by
// the command line: the email is checked and normalised (an *input.Error names the
// field at fault) and the invitation expires on the default date. The database refuses
// an email that is already a member, or that has a pending invitation.
func CreateInvitation(ctx context.Context, q *Queries, inv NewInvitation) (Invitation, error) {
	email, err := input.Email("email", inv.Email)
	if err != nil {
		return Invitation{}, err
	}
	switch inv.Role {
	case "":
		inv.Role = UserRoleAgent
	case UserRoleAdmin, UserRoleAgent:
	default:
		return Invitation{}, &input.Error{Field: "role", Reason: "role must be one of admin, agent (owners are made by promoting a member)"}
	}
	return q.InvitationCreate(ctx, InvitationCreateParams{TenantID: inv.TenantID, Email: email, Role: inv.Role, InvitedByUserID: inv.InvitedBy})
}
