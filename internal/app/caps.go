package app

// caps holds the services of every capability, each added by its wire_*.go file. It is a
// separate struct so that each capability adds its field here on one line of its own.
type caps struct {
	registryCaps
	portfolioCaps
	personaCaps
	assessmentCaps
	catalogueCaps
	creditsCaps
	participationCaps
	certificateCaps
	identityCaps
	seedCaps
	monitorCaps
	indicatorsCaps
	governanceCaps
	xapiCaps
	exportsCaps
	privacyCaps
}
