package db

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The kinds of failure a caller can cause; test with errors.Is. Each maps to one HTTP
// status in the API.
var (
	ErrNotFound         = errors.New("not found")
	ErrConflict         = errors.New("conflicts with an existing row")
	ErrInvalidInput     = errors.New("invalid input")
	ErrInvalidReference = errors.New("references a row that does not exist")
	ErrPermission       = errors.New("permission denied")
	// ErrBusy: a statement ran past its statement_timeout or waited past its
	// lock_timeout (see DB); trying again later may succeed.
	ErrBusy = errors.New("the database is busy")
)

// Error is a PostgreSQL error classified as one of the kinds above. Field names the
// request field at fault, when known, and Reason says what is wrong in words a user
// understands.
type Error struct {
	Kind       error
	Constraint string
	Field      string
	Reason     string
	Err        error
}

func (e *Error) Error() string {
	if e.Constraint != "" {
		return fmt.Sprintf("%s (%s)", e.Reason, e.Constraint)
	}
	return e.Reason
}

func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// pgErrorKinds classifies SQLSTATE codes (PostgreSQL appendix A).
var pgErrorKinds = map[string]error{
	"23505": ErrConflict,         // unique_violation
	"23P01": ErrConflict,         // exclusion_violation
	"23503": ErrInvalidReference, // foreign_key_violation
	"23502": ErrInvalidInput,     // not_null_violation
	"23514": ErrInvalidInput,     // check_violation
	"22P02": ErrInvalidInput,     // invalid_text_representation: bad enum value or UUID
	"22001": ErrInvalidInput,     // string_data_right_truncation
	"22003": ErrInvalidInput,     // numeric_value_out_of_range
	"22007": ErrInvalidInput,     // invalid_datetime_format
	"22008": ErrInvalidInput,     // datetime_field_overflow
	"22021": ErrInvalidInput,     // character_not_in_repertoire: e.g. NUL in text
	"22023": ErrInvalidInput,     // invalid_parameter_value
	"22P05": ErrInvalidInput,     // untranslatable_character
	"2202E": ErrInvalidInput,     // array_subscript_error
	"42501": ErrPermission,       // insufficient_privilege, including RLS WITH CHECK
	"55P03": ErrBusy,             // lock_not_available: lock_timeout
	"57014": ErrBusy,             // query_canceled: statement_timeout
}

// stateConstraints are checks on a row's state rather than on a value: breaking one
// conflicts with what the row is now (a finished campaign, a delivered message).
var stateConstraints = map[string]bool{
	"campaigns_status_transition": true,
	"campaigns_content_fixed":     true,
	"messages_status_monotonic":   true,
}

// constraintFields names the request field behind a constraint, for constraints whose
// column PostgreSQL does not report (unique and check constraints, rule triggers).
var constraintFields = map[string]string{
	"contacts_tenant_id_phone_key":                          "phone",
	"contacts_phone_check":                                  "phone",
	"contacts_email_check":                                  "email",
	"contacts_name_check":                                   "name",
	"tenants_slug_key":                                      "slug",
	"tenants_slug_check":                                    "slug",
	"tenants_slug_not_reserved":                             "slug",
	"tenants_custom_domain_verified_key":                    "custom_domain",
	"tenants_custom_domain_check":                           "custom_domain",
	"tenants_logo_url_https":                                "logo_url",
	"users_avatar_url_https":                                "avatar_url",
	"invitations_tenant_id_email_pending_key":               "email",
	"invitations_email_check":                               "email",
	"invitations_email_not_member":                          "email",
	"invitations_role_check":                                "role",
	"system_settings_key_check":                             "key",
	"campaigns_status_transition":                           "status",
	"leads_pipeline_tenant_id_contact_id_fkey":              "contact_id",
	"leads_pipeline_tenant_id_owner_user_id_fkey":           "owner_user_id",
	"conversations_tenant_id_contact_id_fkey":               "contact_id",
	"conversations_tenant_id_assigned_user_id_fkey":         "assigned_user_id",
	"conversations_tenant_id_contact_id_channel_active_key": "contact_id",
	"channel_accounts_phone_number_id_key":                  "phone_number_id",
}

// constraintReasons say why, for constraints whose PostgreSQL message is not written
// for users. The rules the schema raises itself (RAISE in private functions) have
// messages that are, and keep them.
var constraintReasons = map[string]string{
	"contacts_tenant_id_phone_key":                          "another contact has this phone number",
	"tenants_slug_key":                                      "another tenant has this slug",
	"tenants_slug_not_reserved":                             "this slug is reserved for the platform",
	"tenants_custom_domain_verified_key":                    "another tenant has verified this domain",
	"tenants_logo_url_https":                                "logo_url must be an https URL",
	"users_avatar_url_https":                                "avatar_url must be an https URL",
	"invitations_tenant_id_email_pending_key":               "this email already has a pending invitation",
	"conversations_tenant_id_contact_id_channel_active_key": "the contact already has an open conversation on this channel",
	"channel_accounts_phone_number_id_key":                  "another tenant has connected this WhatsApp number",
}

// MapError classifies err: pgx.ErrNoRows and PostgreSQL's no_data_found become
// ErrNotFound, and a PostgreSQL error with a known SQLSTATE an *Error of its kind. Other
// errors (connection, cancellation) and errors already classified are returned unchanged.
func MapError(err error) error {
	var classified *Error
	if err == nil || errors.Is(err, ErrNotFound) || errors.As(err, &classified) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	if pgErr.Code == "P0002" { // no_data_found, raised by the schema's functions
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	kind, ok := pgErrorKinds[pgErr.Code]
	if !ok {
		return err
	}
	constraint := constraintName(pgErr)
	if stateConstraints[constraint] {
		kind = ErrConflict
	}
	field := pgErr.ColumnName
	if f, ok := constraintFields[constraint]; ok {
		field = f
	}
	return &Error{Kind: kind, Constraint: constraint, Field: field, Reason: reason(pgErr, constraint, kind, field), Err: err}
}

// citusConstraint finds the constraint in the message of an error a Citus worker raised,
// without the suffix of the shard's copy ("contacts_tenant_id_phone_key_102008").
var citusConstraint = regexp.MustCompile(`constraint "([^"]+?)(?:_[0-9]+)?"`)

// constraintName is the constraint the error names. Citus relays a worker's error
// ("while executing command on <worker>") without its constraint field, so the name is
// then read from the message.
func constraintName(pgErr *pgconn.PgError) string {
	if pgErr.ConstraintName != "" || !strings.HasPrefix(pgErr.Where, "while executing command on ") {
		return pgErr.ConstraintName
	}
	if m := citusConstraint.FindStringSubmatch(pgErr.Message); m != nil {
		return m[1]
	}
	return ""
}

// reason words the error for the caller.
func reason(pgErr *pgconn.PgError, constraint string, kind error, field string) string {
	if r, ok := constraintReasons[constraint]; ok {
		return r
	}
	if pgErr.Routine == "exec_stmt_raise" { // a RAISE in the schema's own functions
		return pgErr.Message
	}
	if field != "" {
		return fmt.Sprintf("%s %v", strings.ReplaceAll(field, "_", " "), kind)
	}
	return kind.Error()
}
