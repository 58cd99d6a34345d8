package app

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"

	"esd/internal/badges"
	"esd/internal/domain"
	"esd/internal/idkeys"
	"esd/internal/oidc"
	"esd/internal/oidc/oidctest"
	"esd/internal/registry"
	"esd/internal/web"
)

// identityCaps holds the services of the identity capability.
type identityCaps struct {
	// OIDC is the relying party for the SPID/CIE brokers.
	OIDC *oidc.Service
	// Keys holds the platform's own keys (relying party, badge issuer).
	Keys *idkeys.Store
	// Badges issues and verifies the Open Badges 3.0 credentials.
	Badges *badges.Service
	// DemoBroker is the local test broker mounted at /demo-broker with --demo.
	DemoBroker *oidctest.Provider
}

// wireIdentity builds the SPID/CIE relying party and the Open Badges issuer. ESD_PUBLIC_URL is our public origin
// (redirect URI, JWKS); ESD_OIDC_CONFIG names a JSON file of brokers and of the roles
// without password login, applied at every start. With --demo a local test broker is
// mounted at /demo-broker and configured as the broker "demo": on its page one types the
// fiscal code to log in as (no real identity is involved).
func wireIdentity(m *Main) error {
	kek, err := idkeys.LoadKEK(os.Getenv("ESD_KEY_SECRET"), m.Config.DataDir)
	if err != nil {
		return fmt.Errorf("identity keys: %w", err)
	}
	m.Keys = &idkeys.Store{DB: m.DB, KEK: kek}
	// Keys stored in plaintext before encryption at rest are sealed at every start.
	m.starters = append(m.starters, namedFunc{"identity keys at rest", func(ctx context.Context) error {
		_, err := m.Keys.Seal(ctx)
		return err
	}})
	svc := &oidc.Service{DB: m.DB, Auth: m.Auth, Keys: m.Keys, BaseURL: os.Getenv("ESD_PUBLIC_URL")}
	m.OIDC = svc
	m.modules = append(m.modules, oidc.WebModule{S: svc})
	m.Badges = &badges.Service{DB: m.DB, Keys: m.Keys, BaseURL: os.Getenv("ESD_PUBLIC_URL"), Log: m.Log}
	// Governance is wired later: the notice goes through it when it is there.
	m.Badges.Notify = func(ctx context.Context, tx *sql.Tx, users []int64, kind, dedup, link, sIT, sEN, bIT, bEN string) error {
		if m.Governance == nil {
			return nil
		}
		return m.Governance.Notify(ctx, tx, users, kind, dedup, link, sIT, sEN, bIT, bEN)
	}
	m.modules = append(m.modules, badges.WebModule{S: m.Badges})
	m.serving = append(m.serving, func(addr string) { m.Badges.SetFallbackBase("http://" + addr) })
	// Badges are issued when earned (the triggers of migration 0820 queue them), for as long
	// as the platform runs.
	m.starters = append(m.starters, namedFunc{"badges on achievement", func(ctx context.Context) error {
		m.Badges.Background(ctx)
		return nil
	}})
	if path := os.Getenv("ESD_OIDC_CONFIG"); path != "" {
		m.starters = append(m.starters, namedFunc{"oidc brokers", func(ctx context.Context) error { return svc.LoadFile(ctx, path) }})
	}
	if m.Config.Demo {
		base := strings.TrimRight(os.Getenv("ESD_PUBLIC_URL"), "/")
		if base == "" {
			base = "http://" + m.Config.Addr
		}
		p := oidctest.New(base+"/demo-broker", "esd-demo", "esd-demo-secret-0123456789")
		p.UserInfoMode = "jws"
		m.DemoBroker = p
		m.modules = append(m.modules, demoBrokerModule{p})
		m.demos = append(m.demos, namedFunc{"identity", func(ctx context.Context) error {
			_, err := svc.SaveBroker(ctx, oidc.Broker{Code: "demo", Name: "Broker di prova (demo)", Issuer: p.Issuer, ClientID: p.ClientID,
				ClientSecret: p.ClientSecret, Enabled: true, Roles: []domain.Role{domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional}})
			if err == nil {
				m.DemoLogins = append(m.DemoLogins, DemoLogin{Role: "professional", Username: "SPID demo", Password: "codice fiscale " + registry.DemoProfessionalCF(),
					Scope: "/login → Entra con SPID o CIE"})
			}
			return err
		}})
	}
	return nil
}

// demoBrokerModule serves the local test broker inside the demo server.
type demoBrokerModule struct{ p *oidctest.Provider }

func (d demoBrokerModule) Register(r *web.Routes) {
	r.Handle("/demo-broker/", d.p.Handler("/demo-broker"))
}
