package legacy

import (
	"testing"

	"github.com/google/uuid"
)

func TestIDMakerIsLegacyUUID(t *testing.T) {
	tenant := uuid.MustParse("6f1c0a52-3b0e-4c1e-9a57-1f0f5b1e2d3c")
	m := idMaker{tenantID: tenant}
	for _, table := range []string{"users", "identities", "messages", "knowledge_documents"} {
		for _, id := range []int64{0, 1, 42, 999_999, -7, 1 << 40} {
			if got, want := m.id(table, id), LegacyUUID(tenant, table, id); got != want {
				t.Errorf("id(%s, %d) = %s, want %s", table, id, got, want)
			}
		}
	}
}
