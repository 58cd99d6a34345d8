package app

// seedCaps holds the services of the seed capability.
type seedCaps struct{}

// wireSeed builds the seed capability: its services, web module, start-up steps, demo data
// and commands.
func wireSeed(m *Main) error {
	return nil
}
