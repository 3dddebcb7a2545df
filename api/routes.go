package api

import "github.com/labstack/echo/v4"

// routes registers every route. The OpenAPI document must describe exactly these
// (TestOpenAPIMatchesRoutes), and the isolation matrix probes every one that takes an id.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", serveOpenAPI)
	s.tenantRoutes(v1)
	s.setupRoutes(v1)
	s.userRoutes(v1)
	s.invitationRoutes(v1)
	s.contactRoutes(v1)
	s.leadRoutes(v1)
	s.conversationRoutes(v1)
	s.messageRoutes(v1)
	s.webhookRoutes(v1)  // no token: signed per tenant
	s.whatsAppRoutes(v1) // its webhook signed with the Meta app's secret
	s.campaignRoutes(v1)
	s.aiConfigRoutes(v1)
	s.knowledgeRoutes(v1)
	s.settingRoutes(v1)
	s.eventRoutes(v1)
}
