package db

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The kinds of failure a caller can cause; test with errors.Is. Each maps to one HTTP
// status in the API.
var (
	ErrNotFound         = errors.New("not found")
	ErrConflict         = errors.New("conflicts with an existing row")
	ErrInvalidReference = errors.New("references a row that does not exist")
	ErrInvalidInput     = errors.New("invalid input")
	ErrPermission       = errors.New("permission denied")
)

// Error is a PostgreSQL error classified as one of the kinds above. Constraint and
// Column name what was violated, so a response can name the offending field.
type Error struct {
	Kind       error
	Constraint string
	Column     string
	Detail     string
	Err        error
}

func (e *Error) Error() string {
	if e.Constraint != "" {
		return fmt.Sprintf("%v (%s): %v", e.Kind, e.Constraint, e.Err)
	}
	return fmt.Sprintf("%v: %v", e.Kind, e.Err)
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
}

// MapError classifies err: pgx.ErrNoRows becomes ErrNotFound and a PostgreSQL error with
// a known SQLSTATE an *Error of its kind. Other errors (connection, cancellation) and
// errors already classified are returned unchanged.
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
	kind, ok := pgErrorKinds[pgErr.Code]
	if !ok {
		return err
	}
	return &Error{Kind: kind, Constraint: pgErr.ConstraintName, Column: pgErr.ColumnName, Detail: pgErr.Detail, Err: err}
}
