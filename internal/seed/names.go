package seed

// Name lists for synthetic professionals. They are common Italian surnames and first names
// of people born between the late 1950s and 2000 (the working health workforce), in rough
// order of frequency; weights fall with rank (Zipf), so Rossi and Giuseppe are common and
// the tail is rare. Regional lists add the surnames typical of a region (Sardinian,
// South Tyrolean, Calabrian…), including the accented and apostrophised forms the codice
// fiscale and the searches must handle. Synthetic data: any resemblance to real persons
// comes only from how common these names are.

var nationalSurnames = []string{
	"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
	"Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
	"Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone",
	"Longo", "Gentile", "Martinelli", "Vitale", "Lombardo", "Serra", "Coppola", "De Santis", "D'Angelo", "Marchetti",
	"Parisi", "Villa", "Conte", "Ferraro", "Ferri", "Fabbri", "Bianco", "Marini", "Grasso", "Valentini",
	"Messina", "Sala", "De Angelis", "Gatti", "Pellegrini", "Palumbo", "Sanna", "Farina", "Rizzi", "Monti",
	"Cattaneo", "Morelli", "Amato", "Silvestri", "Mazza", "Testa", "Grassi", "Pellegrino", "Carbone", "Giuliani",
	"Benedetti", "Barone", "Rossetti", "Caputo", "Montanari", "Guerra", "Palmieri", "Bernardi", "Martino", "Fiore",
	"De Rosa", "Ferretti", "Bellini", "Basile", "Riva", "Donati", "Piras", "Vitali", "Battaglia", "Sartori",
	"Neri", "Costantini", "Milani", "Pagano", "Ruggiero", "Sorrentino", "D'Amico", "Orlando", "Negri", "Mele",
	"Pace", "Fumagalli", "Bellucci", "Cirillo", "Marchi", "Di Stefano", "Lo Presti", "La Rosa", "Dell'Acqua", "Dall'Olio",
	"Di Giovanni", "Del Vecchio", "Serafini", "Ferro", "Bassi", "Cocco", "Moro", "Fabbro", "Zanetti", "Capone",
	"Cristiani", "Lazzari", "Guidi", "Rota", "Bonetti", "Pizzi", "Mazzoni", "Giorgi", "Tosi", "Cavallo",
}

var regionalSurnames = map[string][]string{
	"010": {"Ferrero", "Bianco", "Gallo", "Operti", "Boero", "Rosso", "Bosio", "Giordano", "Bertolino", "Ghione"},
	"020": {"Bionaz", "Cerise", "Jacquemod", "Perrin", "Vallet", "Lucianaz", "Chabod", "Marguerettaz"},
	"030": {"Colombo", "Brambilla", "Fumagalli", "Cattaneo", "Galli", "Villa", "Sala", "Riva", "Bonomi", "Brivio", "Crippa", "Mauri", "Ferrario", "Sironi"},
	"041": {"Hofer", "Gruber", "Pichler", "Mair", "Huber", "Kofler", "Egger", "Thaler", "Oberhofer", "Mayr", "Rainer", "Plank", "Messner", "Kerschbaumer"},
	"042": {"Moser", "Pedrotti", "Bertoldi", "Zeni", "Tomasi", "Fedrizzi", "Dalpiaz", "Broseghini", "Cristofolini"},
	"050": {"Zanella", "Zanetti", "Bortolin", "Furlan", "Zampieri", "Pavan", "Favaro", "Bianchin", "Marcon", "Scarpa", "Trevisan", "Zanon", "Dal Bosco"},
	"060": {"Furlan", "Zanin", "Del Fabbro", "Fabris", "Cargnelutti", "Candotti", "Zorzi", "Tomasin"},
	"070": {"Parodi", "Bruzzone", "Canepa", "Repetto", "Pastorino", "Traverso", "Ottonello", "Oliveri"},
	"080": {"Fabbri", "Montanari", "Bertozzi", "Righi", "Pancaldi", "Vandelli", "Malagoli", "Guidetti", "Benassi", "Zanotti"},
	"090": {"Innocenti", "Bartolini", "Lenzi", "Cecchi", "Fantoni", "Giannini", "Niccolai", "Nencini", "Mugnai", "Bandini"},
	"100": {"Bartolini", "Mencarelli", "Proietti", "Bianconi", "Tomassini", "Pompili"},
	"110": {"Santarelli", "Marinelli", "Pierini", "Cesaroni", "Paolucci", "Carloni"},
	"120": {"Proietti", "Mariani", "Pietrangeli", "Bonanni", "Mattei", "Cerqua", "Mancini", "Ricci"},
	"130": {"Di Giovanni", "Di Battista", "Di Pietro", "D'Alessandro", "De Berardinis", "Di Marco", "Di Carlo", "Di Nicola"},
	"140": {"Di Iorio", "Petrella", "D'Ambrosio", "Iannacone", "Di Lalla"},
	"150": {"Esposito", "Russo", "De Luca", "Romano", "Coppola", "Sorrentino", "Cirillo", "Iovine", "Capasso", "D'Alessandro", "Della Corte", "Di Maio", "Cozzolino", "Scognamiglio"},
	"160": {"De Santis", "Greco", "Leo", "Lorusso", "Caputo", "Losito", "Colucci", "D'Errico", "Mastrangelo", "Quarta", "De Giorgi", "Perrone"},
	"170": {"Summa", "Laurino", "Mecca", "Colangelo", "Salvia", "Lorusso"},
	"180": {"Romeo", "Morabito", "Laganà", "Fotì", "Cutrì", "Minniti", "Scordo", "Barillà", "Crupi", "Arcuri"},
	"190": {"Russo", "Lombardo", "Messina", "Caruso", "La Rosa", "Lo Presti", "Scalia", "Musumeci", "Cusumano", "Sciortino", "Lo Cascio", "Giuffrida", "Randazzo", "Spanò"},
	"200": {"Sanna", "Piras", "Melis", "Pinna", "Serra", "Deiana", "Murgia", "Fadda", "Mura", "Porcu", "Loi", "Floris", "Carta", "Atzeni", "Usai", "Orrù"},
}

