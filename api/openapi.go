package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON is the OpenAPI 3.1 document, parsed once and served as JSON.
var openAPIJSON = mustOpenAPIJSON()

// OpenAPI returns the parsed OpenAPI document.
func OpenAPI() (*openapi3.T, error) {
	return openapi3.NewLoader().LoadFromData(openAPIYAML)
}

func mustOpenAPIJSON() []byte {
	doc, err := OpenAPI()
	if err != nil {
		panic(fmt.Sprintf("api/openapi.yaml: %v", err))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("api/openapi.yaml: %v", err))
	}
	return b
}

func serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIJSON)
}
