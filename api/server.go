// Package api is Atende's HTTP API on Echo: Supabase token authentication, tenant
// resolution by host, and thin handlers that decode and validate a request, make one
// data-layer call inside the caller's transaction and encode the answer.
package api

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/atende/atende/auth"
	"github.com/atende/atende/db"
	"github.com/atende/atende/delivery"
	"github.com/atende/atende/live"
	"github.com/atende/atende/whatsapp"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// Config is the API's configuration.
type Config struct {
	// BaseDomain is APP_BASE_DOMAIN: <slug>.<BaseDomain> is a tenant's site.
	BaseDomain string
	// RequestTimeout bounds each request's database work.
	RequestTimeout time.Duration
	// BodyLimit is the largest request body accepted, e.g. "1M".
	BodyLimit string
	// CursorKey signs pagination cursors; random when empty (cursors then do not survive
	// a restart).
	CursorKey []byte
	// Resolver looks up the TXT records that prove a custom domain; net.DefaultResolver
	// when nil.
	Resolver TXTResolver
	// CORSAllowedOrigins are the browser origins allowed to call the API: exact origins
	// and https://*.example.com patterns (CORS_ALLOWED_ORIGINS).
	CORSAllowedOrigins []string
	// Events follows the database's live events for GET /api/v1/events; nil answers that
	// route 503.
	Events *live.Hub
	// Delivery stores replies and launches campaigns with the jobs that send them.
	Delivery *delivery.Delivery
	// WhatsApp is the platform's Meta app.
	WhatsApp WhatsAppConfig
	// Invites asks Supabase Auth to email new invitations; nil when not configured
	// (SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY), and then the invitation is only
	// stored.
	Invites *auth.Admin
	// Fairness limits users and tenants; DefaultFairness for the pool's size when zero.
	Fairness Fairness
}

// TXTResolver looks up DNS TXT records, as *net.Resolver does.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Server holds what the handlers share.
type Server struct {
	cfg     Config
	db      db.DB
	tokens  *auth.Verifier
	hosts   *hostResolver
	cursors cursorCodec
	// webhookKeys caches the tenants' webhook secrets.
	webhookKeys *webhookKeys
	// users, tenants and userTenants enforce cfg.Fairness.
	users       *userLimits
	tenants     *tenantGate
	userTenants *userTenants
}

// New builds the Echo application: middleware, then every route.
func New(cfg Config, database db.DB, tokens *auth.Verifier) *echo.Echo {
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "1M"
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.WhatsApp.Graph == nil {
		cfg.WhatsApp.Graph = whatsapp.NewClient("", 30*time.Second)
	}
	if cfg.Fairness == (Fairness{}) && database.Pool != nil {
		cfg.Fairness = DefaultFairness(int(database.Pool.Config().MaxConns))
	}
	if len(cfg.CursorKey) == 0 {
		cfg.CursorKey = make([]byte, 32)
		rand.Read(cfg.CursorKey)
	}
	s := &Server{
		cfg:         cfg,
		db:          database,
		tokens:      tokens,
		hosts:       newHostResolver(cfg.BaseDomain, database, time.Minute),
		cursors:     cursorCodec{key: cfg.CursorKey},
		webhookKeys: newWebhookKeys(database),
		users:       &userLimits{rate: rate.Limit(cfg.Fairness.UserRate), burst: cfg.Fairness.UserBurst, users: map[uuid.UUID]*rate.Limiter{}},
		tenants:     &tenantGate{limit: cfg.Fairness.TenantInFlight, queue: cfg.Fairness.TenantQueue, tenants: map[uuid.UUID]*tenantSlots{}},
		userTenants: &userTenants{tenants: map[uuid.UUID]uuid.UUID{}},
	}

	if cfg.Events != nil {
		cfg.Events.OnTenantChange(s.hosts.forget)
		cfg.Events.OnTenantChange(s.webhookKeys.forget)
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = handleError
	e.Use(
		middleware.RequestID(),
		accessLog(),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableErrorHandler: true,
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				slog.ErrorContext(c.Request().Context(), "panic", "error", err, "stack", string(stack))
				return problem(http.StatusInternalServerError, "internal error")
			},
		}),
		cors(cfg.CORSAllowedOrigins),
		middleware.BodyLimit(cfg.BodyLimit),
		s.deadline,
	)
	s.routes(e)
	return e
}

// deadline bounds the request's context, and so every database call it makes. The
// event stream is long-lived by design: it bounds its own database work.
func (s *Server) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() == eventStreamPath {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// accessLog writes one structured line per request.
func accessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURIPath: true, LogStatus: true, LogLatency: true, LogRequestID: true, LogHost: true,
		// Answer errors here, so that the status logged is the one sent.
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			slog.InfoContext(c.Request().Context(), "request",
				"method", v.Method, "path", v.URIPath, "host", v.Host, "status", v.Status,
				"latency_ms", v.Latency.Milliseconds(), "request_id", v.RequestID)
			return nil
		},
	})
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the database answers.
func (s *Server) readyz(c echo.Context) error {
	if err := s.db.Pool.Ping(c.Request().Context()); err != nil {
		return problem(http.StatusServiceUnavailable, "the database is not reachable")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
