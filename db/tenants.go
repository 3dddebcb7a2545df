package db

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// defaultSettings are the settings every new tenant starts with.
var defaultSettings = map[string]json.RawMessage{
	"locale":   json.RawMessage(`"pt-BR"`),
	"timezone": json.RawMessage(`"America/Sao_Paulo"`),
}

// CreateTenant creates a tenant with everything a tenant needs — its webhook secret,
// the default AI configuration and the default settings — on q, which should be a
// service-role transaction so that it all lands or none of it does.
func CreateTenant(ctx context.Context, q *Queries, p TenantCreateParams) (Tenant, error) {
	if p.TenantID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return Tenant{}, fmt.Errorf("tenant id: %w", err)
		}
		p.TenantID = id
	}
	if p.Theme == nil {
		p.Theme = json.RawMessage(`{}`)
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
