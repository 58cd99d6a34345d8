package app

import (
	"os"
	"strconv"
	"time"

	"esd/internal/xapi"
)

// xapiCaps holds the services of the learning record store.
type xapiCaps struct {
	// XAPI stores xAPI statements and documents and projects completions into participations.
	XAPI *xapi.Service
}

// wireXAPI builds the LRS after participation, whose external write path it projects
// through. ESD_XAPI_RETENTION_DAYS keeps statements that many days (default: for ever).
func wireXAPI(m *Main) error {
	s := xapi.New(m.DB, m.Log)
	if m.Participation != nil {
		s.Projector = m.Participation
	}
	if v := os.Getenv("ESD_XAPI_RETENTION_DAYS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			s.Retention = time.Duration(n) * 24 * time.Hour
		}
	}
	m.XAPI = s
	m.modules = append(m.modules, xapi.WebModule{S: s})
	return nil
}
