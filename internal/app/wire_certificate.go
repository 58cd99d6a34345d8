package app

import (
	"os"

	"esd/internal/certificate"
)

// certificateCaps holds the services of the certificates capability.
type certificateCaps struct {
	// Certificates issues, renders, revokes and verifies the attestati di partecipazione.
	Certificates *certificate.Service
}

// wireCertificate builds the certificates capability. The verification URL printed in the
// QR code starts with ESD_PUBLIC_URL (e.g. https://esd.salute.gov.it) when set, else with the
// address the request came to.
func wireCertificate(m *Main) error {
	svc := certificate.New(m.DB, os.Getenv("ESD_PUBLIC_URL"))
	m.Certificates = svc
	m.modules = append(m.modules, certificate.NewWebModule(svc))
	return nil
}
