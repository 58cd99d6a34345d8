package app

// assessmentCaps holds the services of the assessment capability.
type assessmentCaps struct{}

// wireAssessment builds the assessment capability: its services, web module, start-up steps, demo data
// and commands.
func wireAssessment(m *Main) error {
	return nil
}
