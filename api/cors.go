package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// cors lets the browser origins of CORS_ALLOWED_ORIGINS call the API: exact origins
// ("https://app.example.com") and subdomain patterns ("https://*.example.com", which
// the tenants' sites are). No origin is allowed when the list is empty.
func cors(allowed []string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOriginFunc: func(origin string) (bool, error) { return originAllowed(allowed, origin), nil },
		AllowMethods:    []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowHeaders:    []string{echo.HeaderAuthorization, echo.HeaderContentType, "Last-Event-ID", siteHeader},
		ExposeHeaders:   []string{echo.HeaderXRequestID, "Retry-After"},
		MaxAge:          600,
	})
}

// originAllowed matches an Origin header against the allowed origins and patterns.
func originAllowed(allowed []string, origin string) bool {
	for _, pattern := range allowed {
		if origin == pattern {
			return true
		}
		scheme, rest, ok := strings.Cut(pattern, "://*.")
		if !ok {
			continue
		}
		// "https://*.example.com" takes any subdomain, at any depth, of example.com,
		// with the same scheme (and port, when the pattern names one).
		if host, ok := strings.CutPrefix(origin, scheme+"://"); ok && strings.HasSuffix(host, "."+rest) &&
			len(host) > len(rest)+1 && !strings.ContainsAny(strings.TrimSuffix(host, "."+rest), "/:@") {
			return true
		}
	}
	return false
}
