package app

// portfolioCaps holds the services of the portfolio capability.
type portfolioCaps struct{}

// wirePortfolio builds the portfolio capability: its services, web module, start-up steps, demo data
// and commands.
func wirePortfolio(m *Main) error {
	return nil
}
