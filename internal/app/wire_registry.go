package app

// registryCaps holds the services of the registry capability.
type registryCaps struct{}

// wireRegistry builds the registry capability: its services, web module, start-up steps, demo data
// and commands.
func wireRegistry(m *Main) error {
	return nil
}
