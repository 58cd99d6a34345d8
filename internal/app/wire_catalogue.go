package app

// catalogueCaps holds the services of the catalogue capability.
type catalogueCaps struct{}

// wireCatalogue builds the catalogue capability: its services, web module, start-up steps, demo data
// and commands.
func wireCatalogue(m *Main) error {
	return nil
}
