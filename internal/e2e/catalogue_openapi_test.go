package e2e

import (
	"encoding/json"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
)

func TestCatalogueOpenAPIOps(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	c := env.Client().Login("admin", apptest.AdminPassword)
	r := c.Get("/api/v1/openapi.json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/events", "/api/v1/events/{id}", "/api/v1/events/{id}/accredit", "/api/v1/events/import", "/api/v1/catalogue/analysis", "/api/v1/catalogue/recommendations", "/api/v1/catalogue/credits"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}