var maleNames = []string{
	"Giuseppe", "Giovanni", "Antonio", "Mario", "Luca", "Marco", "Francesco", "Andrea", "Alessandro", "Paolo",
	"Roberto", "Stefano", "Angelo", "Massimo", "Salvatore", "Vincenzo", "Fabio", "Davide", "Matteo", "Simone",
	"Giorgio", "Riccardo", "Claudio", "Michele", "Daniele", "Lorenzo", "Pietro", "Carlo", "Federico", "Emanuele",
	"Domenico", "Gianluca", "Alberto", "Maurizio", "Nicola", "Sergio", "Luigi", "Raffaele", "Enrico", "Filippo",
	"Gabriele", "Nicolò", "Mattia", "Giacomo", "Cristian", "Fabrizio", "Alessio", "Tommaso", "Pasquale", "Gennaro",
	"Gian Marco", "Gianfranco", "Ivan", "Diego", "Valerio",
}

var femaleNames = []string{
	"Maria", "Anna", "Giuseppina", "Rosa", "Francesca", "Giulia", "Sara", "Laura", "Chiara", "Valentina",
	"Elena", "Silvia", "Federica", "Alessandra", "Paola", "Roberta", "Elisa", "Martina", "Simona", "Barbara",
	"Cristina", "Monica", "Daniela", "Antonella", "Angela", "Michela", "Serena", "Stefania", "Manuela", "Claudia",
	"Giovanna", "Lucia", "Teresa", "Ilaria", "Marta", "Alice", "Beatrice", "Eleonora", "Veronica", "Debora",
	"Erika", "Noemi", "Aurora", "Irene", "Carmela", "Concetta", "Rosaria", "Patrizia", "Gabriella", "Emanuela",
	"Maria Grazia", "Anna Maria", "Maddalena", "Ludovica", "Letizia",
}

// South Tyrol: German first names for the PA of Bolzano.
var maleNamesDE = []string{"Lukas", "Florian", "Thomas", "Andreas", "Martin", "Stefan", "Michael", "Matthias", "Manuel", "Simon"}
var femaleNamesDE = []string{"Anna", "Julia", "Sarah", "Lena", "Maria", "Katharina", "Sabine", "Elisabeth", "Magdalena", "Verena"}

// foreignBirthplaces are Agenzia delle Entrate codes (Z + 3 digits) of the countries most
// health professionals born abroad come from, with rough weights.
var foreignBirthplaces = []struct {
	Code   string
	Weight float64
}{
	{"Z129", 30}, // Romania
	{"Z100", 14}, // Albania
	{"Z216", 10}, // Filippine
	{"Z222", 8},  // India
	{"Z330", 6},  // Marocco
	{"Z611", 6},  // Perù
	{"Z138", 5},  // Ucraina
	{"Z127", 5},  // Polonia
	{"Z112", 4},  // Germania
	{"Z110", 4},  // Francia
	{"Z133", 3},  // Svizzera
	{"Z600", 3},  // Argentina
	{"Z602", 2},  // Brasile
}
