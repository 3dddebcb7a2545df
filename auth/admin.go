package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrAccountExists: Supabase Auth already has an account with the email.
var ErrAccountExists = errors.New("an account with this email already exists")

// Admin calls Supabase Auth's admin endpoints with the project's service role key
// (SUPABASE_SERVICE_ROLE_KEY): the backend asks Auth to do what only Auth should, such
// as emailing an invitation.
type Admin struct {
	// SupabaseURL is the project URL; Auth answers under /auth/v1.
	SupabaseURL    string
	ServiceRoleKey string
	// HTTPClient makes the calls; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Invite asks Supabase Auth to email an invitation to email (POST /auth/v1/invite):
// Auth creates the account unconfirmed, and following the link confirms the address —
// which is when the database lets the person join the tenant that invited them. An email
// that already has an account is ErrAccountExists: that person signs in and accepts.
func (a *Admin) Invite(ctx context.Context, email string) error {
	body, err := json.Marshal(map[string]string{"email": email})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(a.SupabaseURL, "/")+"/auth/v1/invite", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("apikey", a.ServiceRoleKey)
	req.Header.Set("Authorization", "Bearer "+a.ServiceRoleKey)
	client := a.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode == http.StatusOK {
		return nil
	}
	var authErr struct {
		ErrorCode string `json:"error_code"`
	}
	if json.Unmarshal(answer, &authErr) == nil && authErr.ErrorCode == "email_exists" {
		return ErrAccountExists
	}
	return fmt.Errorf("invite: Supabase Auth answered %s: %s", res.Status, answer)
}
