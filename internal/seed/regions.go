package seed

// regionPopulation is the resident population of each Region / Autonomous Province on
// 1 January 2024, in thousands, rounded: APPROXIMATE figures after ISTAT's demographic
// balance (demo.istat.it), used only to weight where synthetic professionals work. Keyed by
// the Ministry of Health (NSIS) region code of the regions table.
var regionPopulation = map[string]int{
	"010": 4252,  // Piemonte
	"020": 123,   // Valle d'Aosta
	"030": 10021, // Lombardia
	"041": 537,   // PA Bolzano
	"042": 545,   // PA Trento
	"050": 4852,  // Veneto
	"060": 1194,  // Friuli-Venezia Giulia
	"070": 1509,  // Liguria
	"080": 4455,  // Emilia-Romagna
	"090": 3665,  // Toscana
	"100": 856,   // Umbria
	"110": 1487,  // Marche
	"120": 5720,  // Lazio
	"130": 1273,  // Abruzzo
	"140": 289,   // Molise
	"150": 5594,  // Campania
	"160": 3890,  // Puglia
	"170": 534,   // Basilicata
	"180": 1838,  // Calabria
	"190": 4814,  // Sicilia
	"200": 1570,  // Sardegna
}

// southern regions contribute more professionals born there and working elsewhere.
var southern = map[string]bool{"130": true, "140": true, "150": true, "160": true, "170": true, "180": true, "190": true, "200": true}
