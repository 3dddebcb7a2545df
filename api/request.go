package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/atende/atende/input"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// validator is implemented by request bodies with rules beyond their types.
type validator interface {
	validate() error
}

// decodeJSON reads the request body into dst strictly: malformed JSON, a value of the
// wrong type and an unknown field are each a 400 naming the field; then dst validates
// itself.
func decodeJSON(c echo.Context, dst any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return decodeProblem(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		p := decodeProblem(err)
		if p, ok := p.(*Problem); ok && p.Field == "" && p.Status == http.StatusBadRequest {
			p.Field = culpritField(dst, body)
		}
		return p
	}
	if dec.More() {
		return fieldProblem("", "the body must hold one JSON value")
	}
	if v, ok := dst.(validator); ok {
		return v.validate()
	}
	return nil
}

func decodeProblem(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	var fieldErr *Problem
	var httpErr *echo.HTTPError
	switch {
	case errors.As(err, &fieldErr):
		return fieldErr
	case errors.As(err, &httpErr): // the body limit, for a streamed body
		return toProblem(httpErr)
	case errors.Is(err, io.EOF):
		return fieldProblem("", "the request body is empty; it must be a JSON object")
	case errors.As(err, &maxErr):
		return problem(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", maxErr.Limit)
	case errors.As(err, &syntaxErr):
		return fieldProblem("", "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fieldProblem("", "malformed JSON: the body ends too soon")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return fieldProblem("", "the body must be a JSON object")
		}
		return fieldProblem(field, "%s must be %s, not %s", field, jsonKind(typeErr.Type.String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldProblem(field, "unknown field %s", field)
	default:
		return fieldProblem("", "malformed JSON: %v", err)
	}
}

// culpritField finds which top-level field of body dst's type refuses, for the decoding
// errors that do not say (e.g. a malformed UUID or time): each field is decoded alone
// into a value of its Go type.
func culpritField(dst any, body []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return ""
	}
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		raw, ok := fields[name]
		if !ok || name == "" {
			continue
		}
		if json.Unmarshal(raw, reflect.New(t.Field(i).Type).Interface()) != nil {
			return name
		}
	}
	return ""
}

// bodyUUID parses an optional UUID field of a request body that was decoded as text.
func bodyUUID(field string, raw *string) (*uuid.UUID, error) {
	if raw == nil {
		return nil, nil
	}
	id, err := parseUUID(*raw, field)
	return &id, err
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "string"), strings.Contains(goType, "UUID"), strings.Contains(goType, "Time"):
		return "a string"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"), strings.Contains(goType, "Numeric"):
		return "a number"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	case strings.HasPrefix(goType, "[]"), strings.Contains(goType, "[]"):
		return "an array"
	default:
		return "an object"
	}
}

// Optional is a PATCH field: Set tells an absent field (keep the value) from one sent as
// null (clear it, Value nil).
type Optional[T any] struct {
	Set   bool
	Value *T
}

func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

// notNull rejects null for a PATCH field that may be left out but not cleared.
func notNull[T any](field string, o Optional[T]) error {
	if o.Set && o.Value == nil {
		return fieldProblem(field, "%s cannot be null", field)
	}
	return nil
}

// pathID parses the :id path parameter.
func pathID(c echo.Context) (uuid.UUID, error) {
	return parseUUID(c.Param("id"), "id")
}

func parseUUID(raw, field string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.Nil, fieldProblem(field, "%s must be a UUID", field)
	}
	return id, nil
}

// queryUUID parses an optional UUID query parameter.
func queryUUID(c echo.Context, name string) (*uuid.UUID, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return nil, nil
	}
	id, err := parseUUID(raw, name)
	return &id, err
}

// enumValue checks a value of a generated enum type.
func enumValue[T interface{ Valid() bool }](field string, v T, all []T) error {
	if v.Valid() {
		return nil
	}
	names := make([]string, len(all))
	for i, a := range all {
		names[i] = fmt.Sprint(a)
	}
	return fieldProblem(field, "%s must be one of %s", field, strings.Join(names, ", "))
}

// required reports a missing or empty required field.
func required(field string, present bool) error {
	if present {
		return nil
	}
	return fieldProblem(field, "%s is required", field)
}

// queryInt parses an optional integer query parameter within [lo, hi].
func queryInt(c echo.Context, name string, fallback, lo, hi int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, fieldProblem(name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// optional applies a rule of package input to an optional field: nil stays nil.
func optional(v *string, rule func(string) (string, error)) (*string, error) {
	if v == nil {
		return nil, nil
	}
	checked, err := rule(*v)
	if err != nil {
		return nil, err
	}
	return &checked, nil
}

// queryTime parses an optional RFC 3339 query parameter.
func queryTime(c echo.Context, name string) (*time.Time, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return nil, nil
	}
	t, err := input.Time(name, raw)
	return &t, err
}
